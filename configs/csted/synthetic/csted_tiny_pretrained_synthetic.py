# The full CSTED (CMAM at stages 1..5, LGFS) on the synthetic benchmark with
# both encoders pretrained in the synthetic world, as the paper's start
# pretrained (Inception V3 on ImageNet, I3D on Kinetics-400): the 2D backbone
# from configs/pretrain/synthetic_imagenet_r18_tiny.py (actor appearance), the
# 3D backbone from configs/pretrain/synthetic_kinetics_r3d18_tiny.py (actor
# action). Train those first (tools/train.py CONFIG); same schedule as the
# from-scratch row (csted_tiny_synthetic.py).
_base_ = [
    './csted_tiny_synthetic.py',
    '../../_base_/models/csted_tiny_synthetic_pretrained.py'
]
model = dict(
    spatial_encoder=dict(
        backbone=dict(init_cfg={{_base_.spatial_pretrained}})),
    temporal_encoder=dict(
        backbone=dict(init_cfg={{_base_.temporal_pretrained}})))
