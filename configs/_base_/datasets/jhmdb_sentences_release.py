# J-HMDB Sentences with the CSTED authors' A2D test protocol (see
# a2d_sentences_release.py and docs/dataset_prepare.md). The release's test
# code only covers A2D: what it did on J-HMDB is unknown. Chosen here: the
# same clip rule (8 frames from max(1, f - 8) at stride 2, spatial frame at
# index 4) on J-HMDB's PNG frames (Rename_Images, read with PIL), the same
# PIL stretch to 320 x 320 and the same scoring. Frames after the last mask
# are not used (as mmcsted's J-HMDB dataset does): a release clip running past
# them repeats the last frame with a mask (counted and logged).
# Model configs that inherit this must set the model's data preprocessor to
# mean 0 / std 255 and test_cfg=dict(keep_input_score=True).
_base_ = ['./jhmdb_sentences.py']
# the mmengine.fileio storage backend of the data (None: the local disk)
backend_args = None

test_pipeline = [
    dict(type='VideoInit', backend_args=backend_args),
    dict(
        type='SampleClipAroundFrame',
        clip_len={{_base_.clip_len}},
        frame_interval={{_base_.frame_interval}},
        mode='release'),
    dict(
        type='VideoDecode', image_backend='pillow', backend_args=backend_args),
    dict(type='ResizeStretch', size={{_base_.input_size}}, backend='pillow'),
    dict(type='LoadActorMask', backend_args=backend_args),
    dict(type='PackActorSegInputs'),
]
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_evaluator = [
    dict(type='ReferSegMetric', protocol='release'),
    dict(type='ReferSegMetric', prefix='mmcsted', out_file_tag='mmcsted'),
]
