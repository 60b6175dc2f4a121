# Synthetic ImageNet with a short schedule (20 epochs): the pretraining of
# the quick-start main job (tools/run_synthetic_benchmark.py), run beside the
# 10-epoch Synthetic Kinetics on the other core. The 50-epoch config is the
# one the benchmark table uses.
_base_ = ['./synthetic_imagenet_r18_tiny.py']
max_epochs = 20
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=True, begin=0, end=1,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=max_epochs - 1, eta_min=1e-5,
         by_epoch=True, begin=1, end=max_epochs)
]
train_cfg = dict(max_epochs=max_epochs)
