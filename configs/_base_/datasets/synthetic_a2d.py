# The synthetic A2D-format benchmark (mmcsted/datasets/synthetic.py), made by
#   python tools/data/synthetic/generate.py data/synthetic_a2d
# It is A2D Sentences (a2d_sentences.py: same dataset class, layout, pipelines
# and metric) at another size: 64 x 80 frames, resized/padded to 64 x 64;
# 8-frame clips, stride 1; 2 loader workers. Only what differs is stated here.
_base_ = ['./a2d_sentences.py']
data_root = 'data/synthetic_a2d'
# The vocabulary of the train split's queries (written by the generator and by
# tools/data/a2d_sentences/prepare.py); model configs refer to it.
vocab_file = data_root + '/vocab.json'
input_size = 64
frame_interval = 1
# Class names of the synthetic actors (shapes) and actions; must match
# mmcsted.datasets.synthetic.SHAPES / ACTIONS (a test checks it).
synthetic_metainfo = dict(
    actor_classes=('circle', 'square', 'triangle', 'star', 'cross', 'ring'),
    action_classes=('moving left', 'moving right', 'jumping', 'rotating',
                    'standing still'))


def _at_this_size(pipeline):
    """A2D's pipeline with this benchmark's clip stride and input size."""
    changed = dict(
        SampleClipAroundFrame=dict(frame_interval=frame_interval),
        ResizePadSquare=dict(size=input_size))
    return [dict(step, **changed.get(step['type'], {})) for step in pipeline]


train_pipeline = _at_this_size(_base_.train_pipeline)
# The mask is loaded after the resize: evaluation is at the original size.
test_pipeline = _at_this_size(_base_.test_pipeline)

dataset_common = dict(
    type={{_base_.dataset_type}},
    data_root=data_root,
    metainfo=synthetic_metainfo,
    # breakdowns by the target's own shape/action and by the query flags
    # (twin, mentions_action, ...) of generator_meta.json
    class_source='instance',
    query_flags_file='generator_meta.json')

train_dataloader = dict(
    num_workers=2, dataset=dict(pipeline=train_pipeline, **dataset_common))
val_dataloader = dict(
    num_workers=2, dataset=dict(pipeline=test_pipeline, **dataset_common))
test_dataloader = val_dataloader
