"""The Ref-YouTube-VOS, MeViS and Ref-DAVIS17 configs end to end: the
synthetic trees in the official layout (tools/data/synthetic/generate.py
--layout ...), trained and tested with tools/train.py / tools/test.py; the
Ref-DAVIS17 config's dataset and metric on a test-written DAVIS tree."""
import os
import os.path as osp
import sys
import zipfile

import numpy as np
from mmengine.config import Config
from PIL import Image

from mmcsted.datasets import RefYouTubeVOSDataset
from mmcsted.registry import DATASETS, METRICS
from mmcsted.utils import register_all_modules
from tests.ref_davis_tree import write_ref_davis_tree
from tools.data.ref_vos_tree_check import build_expression_vocabulary
from tools.data.synthetic import generate_mevis, generate_ref_youtube_vos
from .test_train_test import REPO, _run

SYN = osp.join(REPO, 'configs/csted/synthetic')
# A short run: few iterations, no workers, validation at the end only.
OVERRIDES = '''
_base_ = [{base!r}]
data_root = {root!r}
vocab_file = data_root + '/vocab.json'
model = dict(
    spatial_encoder=dict(text_encoder=dict(vocab_file=vocab_file)),
    temporal_encoder=dict(text_encoder=dict(vocab_file=vocab_file)))
loader = dict(batch_size=4, num_workers=0, persistent_workers=False,
              dataset=dict(data_root=data_root))
train_dataloader = dict(loader, dataset=dict(data_root=data_root,
                                             frame_stride=4))
test_dataloader = loader
{extra}
train_cfg = dict(max_epochs=1, val_interval=1)
test_evaluator = dict(output_dir={out!r})
default_hooks = dict(logger=dict(interval=5))
randomness = dict(seed=0, deterministic=True)
'''


def _config(tmp_path, name, root, extra=''):
    cfg = tmp_path / 'cfg.py'
    cfg.write_text(
        OVERRIDES.format(
            base=osp.join(SYN, name),
            root=root,
            out=str(tmp_path / 'submission'),
            extra=extra))
    return str(cfg)


def _train_and_test(tmp_path, cfg):
    work = str(tmp_path / 'work')
    _run([sys.executable, 'tools/train.py', cfg, '--work-dir', work])
    proc = _run([
        sys.executable, 'tools/test.py', cfg,
        osp.join(work, 'epoch_1.pth'), '--work-dir', work
    ])
    return proc.stdout + proc.stderr


def _zip_names(tmp_path):
    with zipfile.ZipFile(tmp_path / 'submission' / 'submission.zip') as z:
        names = [n for n in z.namelist() if n.endswith('.png')]
        with z.open(names[0]) as f:
            png = np.array(Image.open(f))
    return names, png


def test_ref_youtube_vos_trains_and_writes_the_server_zip(tmp_path):
    root = str(tmp_path / 'data')
    generate_ref_youtube_vos(
        root, num_videos=8, height=32, width=40, num_frames=16, seed=2)
    build_expression_vocabulary(
        osp.join(root, 'meta_expressions/train/meta_expressions.json'),
        osp.join(root, 'vocab.json'))
    out = _train_and_test(
        tmp_path,
        _config(tmp_path, 'csted_tiny_synthetic-ref-youtube-vos.py', root))
    assert 'complete against the dataset' in out
    names, png = _zip_names(tmp_path)
    # Annotations/<vid>/<exp_id>/<frame>.png, only the valid-minus-test ones
    assert all(
        n.startswith('Annotations/') and n.count('/') == 3 for n in names)
    valid = RefYouTubeVOSDataset(root, split='valid', test_mode=True)
    assert valid.num_test_videos_excluded > 0
    assert {n.split('/')[1] for n in names} == set(valid.video_frames)
    assert len(names) == len(valid)
    assert png.shape == (32, 40) and set(np.unique(png)) <= {0, 255}


def test_mevis_validates_on_valid_u_and_writes_the_server_zip(tmp_path):
    root = str(tmp_path / 'data')
    generate_mevis(
        root, num_videos=10, height=32, width=40, num_frames=8, seed=2)
    build_expression_vocabulary(
        osp.join(root, 'train/meta_expressions.json'),
        osp.join(root, 'vocab.json'))
    extra = 'val_dataloader = loader'
    out = _train_and_test(
        tmp_path,
        _config(tmp_path, 'csted_tiny_synthetic-mevis.py', root, extra))
    # valid_u scored during training (J&F), valid written as the zip
    log = ''
    for d, _, files in os.walk(str(tmp_path / 'work')):
        for name in files:
            if name.endswith('.log'):
                with open(osp.join(d, name), encoding='utf-8') as f:
                    log += f.read()
    assert 'J&F' in log and 'Epoch(val)' in log
    assert 'complete against the dataset' in out
    names, png = _zip_names(tmp_path)
    assert all(
        n.count('/') == 2 and not n.startswith('Annotations') for n in names)
    assert png.shape == (32, 40)


def test_ref_davis17_config_builds_its_dataset_and_metric(tmp_path):
    register_all_modules()
    root = tmp_path / 'davis'
    write_ref_davis_tree(root)
    root = str(root)
    cfg = Config.fromfile(
        osp.join(REPO,
                 'configs/csted/csted_iv3_i3d_ref-youtube-vos_ref-davis17.py'))
    ds_cfg = cfg.test_dataloader.dataset
    ds_cfg.update(data_root=root)
    dataset = DATASETS.build(ds_cfg)
    runs = {dataset.get_data_info(i)['run'] for i in range(len(dataset))}
    assert runs == {
        'anno1_first_frame', 'anno1_full_video', 'anno2_first_frame',
        'anno2_full_video'
    }
    item = dataset[0]
    assert item['inputs'].shape[1] == 8  # T = 8 frames around the target
    metric_cfg = cfg.test_evaluator
    assert metric_cfg.ann_dir.startswith('data/ref_davis17/')
    metric_cfg.update(
        ann_dir=osp.join(root, 'DAVIS/Annotations_unsupervised/480p'))
    metric = METRICS.build(metric_cfg)
    assert metric.ann_dir == metric_cfg.ann_dir
