# A2D Sentences read and scored exactly as the CSTED authors' released test
# code (RyanHTR/CSTM: datasets/a2d_dataset.py, utils/tool.py); see
# docs/dataset_prepare.md ("The authors' test protocol"). Model configs that
# inherit this (configs/csted/csted_r50_i3d_a2d_release.py) must give the
# model a data preprocessor with mean 0 / std 255 (the release's ToTensor
# values, no normalisation) and test_cfg=dict(keep_input_score=True) (the
# release metric scores the probability at the input size).
#
# Frames: JPEGs extracted with OpenCV, as the release reads them
# (<frame_root>/<vid>/<frame:05d>.jpg, read with PIL):
#   python tools/data/a2d_sentences/extract_frames.py data/a2d_sentences
_base_ = ['./a2d_sentences.py']
# the mmengine.fileio storage backend of the data (None: the local disk)
backend_args = None
# relative to data_root
frame_root = 'Release/frames_cv2'
clip_len = {{_base_.clip_len}}
frame_interval = {{_base_.frame_interval}}
input_size = {{_base_.input_size}}

# clip: 8 frames from max(1, f - 8) at stride 2, the spatial frame at index 4
# (f when f > 8, else frame 9); frames past the end repeat the last (counted
# and logged; the release would fail there). Frames: PIL, stretched to
# 320 x 320 with PIL's bilinear filter, kept uint8.
test_pipeline = [
    dict(type='VideoInit', backend_args=backend_args),
    dict(
        type='SampleClipAroundFrame',
        clip_len=clip_len,
        frame_interval=frame_interval,
        mode='release'),
    dict(
        type='VideoDecode', image_backend='pillow', backend_args=backend_args),
    dict(type='ResizeStretch', size=input_size, backend='pillow'),
    # after the resize: the mask stays at the frame size, and the release
    # metric does the release's round trip through 320 x 320 itself
    dict(type='LoadActorMask', backend_args=backend_args),
    dict(type='PackActorSegInputs'),
]
# The release's dataset class serves training too (train.txt): the same
# clip and stretch, and targets resized to 320 x 320 with F.interpolate
# (bilinear, align_corners=True) > 0; no augmentation. Its training code is
# not public.
train_pipeline = [
    dict(type='VideoInit', backend_args=backend_args),
    dict(
        type='SampleClipAroundFrame',
        clip_len=clip_len,
        frame_interval=frame_interval,
        mode='release'),
    dict(
        type='VideoDecode', image_backend='pillow', backend_args=backend_args),
    dict(type='LoadActorMask', backend_args=backend_args),
    dict(
        type='ResizeStretch',
        size=input_size,
        backend='pillow',
        mask_resize='release'),
    dict(type='PackActorSegInputs'),
]

release_frames = dict(video_source='frames', frame_root=frame_root)
train_dataloader = dict(
    dataset=dict(**release_frames, pipeline=train_pipeline))
# The release's loader has batch_size=8 and drop_last=True (its last
# partial batch is not scored); every sample is scored here. To score the
# release's own list (datasets/A2D/preprocessed/test.txt of RyanHTR/CSTM,
# copied under data_root), in its order, as it does, add to the dataset:
#   sample_list='test.txt', sample_list_drop_last=8,
val_dataloader = dict(dataset=dict(**release_frames, pipeline=test_pipeline))
test_dataloader = val_dataloader

# The release's scoring (unprefixed keys: oIoU, mIoU, P@X, AP_paper), and
# mmcsted's default protocol on the same predictions (keys 'mmcsted/...';
# with tools/test.py --out X.json its per-sample dump goes to
# X.mmcsted.json).
val_evaluator = [
    dict(type='ReferSegMetric', protocol='release'),
    dict(type='ReferSegMetric', prefix='mmcsted', out_file_tag='mmcsted'),
]
test_evaluator = val_evaluator
