# Schedule for the synthetic benchmark on a CPU: Adam (the paper's optimiser),
# lr 1e-3 for the tiny from-scratch model, lr / 10 for the last epoch.
# (160 videos for 16 epochs overfit: train mIoU 69.6 vs test 37.2; 640 videos
# for 4 epochs is the same number of iterations on 4x the data.)
max_epochs = 4
optim_wrapper = dict(optimizer=dict(type='Adam', lr=1e-3))
param_scheduler = [
    dict(type='MultiStepLR', by_epoch=True, milestones=[3], gamma=0.1)
]
train_cfg = dict(
    type='EpochBasedTrainLoop', max_epochs=max_epochs, val_interval=2)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
auto_scale_lr = dict(enable=False, base_batch_size=8)
