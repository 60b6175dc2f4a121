# The synthetic benchmark (tools/data/synthetic/generate.py): A2D at 64 px.
_base_ = ['./a2d_sentences.py']
data_root = 'data/synthetic_a2d'
vocab_file = data_root + '/vocab.json'
input_size = 64
frame_interval = 1
# must match tools.data.synthetic.world.SHAPES / ACTIONS (tested)
synthetic_metainfo = dict(
    actor_classes=('circle', 'square', 'triangle', 'star', 'cross', 'ring'),
    action_classes=('moving left', 'moving right', 'jumping', 'rotating',
                    'standing still'))


def _at_this_size(pipeline):
    """A2D's pipeline with this benchmark's clip stride and input size;
    its small videos are decoded once per worker, not every epoch."""
    changed = dict(
        VideoInit=dict(cache_frames=True),
        SampleClipAroundFrame=dict(frame_interval=frame_interval),
        ResizePadSquare=dict(size=input_size))
    return [dict(step, **changed.get(step['type'], {})) for step in pipeline]


train_pipeline = _at_this_size(_base_.train_pipeline)
test_pipeline = _at_this_size(_base_.test_pipeline)

dataset_common = dict(
    type={{_base_.dataset_type}},
    data_root=data_root,
    metainfo=synthetic_metainfo,
    class_source='instance',
    query_flags_file='generator_meta.json')

train_dataloader = dict(
    num_workers=2, dataset=dict(pipeline=train_pipeline, **dataset_common))
val_dataloader = dict(
    num_workers=2, dataset=dict(pipeline=test_pipeline, **dataset_common))
test_dataloader = val_dataloader
