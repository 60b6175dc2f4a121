# MeViS: docs/dataset_prepare.md; notes in configs/_base_/README.md.
_base_ = ['./ref_youtube_vos.py']
dataset_type = 'MeViSDataset'
data_root = 'data/mevis'
# the mmengine.fileio storage backend of the data (None: the local disk)
backend_args = None
vocab_file = data_root + '/vocab.json'
train_frame_stride = 8

train_dataloader = dict(
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        backend_args=backend_args,
        split='train',
        frame_stride=train_frame_stride))
val_dataloader = dict(
    _delete_=True,
    batch_size=8,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        backend_args=backend_args,
        split='valid_u',
        test_mode=True,
        pipeline={{_base_.test_pipeline}}))
val_evaluator = dict(_delete_=True, type='JFMetric')
test_dataloader = dict(
    dataset=dict(type=dataset_type, data_root=data_root, split='valid'))
test_evaluator = dict(
    submission_layout='mevis', output_dir='work_dirs/mevis_submission')
