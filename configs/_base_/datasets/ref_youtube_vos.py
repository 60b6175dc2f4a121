# Ref-YouTube-VOS: docs/dataset_prepare.md; our choices in README.md.
_base_ = ['./a2d_sentences.py']
dataset_type = 'RefYouTubeVOSDataset'
data_root = 'data/ref_youtube_vos'
backend_args = None  # mmengine.fileio backend; None = the local disk
vocab_file = data_root + '/vocab.json'
frame_interval = 1
# every 4th listed frame as a target (README.md)
train_frame_stride = 4


def _at_this_stride(pipeline):
    """A2D's pipeline with this dataset's clip stride."""
    return [
        dict(step, frame_interval=frame_interval)
        if step['type'] == 'SampleClipAroundFrame' else step
        for step in pipeline
    ]


train_pipeline = _at_this_stride(_base_.train_pipeline)
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
test_evaluator = dict(
    _delete_=True,
    type='JFMetric',
    format_only=True,
    submission_layout='ref_youtube_vos',
    output_dir='work_dirs/ref_youtube_vos_submission')
