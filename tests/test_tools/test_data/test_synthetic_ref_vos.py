"""The synthetic generator in the Ref-YouTube-VOS and MeViS tree layouts:
json structure, masks that decode to the rendered actors, the valid/test
list trap, multi-object and no-target expressions, determinism, and the
A2D layout left as it was."""
import hashlib
import json
import os
import os.path as osp

import numpy as np
import pytest
from PIL import Image

from tests.dataset_trees import make_synthetic_a2d
from tests.helpers import run_tool
from tools.data import synthetic as syn
from tools.data.synthetic.world import SHAPES, load_meta

TINY = dict(num_videos=8, height=64, width=64, seed=3)


def _load(root, *rel):
    with open(osp.join(root, *rel)) as f:
        return json.load(f)


def _rendered(meta, vid):
    p = meta['params']
    return syn.render_video(meta['videos'][vid], p['height'], p['width'],
                            p['num_frames'])


@pytest.fixture(scope='module')
def ytvos(tmp_path_factory):
    root = str(tmp_path_factory.mktemp('ytvos'))
    summary = syn.generate_ref_youtube_vos(root, num_frames=16, **TINY)
    return root, summary, load_meta(root)


@pytest.fixture(scope='module')
def mevis(tmp_path_factory):
    root = str(tmp_path_factory.mktemp('mevis'))
    summary = syn.generate_mevis(
        root, num_frames=8, exit_prob=0.5, no_target_prob=1.0, **TINY)
    return root, summary, load_meta(root)


def test_ytvos_lists_valid_with_test_and_hides_truth(ytvos):
    root, summary, meta = ytvos
    exps = {
        s: _load(root, 'meta_expressions', s,
                 'meta_expressions.json')['videos']
        for s in ('train', 'valid', 'test')
    }
    train, valid, test = (set(exps[s]) for s in ('train', 'valid', 'test'))
    # CSTM's trap: the valid list holds the test videos too
    assert test and test < valid and not train & valid
    assert len(train) + len(valid) == 8
    c = summary['counts']
    assert c['scored_valid_videos'] == len(valid - test) >= 1
    assert c['test_videos'] == len(test)
    for vid in valid:
        assert meta['videos'][vid]['split'] == ('test'
                                                if vid in test else 'valid')
        # frames of every video of the valid list, and no masks
        assert sorted(os.listdir(osp.join(
            root, 'valid', 'JPEGImages',
            vid))) == ['00000.jpg', '00005.jpg', '00010.jpg', '00015.jpg']
        for e in exps['valid'][vid]['expressions'].values():
            assert set(e) == {'exp'}  # the valid truth is hidden
    for vid in test:
        assert exps['test'][vid] == exps['valid'][vid]
    assert not osp.exists(osp.join(root, 'valid', 'Annotations'))
    assert set(os.listdir(osp.join(root, 'train', 'JPEGImages'))) == train


def test_ytvos_train_masks_are_the_rendered_objects(ytvos):
    root, _, meta = ytvos
    exps = _load(root, 'meta_expressions', 'train',
                 'meta_expressions.json')['videos']
    objects = _load(root, 'train', 'meta.json')['videos']
    assert set(objects) == set(exps)
    absent = 0
    for vid, record in exps.items():
        # every 5th rendered frame, named by its frame number
        assert record['frames'] == ['00000', '00005', '00010', '00015']
        frames, visible = _rendered(meta, vid)
        actors = meta['videos'][vid]['actors']
        assert set(objects[vid]['objects']) == {
            str(a['instance_id'] + 1)
            for a in actors
        }
        for name in record['frames']:
            t = int(name)
            png = Image.open(
                osp.join(root, 'train', 'Annotations', vid, name + '.png'))
            assert png.mode == 'P'
            assert png.getpalette()[:9] == [0, 0, 0, 128, 0, 0, 0, 128, 0]
            label = np.asarray(png)
            for a in actors:
                obj = str(a['instance_id'] + 1)
                np.testing.assert_array_equal(label == int(obj),
                                              visible[a['instance_id']][t])
                shows = name in objects[vid]['objects'][obj]['frames']
                assert shows == bool(visible[a['instance_id']][t].any())
                absent += not shows
            assert set(np.unique(label)) <= {0} | {
                a['instance_id'] + 1
                for a in actors
            }
            jpg = np.asarray(
                Image.open(
                    osp.join(root, 'train', 'JPEGImages', vid, name + '.jpg')),
                np.float32)
            assert np.abs(jpg - frames[t]).mean() < 6  # JPEG loss only
        for obj in objects[vid]['objects'].values():
            assert obj['frames'] and obj['category'] in SHAPES
        for e in record['expressions'].values():
            assert e['obj_id'] in objects[vid]['objects']
    assert absent > 0  # some actor enters late or leaves early
    # two expressions per object; the truth of all splits in the meta
    assert len(meta['expressions']) == 2 * sum(
        len(v['actors']) for v in meta['videos'].values())


