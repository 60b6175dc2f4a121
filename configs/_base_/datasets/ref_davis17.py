# Ref-DAVIS17: DAVIS 2017 val with Khoreva et al.'s expressions, test only
# (see docs/dataset_prepare.md):
#   python tools/data/ref_davis17/check_release.py data/ref_davis17
# ReferFormer's protocol: four runs (annotator 1 / 2 x first-frame /
# full-video expressions), each scored in the unsupervised mode of the DAVIS
# 2017 toolkit (per video, predicted objects matched to the ground-truth
# objects), J&F averaged over the four runs. Every frame of every video.
_base_ = ['./ref_youtube_vos.py']
dataset_type = 'RefDAVIS17Dataset'
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
# The ground truth read from disk as the DAVIS toolkit does (objects 1..K of
# the first frame, void 255 left out of J and F): docs/metrics.md.
test_evaluator = dict(
    _delete_=True,
    type='RefDAVIS17Metric',
    ann_dir=data_root + '/DAVIS/Annotations_unsupervised/480p',
    backend_args=backend_args)
