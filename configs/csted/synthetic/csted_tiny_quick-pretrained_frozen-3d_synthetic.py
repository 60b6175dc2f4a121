# The main job: 10-epoch Synthetic Kinetics (README); bf16 autocast where the
# CPU has bf16 instructions, else float32 (docs/synthetic_benchmark.md).
_base_ = ['./csted_tiny_pretrained_frozen-3d_synthetic.py']
model = dict(
    temporal_encoder=dict(
        backbone=dict(
            init_cfg=dict(checkpoint='work_dirs/synthetic_kinetics_r3d18_tiny'
                          '_10e/epoch_10.pth'))))
optim_wrapper = dict(type='BF16OptimWrapper')
