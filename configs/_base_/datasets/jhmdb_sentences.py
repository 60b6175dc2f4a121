# J-HMDB Sentences: test only, with the A2D model (README.md).
dataset_type = 'JHMDBSentencesDataset'
data_root = 'data/jhmdb_sentences'
vocab_file = 'data/a2d_sentences/vocab.json'
input_size = 320
clip_len = 8
frame_interval = 2
frame_sampling = 'uniform'

test_pipeline = [
    dict(type='VideoInit'),
    dict(
        type='SampleClipAroundFrame',
        clip_len=clip_len,
        frame_interval=frame_interval),
    dict(type='VideoDecode'),
    dict(type='ResizePadSquare', size=input_size),
    dict(type='LoadActorMask'),
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
        frame_sampling=frame_sampling,
        num_frames_per_video=3,
        test_mode=True,
        pipeline=test_pipeline))
test_evaluator = dict(type='ReferSegMetric')
