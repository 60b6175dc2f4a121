# The short schedule of the main job (README).
_base_ = ['./synthetic_kinetics_r3d18_tiny.py']
max_epochs = 10
param_scheduler = [
    dict(
        type='LinearLR',
        start_factor=0.1,
        by_epoch=True,
        begin=0,
        end=1,
        convert_to_iter_based=True),
    dict(
        type='CosineAnnealingLR',
        T_max=max_epochs - 1,
        eta_min=1e-5,
        by_epoch=True,
        begin=1,
        end=max_epochs)
]
train_cfg = dict(max_epochs=max_epochs)
