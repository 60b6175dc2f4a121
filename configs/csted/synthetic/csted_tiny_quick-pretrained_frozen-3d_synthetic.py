# The quick-start main job (python tools/run_synthetic_benchmark.py): the full
# CSTED with the pretrained 3D backbone frozen (the recipe of
# csted_tiny_pretrained_frozen-3d_synthetic.py), its encoders pretrained by
# the SHORT synthetic schedules (Synthetic ImageNet 20 epochs, Synthetic
# Kinetics 10 epochs, run side by side on the 2 cores) so that pretraining,
# training and testing fit in 15 minutes on 2 CPU cores. The benchmark table
# (docs/synthetic_benchmark.md) uses the longer pretraining (50 / 30 epochs).
_base_ = ['./csted_tiny_pretrained_frozen-3d_synthetic.py']
model = dict(
    spatial_encoder=dict(
        backbone=dict(
            init_cfg=dict(checkpoint='work_dirs/synthetic_imagenet_r18_tiny_20e/'
                          'epoch_20.pth'))),
    temporal_encoder=dict(
        backbone=dict(
            init_cfg=dict(checkpoint='work_dirs/synthetic_kinetics_r3d18_tiny_10e/'
                          'epoch_10.pth'))))
