# J-HMDB Sentences: test only, with the A2D model (README.md).
dataset_type = 'JHMDBSentencesDataset'
data_root = 'data/jhmdb_sentences'
backend_args = None  # mmengine.fileio backend; None = the local disk
vocab_file = 'data/a2d_sentences/vocab.json'
input_size = 320
clip_len = 8
frame_interval = 2
frame_sampling = 'uniform'

test_pipeline = [
    dict(type='VideoInit', backend_args=backend_args),
    dict(
        type='SampleClipAroundFrame',
        clip_len=clip_len,
        frame_interval=frame_interval),
    dict(type='VideoDecode', backend_args=backend_args),
    dict(type='ResizePadSquare', size=input_size),
    dict(type='LoadActorMask', backend_args=backend_args),
    dict(type='PackActorSegInputs'),
]

test_dataloader = dict(
    batch_size=8,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        backend_args=backend_args,
        frame_sampling=frame_sampling,
        num_frames_per_video=3,
        test_mode=True,
        pipeline=test_pipeline))
test_evaluator = dict(type='ReferSegMetric')
