import json
import os.path as osp

import numpy as np
import pytest
from mmengine.config import Config

from mmcsted.datasets import A2DSentencesDataset
from tests.dataset_trees import make_synthetic_a2d
from tests.helpers import run_tool
from tools.data import synthetic as syn
from tools.data.synthetic.render import actor_pose, raster_shape
from tools.data.synthetic.scene import ROTATION_INVARIANT
from tools.data.synthetic.world import ACTIONS, SHAPES, load_meta

CONFIG = osp.join(
    osp.dirname(__file__), '..', '..', '..', 'configs', '_base_', 'datasets',
    'synthetic_a2d.py')


@pytest.fixture(scope='module')
def tiny(tmp_path_factory):
    root = str(tmp_path_factory.mktemp('synthetic'))
    summary = make_synthetic_a2d(root, num_videos=12)
    return root, summary, load_meta(root)


def _dataset(root, split, pipeline=(), **kw):
    cfg = Config.fromfile(CONFIG)
    common = dict(cfg.dataset_common)
    common.update(data_root=root, progress=False, pipeline=list(pipeline))
    common.pop('type')
    common.update(kw)
    return A2DSentencesDataset(
        split=split, test_mode=split == 'test', **common)


def test_tree_loads_with_counts(tiny):
    root, summary, meta = tiny
    c = summary['counts']
    train = _dataset(root, 'train')
    test = _dataset(root, 'test')
    assert len(train) == c['train_samples'] and len(test) == c['test_samples']
    assert c['videos'] == 12 and c['missed_videos'] == 2
    assert c['train_videos'] + c['test_videos'] == 12
    for name in ('Release/videoset.csv', 'text_annotations/a2d_annotation.txt',
                 'text_annotations/a2d_missed_videos.txt', 'vocab.json',
                 'generator_meta.json'):
        assert osp.isfile(osp.join(root, name))
    # the "1 (copy)" quirk row is written and dropped
    assert train.skipped.get("query rows with instance id '1 (copy)'",
                             0) == (1 if summary['copy_row'] else 0)
    # per-query flags travel with the samples (for metric breakdowns)
    info = train.get_data_info(0)
    assert set(info['query_flags']) >= {'twin', 'mentions_action', 'position'}
    # class ids are the target's own shape/action (class_source='instance')
    q = syn.query_flags(meta)[(info['video_id'], info['instance_id'],
                               info['query'])]
    assert SHAPES[info['actor_class'] - 1] == q['target_shape']
    assert ACTIONS[info['action_class'] - 1] == q['target_action']
    assert train.metainfo['actor_classes'] == SHAPES


def test_packed_masks_equal_generator_ground_truth(tiny):
    root, _, meta = tiny
    cfg = Config.fromfile(CONFIG)
    ds = _dataset(root, 'test', cfg.test_pipeline)
    for i in range(len(ds)):
        out = ds[i]
        s = out['data_samples']
        gt = syn.ground_truth_mask(meta, s.video_id, s.instance_id, s.frame_id)
        assert gt.any()
        np.testing.assert_array_equal(s.gt_sem_seg.data[0].numpy(), gt)
        assert out['inputs'].shape == (3, 8, 64, 64)
        assert s.ori_shape == (32, 48) and s.img_shape == (43, 64)
        assert s.query_flags['twin'] == syn.query_flags(meta)[(
            s.video_id, s.instance_id, s.query)]['twin']


def test_train_pipeline_runs(tiny):
    root, _, _ = tiny
    cfg = Config.fromfile(CONFIG)
    ds = _dataset(root, 'train', cfg.train_pipeline)
    for i in range(0, len(ds), 5):
        out = ds[i]
        assert out['inputs'].shape == (3, 8, 64, 64)
        assert out['data_samples'].gt_sem_seg.data.shape == (1, 64, 64)


def test_seeded_and_reproducible(tmp_path):
    a = make_synthetic_a2d(str(tmp_path / 'a'), num_videos=6)
    b = make_synthetic_a2d(str(tmp_path / 'b'), num_videos=6)
    c = make_synthetic_a2d(str(tmp_path / 'c'), num_videos=6, seed=2)
    ma, mb, mc = (load_meta(str(tmp_path / x)) for x in 'abc')
    assert ma['videos'] == mb['videos'] and ma['queries'] == mb['queries']
    assert a['counts'] == b['counts']
    assert ma['queries'] != mc['queries']
    for rel in ('text_annotations/a2d_annotation.txt', 'Release/videoset.csv',
                'vocab.json'):
        assert open(tmp_path / 'a' / rel).read() == open(tmp_path / 'b' /
                                                         rel).read()
    assert c['params']['seed'] == 2


