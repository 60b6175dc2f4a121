# J-HMDB Sentences: test only, with the A2D model and no fine-tuning (see
# docs/dataset_prepare.md):
#   python tools/data/jhmdb_sentences/check_release.py data/jhmdb_sentences
#   python tools/data/jhmdb_sentences/prepare.py data/jhmdb_sentences
# 3 frames per video among those with a mask; the release's test clip: 8 frames
# at stride 2 around the target, resized and padded to 320.
dataset_type = 'JHMDBSentencesDataset'
data_root = 'data/jhmdb_sentences'
# the mmengine.fileio storage backend of the data (None: the local disk)
backend_args = None
# J-HMDB is read with the A2D model, so with the A2D train-split vocabulary
# (also stored in A2D checkpoints).
vocab_file = 'data/a2d_sentences/vocab.json'
input_size = 320
clip_len = 8
frame_interval = 2
# 'uniform': evenly spaced frames (the paper: "uniformly sampled");
# 'frozen': the seeded draw that prepare.py writes (what public codebases do).
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