def _decode(rle):
    from pycocotools import mask as mask_utils
    return mask_utils.decode(dict(rle, counts=rle['counts'].encode())) > 0


def test_mevis_layout_and_rle_masks(mevis):
    root, summary, meta = mevis
    assert set(os.listdir(root)) == {
        'train', 'valid_u', 'valid', 'generator_meta.json'
    }
    assert not osp.exists(osp.join(root, 'valid', 'mask_dict.json'))
    nulls = 0
    for split in ('train', 'valid_u'):
        videos = _load(root, split, 'meta_expressions.json')['videos']
        masks = _load(root, split, 'mask_dict.json')
        seen = []
        for vid, record in videos.items():
            assert record['frames'] == [f'{t:05d}' for t in range(8)]
            assert sorted(
                os.listdir(
                    osp.join(root, split, 'JPEGImages',
                             vid))) == [f'{t:05d}.jpg' for t in range(8)]
            _, visible = _rendered(meta, vid)
            anno = meta['videos'][vid]['anno_ids']
            seen += anno.values()
            for iid, aid in anno.items():
                rles = masks[str(aid)]
                assert len(rles) == len(record['frames'])
                for t, rle in enumerate(rles):
                    if rle is None:
                        nulls += 1
                        assert not visible[int(iid)][t].any()
                    else:
                        assert isinstance(rle['counts'], str)
                        assert rle['size'] == [64, 64]
                        np.testing.assert_array_equal(
                            _decode(rle), visible[int(iid)][t])
            for e in record['expressions'].values():
                assert isinstance(e['obj_id'], list)
                assert e['anno_id'] == [anno[str(i)] for i in e['obj_id']]
        # anno ids number the split's objects; all of them have masks
        assert sorted(seen) == list(range(len(seen)))
        assert set(masks) == {str(a) for a in seen}
    assert nulls > 0 and summary['counts']['null_rle_frames'] == nulls
    for e in _load(root, 'valid', 'meta_expressions.json')['videos'].values():
        for x in e['expressions'].values():
            assert set(x) == {'exp'}


def _matches(actor, mention):
    return all(actor[k] == v for k, v in mention.items())


def test_mevis_multi_object_targets_are_the_union(mevis):
    root, summary, meta = mevis
    masks = _load(root, 'train', 'mask_dict.json')
    videos = _load(root, 'train', 'meta_expressions.json')['videos']
    multi = [
        e for e in meta['expressions']
        if e['kind'] == 'multi' and e['split'] == 'train'
    ]
    assert multi
    for q in multi:
        actors = meta['videos'][q['video_id']]['actors']
        # the mention names exactly its targets, two or more
        assert [a['instance_id'] for a in actors
                if _matches(a, q['mention'])] == q['instance_ids']
        assert len(q['instance_ids']) >= 2
        entry = videos[q['video_id']]['expressions'][q['exp_id']]
        assert entry['exp'] == q['query'] and entry['obj_id'] == q[
            'instance_ids']
        _, visible = _rendered(meta, q['video_id'])
        for t in range(8):
            union = np.zeros((64, 64), bool)
            for aid in entry['anno_id']:
                if masks[str(aid)][t] is not None:
                    union |= _decode(masks[str(aid)][t])
            expected = np.any([visible[i][t] for i in q['instance_ids']], 0)
            np.testing.assert_array_equal(union, expected)
    # motion groups too ("the shapes moving left"), in any split
    assert any(e['kind'] == 'multi' and e['mentions_action']
               for e in meta['expressions'])
    c = summary['counts']
    assert c['train_multi_expressions'] == sum(
        e['kind'] == 'multi' and e['split'] == 'train'
        for e in meta['expressions'])


def test_mevis_no_target_expressions(mevis):
    root, summary, meta = mevis
    none = [e for e in meta['expressions'] if e['kind'] == 'no_target']
    # no_target_prob=1: one per video
    assert len(none) == 8 and summary['counts']['train_no_target_expressions']
    kinds = set()
    for q in none:
        actors = meta['videos'][q['video_id']]['actors']
        assert not any(_matches(a, q['mention']) for a in actors)
        kinds.add(q['no_target_kind'])
        if q['split'] != 'valid':
            entry = _load(root, q['split'], 'meta_expressions.json')['videos'][
                q['video_id']]['expressions'][q['exp_id']]
            assert entry == dict(exp=q['query'], obj_id=[], anno_id=[])
    assert kinds <= {'absent', 'wrong_action'}


