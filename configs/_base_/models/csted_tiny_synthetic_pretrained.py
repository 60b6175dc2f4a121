# Where csted_tiny's encoders come from when they start pretrained in the
# synthetic world (issue 11), as the paper's start from ImageNet (2D) and
# Kinetics-400 (3D):
#   2D: configs/pretrain/synthetic_imagenet_r18_tiny.py  (mmpretrain
#       ImageClassifier, actor appearance: size x colour x shape)
#   3D: configs/pretrain/synthetic_kinetics_r3d18_tiny.py (mmaction2
#       Recognizer3D, actor action from an 8-frame clip)
# Both are trained on the synthetic benchmark's train videos only; the paths
# are their last checkpoints (max_epochs 50 and 30). Their
# `backbone.*` keys load into StagedBackbone's wrapped backbone
# (prefix='backbone.'; the classifier heads are not used). Only variables
# here (no `model`): a row config sets them on the encoders it has, e.g.
#   model = dict(temporal_encoder=dict(backbone=dict(
#       init_cfg={{_base_.temporal_pretrained}})))
# Other checkpoints: --cfg-options
#   model.spatial_encoder.backbone.init_cfg.checkpoint=PATH
#   model.temporal_encoder.backbone.init_cfg.checkpoint=PATH
synthetic_imagenet_ckpt = \
    'work_dirs/synthetic_imagenet_r18_tiny/epoch_50.pth'
synthetic_kinetics_ckpt = \
    'work_dirs/synthetic_kinetics_r3d18_tiny/epoch_30.pth'
spatial_pretrained = dict(
    type='Pretrained', checkpoint=synthetic_imagenet_ckpt, prefix='backbone.')
temporal_pretrained = dict(
    type='Pretrained', checkpoint=synthetic_kinetics_ckpt, prefix='backbone.')
