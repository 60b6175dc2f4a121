max_epochs = 4
# fused: one kernel for all the parameters' updates instead of ~8 small ops
# each (7 ms less a CPU step of the main job; docs/synthetic_benchmark.md)
optim_wrapper = dict(optimizer=dict(type='Adam', lr=1e-3, fused=True))
param_scheduler = [
    dict(type='MultiStepLR', by_epoch=True, milestones=[3], gamma=0.1)
]
train_cfg = dict(
    type='EpochBasedTrainLoop', max_epochs=max_epochs, val_interval=2)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
auto_scale_lr = dict(enable=False, base_batch_size=8)
# channels-last convolutions: a faster CPU step (docs/synthetic_benchmark.md)
custom_hooks = [dict(type='ChannelsLastHook')]
