# The synthetic world in the MeViS layout: an end-to-end check.
_base_ = ['./mevis.py']
data_root = 'data/synthetic_mevis'
vocab_file = data_root + '/vocab.json'
input_size = 64
train_frame_stride = 1


def _at_this_size(pipeline):
    """The CSTM pipeline at this input size."""
    changed = dict(ResizePadSquare=dict(size=input_size))
    return [dict(step, **changed.get(step['type'], {})) for step in pipeline]


train_pipeline = _at_this_size(_base_.train_pipeline)
test_pipeline = _at_this_size(_base_.test_pipeline)
train_dataloader = dict(
    num_workers=2,
    dataset=dict(
        data_root=data_root,
        frame_stride=train_frame_stride,
        pipeline=train_pipeline))
val_dataloader = dict(
    num_workers=2, dataset=dict(data_root=data_root, pipeline=test_pipeline))
test_dataloader = dict(
    num_workers=2, dataset=dict(data_root=data_root, pipeline=test_pipeline))
test_evaluator = dict(output_dir='work_dirs/synthetic_mevis_submission')
