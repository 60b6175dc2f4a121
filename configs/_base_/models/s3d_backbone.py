# torchvision's S3D (Kinetics-400), paper Table 3d.
s3d_ckpt = 'https://download.pytorch.org/models/s3d-d76dad2f.pth'
s3d_backbone = dict(
    _delete_=True,
    type='StagedBackbone',
    backbone=dict(type='TorchvisionS3D', num_classes=400),
    # its Kinetics weights expect RGB in [0, 1], then this mean / std
    renormalize=dict(
        from_mean=[123.675, 116.28, 103.53],
        from_std=[58.395, 57.12, 57.375],
        to_mean=[110.2008, 100.63983, 95.99475],
        to_std=[58.14765, 56.46975, 55.332195]),
    init_cfg=dict(type='Pretrained', checkpoint=s3d_ckpt))
