# Synthetic-pretrained encoder weights (variables only); see README.md.
synthetic_imagenet_ckpt = \
    'work_dirs/synthetic_imagenet_r18_tiny/epoch_50.pth'
synthetic_kinetics_ckpt = \
    'work_dirs/synthetic_kinetics_r3d18_tiny/epoch_30.pth'
spatial_pretrained = dict(
    type='Pretrained', checkpoint=synthetic_imagenet_ckpt, prefix='backbone.')
temporal_pretrained = dict(
    type='Pretrained', checkpoint=synthetic_kinetics_ckpt, prefix='backbone.')