def _tree_bytes(root):
    out = {}
    for d, _, files in os.walk(root):
        for f in files:
            if f != 'generator_meta.json':
                with open(osp.join(d, f), 'rb') as fh:
                    out[osp.relpath(osp.join(d, f), root)] = fh.read()
    return out


@pytest.mark.parametrize('layout', ['ytvos', 'mevis'])
def test_cstm_layouts_are_seeded(tmp_path, layout):
    gen = dict(
        ytvos=syn.generate_ref_youtube_vos, mevis=syn.generate_mevis)[layout]
    kw = dict(num_videos=4, height=32, width=32, num_frames=10)
    a = gen(str(tmp_path / 'a'), **kw)
    gen(str(tmp_path / 'b'), **kw)
    gen(str(tmp_path / 'c'), seed=1, **kw)
    ta, tb, tc = (_tree_bytes(str(tmp_path / x)) for x in 'abc')
    assert ta == tb  # json, jpg and png: the same bytes
    assert ta != tc
    assert any(k.endswith('.json') for k in ta)
    ma, mb = (load_meta(str(tmp_path / x)) for x in 'ab')
    assert ma['expressions'] == mb['expressions']
    assert a['params']['layout'] in ('ref_youtube_vos', 'mevis')
    with pytest.raises(FileExistsError, match='overwrite'):
        gen(str(tmp_path / 'a'), **kw)
    gen(str(tmp_path / 'a'), overwrite=True, **kw)
    assert _tree_bytes(str(tmp_path / 'a')) == ta


def test_a2d_layout_unchanged(tmp_path):
    """The A2D tree of seed 1 is what it was before the other layouts were
    added (the benchmark's numbers depend on it)."""
    make_synthetic_a2d(str(tmp_path))
    meta = load_meta(str(tmp_path))

    def digest(data: bytes) -> str:
        return hashlib.sha256(data).hexdigest()

    # the scenes (the tracks the pretraining sets read are derived from them)
    scenes = {
        vid: {
            k: v
            for k, v in video.items() if k != 'tracks'
        }
        for vid, video in meta['videos'].items()
    }
    assert digest(json.dumps(scenes, sort_keys=True).encode()) == (
        '184c92309ff00f94cb41c098eb853718b066d8bccca5b2b97b39dcddda93eae3')
    assert digest(json.dumps(meta['queries'], sort_keys=True).encode()) == (
        '4b9dd6b25a9139e5a8b42587931da904763e277131b727d1b5529b08ff96ba70')
    for rel, want in (
        ('text_annotations/a2d_annotation.txt',
         '12a9677cd5f2dc2cf21ffa275267c9c6bf4e078c9fa20afcd1e52730d31151ae'),
        ('Release/videoset.csv',
         'b387e29f1ca8cf18818271c60c83e4094e6213901d86c43ea61d3f16fc615831')):
        with open(tmp_path / rel, 'rb') as f:
            assert digest(f.read()) == want, rel
    assert not any('enter' in a or 'leave' in a
                   for v in meta['videos'].values() for a in v['actors'])


def test_generate_cli_layouts(tmp_path, capsys):
    out = str(tmp_path / 'y')
    assert run_tool('synthetic/generate.py', out, '--layout',
                    'ref_youtube_vos', '--num-videos', '4', '--height', '32',
                    '--width', '32', '--num-frames', '11') == 0
    text = capsys.readouterr().out
    assert 'wrote' in text and 'in the valid list' in text
    assert _load(out, 'meta_expressions', 'train', 'meta_expressions.json')
    frames = next(
        iter(
            _load(out, 'meta_expressions', 'valid',
                  'meta_expressions.json')['videos'].values()))['frames']
    assert frames == ['00000', '00005', '00010']
    out = str(tmp_path / 'm')
    assert run_tool('synthetic/generate.py', out, '--layout', 'mevis',
                    '--num-videos', '4', '--height', '32', '--width', '32',
                    '--num-frames', '6', '--no-target-prob', '0') == 0
    assert 'no-target' in capsys.readouterr().out
    assert load_meta(out)['counts']['train_no_target_expressions'] == 0
    with pytest.raises(SystemExit):
        run_tool('synthetic/generate.py', str(tmp_path / 'x'), '--multi-prob',
                 '0.5')  # a mevis option on a2d
    assert 'does not apply' in capsys.readouterr().err
