# A2D Sentences as the authors' test code reads and scores it (README.md).
_base_ = ['./a2d_sentences.py']
# the mmengine.fileio storage backend of the data (None: the local disk)
backend_args = None
# relative to data_root
frame_root = 'Release/frames_cv2'
clip_len = {{_base_.clip_len}}
frame_interval = {{_base_.frame_interval}}
input_size = {{_base_.input_size}}

test_pipeline = [
    dict(type='VideoInit', backend_args=backend_args),
    dict(
        type='SampleClipAroundFrame',
        clip_len=clip_len,
        frame_interval=frame_interval,
        mode='cstm'),
    dict(
        type='VideoDecode', image_backend='pillow', backend_args=backend_args),
    dict(type='ResizeStretch', size=input_size, backend='pillow'),
    # after the resize: the CSTM metric resizes the prediction itself
    dict(type='LoadActorMask', backend_args=backend_args),
    dict(type='PackActorSegInputs'),
]
train_pipeline = [
    dict(type='VideoInit', backend_args=backend_args),
    dict(
        type='SampleClipAroundFrame',
        clip_len=clip_len,
        frame_interval=frame_interval,
        mode='cstm'),
    dict(
        type='VideoDecode', image_backend='pillow', backend_args=backend_args),
    dict(type='LoadActorMask', backend_args=backend_args),
    dict(
        type='ResizeStretch',
        size=input_size,
        backend='pillow',
        mask_resize='cstm'),
    dict(type='PackActorSegInputs'),
]

cstm_frames = dict(video_source='frames', frame_root=frame_root)
train_dataloader = dict(dataset=dict(**cstm_frames, pipeline=train_pipeline))
# every sample scored; the release drops its last batch (README.md)
val_dataloader = dict(dataset=dict(**cstm_frames, pipeline=test_pipeline))
test_dataloader = val_dataloader

val_evaluator = [
    dict(type='ReferSegMetric', protocol='cstm'),
    dict(type='ReferSegMetric', prefix='mmcsted', out_file_tag='mmcsted'),
]
test_evaluator = val_evaluator
