# A2D Sentences: docs/dataset_prepare.md; notes in configs/_base_/README.md.
dataset_type = 'A2DSentencesDataset'
data_root = 'data/a2d_sentences'
backend_args = None  # mmengine.fileio backend; None = the local disk
vocab_file = data_root + '/vocab.json'
input_size = 320
clip_len = 8
frame_interval = 2
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
# the mask is loaded after the resize: scored at the original size
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
