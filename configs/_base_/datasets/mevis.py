# MeViS (see docs/dataset_prepare.md):
#   python tools/data/mevis/check_release.py data/mevis
#   python tools/data/mevis/prepare.py data/mevis
# Motion expressions; an expression may refer to several objects (the target
# is their union) or to none (MeViS v2 no-target expressions: the target is
# empty). Training on train; validation on valid_u (the split with masks,
# scored here with J&F: per frame, averaged per expression, then over the
# expressions; an empty target scores 1 for an empty prediction, 0 otherwise);
# testing on valid, written as the server's zip.
# Our choices where MeViS and the paper are silent: CSTED's A2D clip (8
# frames, target in the middle, stride 1 in the release's frames) and input.
_base_ = ['./ref_youtube_vos.py']
dataset_type = 'MeViSDataset'
data_root = 'data/mevis'
# the mmengine.fileio storage backend of the data (None: the local disk)
backend_args = None
vocab_file = data_root + '/vocab.json'
# ~23k train expressions x ~78 frames: one target in 8 frames per expression
# and epoch keeps an epoch near A2D's size x 25.
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
# Writes <output_dir>/<vid>/<exp_id>/<frame>.png (0/255) and
# <output_dir>/submission.zip, for the MeViS server.
test_evaluator = dict(
    submission_layout='mevis', output_dir='work_dirs/mevis_submission')
