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
dataset_type = 'JHMDBSentencesDataset'
data_root = 'data/jhmdb_sentences'
# J-HMDB is read with the A2D model and its vocabulary
vocab_file = 'data/a2d_sentences/vocab.json'
input_size = 320
clip_len = 8
frame_interval = 2
# 'uniform' (the paper's "uniformly sampled") or 'frozen' (prepare.py's
# seeded draw); see jhmdb_sentences.py
frame_sampling = 'uniform'

test_pipeline = [
    dict(type='VideoInit'),
    dict(
        type='SampleClipAroundFrame',
        clip_len=clip_len,
        frame_interval=frame_interval,
        mode='release'),
    dict(type='VideoDecode', image_backend='pillow'),
    dict(type='ResizeStretch', size=input_size, backend='pillow'),
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
test_evaluator = [
    dict(type='ReferSegMetric', protocol='release'),
    dict(type='ReferSegMetric', prefix='mmcsted', out_file_tag='mmcsted'),
]