def test_scene_and_query_invariants(tmp_path):
    summary = make_synthetic_a2d(str(tmp_path), num_videos=40)
    meta = load_meta(str(tmp_path))
    assert summary['counts']['twin_fraction'] >= 1 / 3
    still_angles = set()
    for q in meta['queries']:
        video = meta['videos'][q['video_id']]
        actors = video['actors']
        me = actors[q['instance_id']]
        look = (me['shape'], me['colour'], me['size'])
        same = [
            a for a in actors
            if a is not me and (a['shape'], a['colour'], a['size']) == look
        ]
        if q['twin']:
            # an identical-looking actor doing something else; the query
            # names the action and no position
            assert len(same) == 1 and same[0]['action'] != me['action']
            assert q['mentions_action'] and q['position_word'] is None
            assert 'on the' not in q['query'] and 'at the' not in q['query']
        else:
            assert not same
        if q['position_word']:
            for f in video['annotated_frames']:
                if q['instance_id'] not in video['visible'][str(f)]:
                    continue
                xs = {
                    a['instance_id']: actor_pose(a, f - 1)[0]
                    for a in actors
                }
                side = min if q['position_word'] == 'left' else max
                assert side(xs, key=xs.get) == q['instance_id']
        assert 3 <= len(video['annotated_frames']) <= 5
        assert all(1 <= f <= 10 for f in video['annotated_frames'])
    for v in meta['videos'].values():
        for a in v['actors']:
            if a['action'] == 'standing still':
                still_angles.add(round(a['angle0']))
            if a['action'] == 'rotating':
                assert a['shape'] not in ROTATION_INVARIANT
                assert a['omega'] != 0
    assert len(still_angles) > 3  # still actors are not all upright


def test_occlusion_masks_exclude_hidden_pixels(tmp_path):
    make_synthetic_a2d(str(tmp_path), num_videos=10)
    meta = load_meta(str(tmp_path))
    p = meta['params']
    overlaps = 0
    for video in meta['videos'].values():
        _, vis = syn.render_video(
            video, p['height'], p['width'], p['num_frames'], with_frames=False)
        stack = np.stack(list(vis.values())).astype(int)
        assert stack.sum(0).max() <= 1  # visible masks never overlap
        for a in video['actors']:
            x, y, ang = actor_pose(a, 0)
            full = raster_shape(a['shape'], x, y, a['radius'], ang,
                                p['height'], p['width'])
            overlaps += int(full.sum() > vis[a['instance_id']][0].sum())
    assert overlaps > 0  # some actor is partly hidden somewhere


def test_default_size_videos_decode(tmp_path):
    summary = syn.generate(str(tmp_path), num_videos=6)
    assert summary['params']['height'] == 64
    assert summary['params']['width'] == 80
    import glob

    import decord
    for path in glob.glob(str(tmp_path / 'Release' / 'clips320H' / '*.mp4')):
        vr = decord.VideoReader(path)
        assert len(vr) == 24
        assert vr.get_batch([0, 23]).asnumpy().shape == (2, 64, 80, 3)


def test_generate_cli_and_guards(tmp_path, capsys):
    out = str(tmp_path / 'gen')
    rc = run_tool('synthetic/generate.py', out, '--num-videos', '6',
                  '--height', '32', '--width', '40', '--num-frames', '8')
    assert rc == 0
    text = capsys.readouterr().out
    assert 'wrote' in text and ' s: 6 videos' in text
    with open(osp.join(out, 'generator_meta.json')) as f:
        assert json.load(f)['params']['width'] == 40
    with pytest.raises(FileExistsError, match='overwrite'):
        syn.generate(out, num_videos=6)
    syn.generate(out, num_videos=6, overwrite=True, height=32, width=40)
    with pytest.raises(ValueError, match='even'):
        syn.generate(str(tmp_path / 'odd'), height=33)


