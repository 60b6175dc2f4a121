# The quick-start main job (python tools/run_synthetic_benchmark.py): the full
# CSTED with the pretrained 3D backbone frozen (the recipe of
# csted_tiny_pretrained_frozen-3d_synthetic.py), its encoders pretrained by
# Synthetic ImageNet (50 epochs) and the SHORT Synthetic Kinetics schedule
# (10 epochs instead of the table's 30), run side by side on the 2 cores, so
# that pretraining, training and testing fit in 15 minutes on 2 CPU cores.
_base_ = ['./csted_tiny_pretrained_frozen-3d_synthetic.py']
# (the 2D backbone keeps the table's 50-epoch Synthetic ImageNet: those 50
# epochs take about as long as the 10 Kinetics epochs run beside them)
model = dict(
    temporal_encoder=dict(
        backbone=dict(
            init_cfg=dict(checkpoint='work_dirs/synthetic_kinetics_r3d18_tiny'
                          '_10e/epoch_10.pth'))))
