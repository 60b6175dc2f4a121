# A2D Sentences (see docs/dataset_prepare.md):
#   python tools/data/a2d_sentences/check_release.py data/a2d_sentences
#   python tools/data/a2d_sentences/prepare.py data/a2d_sentences
# The paper: 8 RGB frames, target in the middle, resized and padded to
# 320 x 320, batch 8. The release's test clip is 8 frames at stride 2 around
# the target; training uses the same stride so that the temporal encoder sees
# one kind of clip.
dataset_type = 'A2DSentencesDataset'
data_root = 'data/a2d_sentences'
# the mmengine.fileio storage backend of the data (None: the local disk)
backend_args = None
# The vocabulary of the train split's queries (prepare.py writes it); model
# configs refer to it.
vocab_file = data_root + '/vocab.json'
input_size = 320
clip_len = 8
frame_interval = 2
# 'auto': extracted JPEG frames (prepare.py --extract-frames) where present,
# else Release/clips320H/<vid>.mp4.
video_source = 'auto'

train_pipeline = [
    dict(type='VideoInit', backend_args=backend_args),
    dict(
        type='SampleClipAroundFrame',
        clip_len=clip_len,
        frame_interval=frame_interval),
    dict(type='VideoDecode', backend_args=backend_args),
    dict(type='LoadActorMask', backend_args=backend_args),
    dict(type='ResizePadSquare', size=input_size),
    dict(type='RandomFlipWithQuery', prob=0.5),
    dict(
        type='ClipColorJitter',
        brightness=0.2,
        contrast=0.2,
        saturation=0.2,
        hue=0.02),
    dict(type='PackActorSegInputs'),
]
# The mask is loaded after the resize: evaluation is at the original size.
test_pipeline = [
    dict(type='VideoInit', backend_args=backend_args),
    dict(
        type='SampleClipAroundFrame',
        clip_len=clip_len,
        frame_interval=frame_interval),
    dict(type='VideoDecode', backend_args=backend_args),
    dict(type='ResizePadSquare', size=input_size),
    dict(type='LoadActorMask', backend_args=backend_args),
    dict(type='PackActorSegInputs'),
]

# batch_size is per GPU: 8 on one GPU is the paper's batch; on 4 GPUs use
# batch_size=2 (auto_scale_lr's base_batch_size is 8).
train_dataloader = dict(
    batch_size=8,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        backend_args=backend_args,
        split='train',
        video_source=video_source,
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=8,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        backend_args=backend_args,
        split='test',
        test_mode=True,
        video_source=video_source,
        pipeline=test_pipeline))
test_dataloader = val_dataloader

val_evaluator = dict(type='ReferSegMetric')
test_evaluator = val_evaluator
