# Ref-DAVIS17: test only, ReferFormer's four-run protocol (README.md).
_base_ = ['./ref_youtube_vos.py']
dataset_type = 'RefDAVIS17Dataset'
# holds DAVIS/ and the meta_expressions/ of tools/data/ref_davis17/prepare.py
data_root = 'data/ref_davis17'
# the mmengine.fileio storage backend of the data (None: the local disk)
backend_args = None

train_dataloader = None
test_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type=dataset_type,
        data_root=data_root,
        backend_args=backend_args,
        split='val',
        test_mode=True,
        pipeline={{_base_.test_pipeline}}))
test_evaluator = dict(
    _delete_=True,
    type='RefDAVIS17Metric',
    ann_dir=data_root + '/DAVIS/Annotations_unsupervised/480p',
    backend_args=backend_args)
