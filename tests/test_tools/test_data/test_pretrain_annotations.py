"""The annotation files of the synthetic pretraining sets
(tools/data/synthetic/pretrain_annotations.py): splits, labels, hold-out."""
import json
import os.path as osp

import pytest

from tools.data.synthetic import world as syn
from tools.data.synthetic.pretrain_annotations import (
    APPEARANCE_CLASSES, PRETRAINING_SETS, SPLITS, actor_samples,
    annotation_file, appearance_label, has_pretrain_annotations, main,
    write_pretrain_annotations)
from tools.data.synthetic.render import actor_pose


@pytest.fixture
def tiny(synthetic_actor_tree):
    return synthetic_actor_tree


def _samples(meta, split, set_name='synthetic_kinetics', val_ratio=0.1):
    return actor_samples(meta, split, PRETRAINING_SETS[set_name][1], val_ratio,
                         0.5)


def _keys(samples):
    return {(d['video_id'], d['instance_id']) for d in samples}


def test_the_generator_writes_every_file(tiny):
    root, meta = tiny
    assert has_pretrain_annotations(root)
    with open(osp.join(root, annotation_file('synthetic_imagenet',
                                             'test'))) as f:
        written = json.load(f)
    assert written['metainfo']['classes'] == list(APPEARANCE_CLASSES)
    assert written['data_list'] == _samples(meta, 'test', 'synthetic_imagenet')


def test_splits_use_train_videos_only(tiny):
    root, meta = tiny
    train = _samples(meta, 'train', val_ratio=0.3)
    val = _samples(meta, 'val', val_ratio=0.3)
    trainval = _samples(meta, 'trainval')
    test = _samples(meta, 'test')
    assert _keys(train).isdisjoint(_keys(val))
    assert _keys(train) | _keys(val) == _keys(trainval)
    assert all(meta['videos'][v]['subset'] == 0 for v, _ in _keys(trainval))
    assert all(meta['videos'][v]['subset'] == 1 for v, _ in _keys(test))
    # every visible actor of a train video is a sample
    n = sum(
        len(v['actors']) for v in meta['videos'].values() if v['subset'] == 0)
    assert len(trainval) <= n and len(trainval) >= n - 2
    assert [d['video_id'] for d in trainval] == sorted(d['video_id']
                                                       for d in trainval)
    with pytest.raises(ValueError, match='val_ratio'):
        write_pretrain_annotations(root, meta, val_ratio=1.0)


def test_labels_are_the_actors_own(tiny):
    root, meta = tiny
    kin = _samples(meta, 'trainval')
    img = _samples(meta, 'trainval', 'synthetic_imagenet')
    assert PRETRAINING_SETS['synthetic_kinetics'][0] == syn.ACTIONS
    assert len(APPEARANCE_CLASSES) == 96
    actors = {
        (vid, a['instance_id']): a
        for vid, v in meta['videos'].items()
        for a in v['actors']
    }
    for d in kin:
        a = actors[(d['video_id'], d['instance_id'])]
        assert syn.ACTIONS[d['label']] == a['action']
        assert len(d['centres']) == len(d['visible']) == 12
        x, y, _ = actor_pose(a, 5)
        assert d['centres'][5] == pytest.approx([x, y])
    for d in img:
        a = actors[(d['video_id'], d['instance_id'])]
        assert APPEARANCE_CLASSES[d['label']] == \
            f'{a["size"]} {a["colour"]} {a["shape"]}'
    assert appearance_label('ring', 'cyan', 'big') == 95


def test_a_tree_without_tracks_is_refused(tiny):
    root, meta = tiny
    old = dict(
        meta,
        videos={
            v: {
                k: x
                for k, x in e.items() if k != 'tracks'
            }
            for v, e in meta['videos'].items()
        })
    with pytest.raises(ValueError, match='no actor tracks.*regenerate'):
        _samples(old, 'trainval')


def test_the_command_writes_them_for_an_older_tree(tiny, tmp_path, capsys):
    root, _ = tiny
    (tmp_path / 'generator_meta.json').write_text(
        open(osp.join(root, 'generator_meta.json')).read())
    assert not has_pretrain_annotations(str(tmp_path))
    assert main([str(tmp_path), '--val-ratio', '0.2']) == 0
    assert has_pretrain_annotations(str(tmp_path))
    assert capsys.readouterr().out.count('wrote') == 2 * len(SPLITS)
