# The synthetic A2D-format benchmark (mmcsted/datasets/synthetic.py), made by
#   python tools/data/synthetic/generate.py data/synthetic_a2d
# 64 x 80 frames, resized/padded to 64 x 64; 8-frame clips, stride 1.
dataset_type = 'A2DSentencesDataset'
data_root = 'data/synthetic_a2d'
# The vocabulary of the train split's queries (written by the generator and by
# tools/data/a2d_sentences/prepare.py); model configs refer to it.
vocab_file = data_root + '/vocab.json'
input_size = 64
clip_len = 8
frame_interval = 1
# Class names of the synthetic actors (shapes) and actions; must match
# mmcsted.datasets.synthetic.SHAPES / ACTIONS (a test checks it).
synthetic_metainfo = dict(
    actor_classes=('circle', 'square', 'triangle', 'star', 'cross', 'ring'),
    action_classes=('moving left', 'moving right', 'jumping', 'rotating',
                    'standing still'))

train_pipeline = [
    dict(type='VideoInit'),
    dict(
        type='SampleClipAroundFrame',
        clip_len=clip_len,
        frame_interval=frame_interval),
    dict(type='VideoDecode'),
    dict(type='LoadActorMask'),
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
    dict(type='VideoInit'),
    dict(
        type='SampleClipAroundFrame',
        clip_len=clip_len,
        frame_interval=frame_interval),
    dict(type='VideoDecode'),
    dict(type='ResizePadSquare', size=input_size),
    dict(type='LoadActorMask'),
    dict(type='PackActorSegInputs'),
]

dataset_common = dict(
    type=dataset_type,
    data_root=data_root,
    metainfo=synthetic_metainfo,
    # breakdowns by the target's own shape/action and by the query flags
    # (twin, mentions_action, ...) of generator_meta.json
    class_source='instance',
    query_flags_file='generator_meta.json')

train_dataloader = dict(
    batch_size=8,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(split='train', pipeline=train_pipeline, **dataset_common))
val_dataloader = dict(
    batch_size=8,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        split='test', test_mode=True, pipeline=test_pipeline,
        **dataset_common))
test_dataloader = val_dataloader

val_evaluator = dict(type='ReferSegMetric')
test_evaluator = val_evaluator