def test_config_metainfo_matches_generator():
    cfg = Config.fromfile(CONFIG)
    assert tuple(cfg.synthetic_metainfo['actor_classes']) == SHAPES
    assert tuple(cfg.synthetic_metainfo['action_classes']) == ACTIONS
    assert cfg.vocab_file == cfg.data_root + '/vocab.json'
    assert cfg.val_evaluator == dict(type='ReferSegMetric')
    assert cfg.train_dataloader.persistent_workers is True
    assert cfg.train_dataloader.num_workers == 2
    for name in ('a2d_sentences', 'jhmdb_sentences'):
        other = Config.fromfile(CONFIG.replace('synthetic_a2d', name))
        assert other.vocab_file.endswith('vocab.json')
        assert other.frame_interval == 2 and other.clip_len == 8
        assert other.input_size == 320


def test_config_datasets_build_through_registry(tiny):
    from mmcsted.registry import DATASETS
    root, summary, _ = tiny
    cfg = Config.fromfile(CONFIG)
    for key, n in (('train_dataloader', summary['counts']['train_samples']),
                   ('test_dataloader', summary['counts']['test_samples'])):
        dcfg = cfg[key].dataset
        dcfg.update(data_root=root, progress=False)
        ds = DATASETS.build(dcfg)
        assert type(ds).__name__ == 'A2DSentencesDataset' and len(ds) == n
        out = ds[0]
        assert out['inputs'].shape == (3, 8, 64, 64)


def test_edited_query_is_kept_without_flags_and_reported(
        tmp_path, monkeypatch):
    """An edited query used to raise KeyError '... no flags' from
    generator_meta.json; now it loads without flags, counted and logged,
    and the check tool lists it."""
    import csv

    import mmcsted.datasets.a2d.dataset as mod_a2d
    root = str(tmp_path)
    make_synthetic_a2d(root, num_videos=8)
    ann = osp.join(root, 'text_annotations', 'a2d_annotation.txt')
    with open(ann, newline='') as f:
        rows = list(csv.reader(f))
    meta_keys = set(syn.query_flags(load_meta(root)))
    test_vids = set()
    with open(osp.join(root, 'Release', 'videoset.csv')) as f:
        test_vids = {r[0] for r in csv.reader(f) if r[8] == '1'}
    edited = next(
        i for i, r in enumerate(rows[1:], 1)
        if r[0] in test_vids and r[1].isdigit() and (r[0], int(r[1]),
                                                     r[2]) in meta_keys)
    vid, iid = rows[edited][0], int(rows[edited][1])
    rows[edited][2] = 'the naïve shape that a user rewrote'
    with open(ann, 'w', newline='') as f:
        csv.writer(f).writerows(rows)

    logs = []
    monkeypatch.setattr(
        mod_a2d,
        'print_log',
        lambda msg, logger=None, level=0: logs.append(msg))
    test = _dataset(root, 'test')
    infos = [test.get_data_info(i) for i in range(len(test))]
    unflagged = [d for d in infos if 'query_flags' not in d]
    assert unflagged and all(
        (d['video_id'],
         d['instance_id']) == (vid, iid) and d['query'] == rows[edited][2]
        for d in unflagged)
    assert test.num_without_flags == len(unflagged)
    assert len(infos) > len(unflagged)  # the other samples keep their flags
    assert any(f'{len(unflagged)} samples (1 queries) are not in '
               'generator_meta.json' in m and 'rewrote' in m for m in logs)

    rc, out = run_tool('a2d_sentences/check_tree.py', root, capture=True)
    assert rc == 0  # a warning: the tree still loads
    assert 'queries not in generator_meta.json' in out
    assert f'line {edited + 1}: {vid} instance {iid}' in out


def test_generator_meta_is_written_whole_or_not_at_all(tmp_path, monkeypatch):
    """generator_meta.json marks a finished tree (the main job regenerates
    one without it): a write broken halfway leaves no file."""
    from tools.data.synthetic import video_tree

    def broken_dump(obj, f, **kwargs):
        f.write('{"generator": ')
        raise OSError('disk full')

    monkeypatch.setattr(video_tree.json, 'dump', broken_dump)
    with pytest.raises(OSError, match='disk full'):
        video_tree.write_generator_meta(
            str(tmp_path), {}, {}, 0.0, dict(videos={}), layout='mevis')
    assert not osp.exists(tmp_path / 'generator_meta.json')
    monkeypatch.undo()
    summary = video_tree.write_generator_meta(
        str(tmp_path), {}, {}, 0.0, dict(videos={}), layout='mevis')
    meta = json.loads((tmp_path / 'generator_meta.json').read_text())
    assert meta['layout'] == 'mevis' and meta['videos'] == {}
    assert set(meta) == set(summary) | {'videos'}
