# Ref-YouTube-VOS (see docs/dataset_prepare.md):
#   python tools/data/ref_youtube_vos/check_release.py data/ref_youtube_vos
#   python tools/data/ref_youtube_vos/prepare.py data/ref_youtube_vos
# Training: one sample per (expression, target frame); the clip is cut around
# the target from the release's listed frames (6 fps, every 5th frame of the
# video). Testing: the 202 valid videos (valid list minus test list), every
# listed frame of every expression, written as the challenge server's zip.
# The paper has no Ref-YouTube-VOS setting; what follows is our choice, stated:
# CSTED's A2D clip (8 frames, target in the middle) at stride 1 in listed
# frames (about 1.3 s of video where A2D's stride 2 at 24 fps is 0.7 s) and
# its 320 x 320 input: A2D Sentences' pipelines (a2d_sentences.py), only the
# clip stride differs.
_base_ = ['./a2d_sentences.py']
dataset_type = 'RefYouTubeVOSDataset'
data_root = 'data/ref_youtube_vos'
# the mmengine.fileio storage backend of the data (None: the local disk)
backend_args = None
# The vocabulary of the train split's expressions (prepare.py writes it).
vocab_file = data_root + '/vocab.json'
frame_interval = 1
# Every 4th listed frame of an expression as a target (about 7 targets per
# expression and epoch): the ~12.9k train expressions x ~27 listed frames
# would be ~350k samples an epoch, 50x A2D Sentences'.
train_frame_stride = 4


def _at_this_stride(pipeline):
    """A2D's pipeline with this dataset's clip stride."""
    return [
        dict(step, frame_interval=frame_interval)
        if step['type'] == 'SampleClipAroundFrame' else step
        for step in pipeline
    ]


train_pipeline = _at_this_stride(_base_.train_pipeline)
# valid has no masks (mask_format 'none': LoadActorMask passes through); the
# prediction is written at the original resolution.
test_pipeline = _at_this_stride(_base_.test_pipeline)

train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type=dataset_type,
        data_root=data_root,
        backend_args=backend_args,
        split='train',
        frame_stride=train_frame_stride,
        pipeline=train_pipeline))
# No validation during training: valid is scored only by the server (the
# model configs also set val_cfg = None).
val_dataloader = None
val_evaluator = None
test_dataloader = dict(
    _delete_=True,
    batch_size=8,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        backend_args=backend_args,
        split='valid',
        test_mode=True,
        pipeline=test_pipeline))
# Writes <output_dir>/Annotations/<vid>/<exp_id>/<frame>.png (0/255) and
# <output_dir>/submission.zip, to upload to the challenge server.
test_evaluator = dict(
    _delete_=True,
    type='JFMetric',
    format_only=True,
    submission_layout='ref_youtube_vos',
    output_dir='work_dirs/ref_youtube_vos_submission')
