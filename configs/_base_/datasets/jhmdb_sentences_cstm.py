# J-HMDB with the authors' A2D test protocol: our choice (README.md).
_base_ = ['./jhmdb_sentences.py']
# the mmengine.fileio storage backend of the data (None: the local disk)
backend_args = None

test_pipeline = [
    dict(type='VideoInit', backend_args=backend_args),
    dict(
        type='SampleClipAroundFrame',
        clip_len={{_base_.clip_len}},
        frame_interval={{_base_.frame_interval}},
        mode='cstm'),
    dict(
        type='VideoDecode', image_backend='pillow', backend_args=backend_args),
    dict(type='ResizeStretch', size={{_base_.input_size}}, backend='pillow'),
    dict(type='LoadActorMask', backend_args=backend_args),
    dict(type='PackActorSegInputs'),
]
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_evaluator = [
    dict(type='ReferSegMetric', protocol='cstm'),
    dict(type='ReferSegMetric', prefix='mmcsted', out_file_tag='mmcsted'),
]
