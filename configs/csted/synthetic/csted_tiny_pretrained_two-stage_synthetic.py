_base_ = ['./csted_tiny_two-stage_synthetic.py']
spatial_ckpt = ('work_dirs/csted_tiny_pretrained_spatial-only-cmam_synthetic/'
                'epoch_4.pth')
temporal_ckpt = ('work_dirs/csted_tiny_pretrained_temporal-only-cmam_'
                 'synthetic/epoch_4.pth')
model = dict(
    spatial_encoder=dict(init_cfg=dict(checkpoint=spatial_ckpt)),
    temporal_encoder=dict(init_cfg=dict(checkpoint=temporal_ckpt)))
