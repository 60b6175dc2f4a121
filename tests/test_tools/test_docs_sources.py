"""docs/dataset_prepare.md names where the data and the pretrained weights
come from; the weights table must follow the configs."""
import glob
import os.path as osp

from mmengine.config import Config

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
DOC = osp.join(REPO, 'docs', 'dataset_prepare.md')


def _checkpoints(cfg):
    if isinstance(cfg, dict):
        init = cfg.get('init_cfg')
        if isinstance(init, dict) and init.get('checkpoint'):
            yield init['checkpoint']
        for value in cfg.values():
            yield from _checkpoints(value)
    elif isinstance(cfg, (list, tuple)):
        for value in cfg:
            yield from _checkpoints(value)


def test_every_pretrained_backbone_of_the_paper_configs_is_listed():
    doc = open(DOC, encoding='utf-8').read()
    configs = sorted(
        glob.glob(osp.join(REPO, 'configs', 'csted', '*.py')) +
        glob.glob(osp.join(REPO, 'configs', 'csted', 'ablations', '*.py')))
    seen = set()
    for path in configs:
        for ckpt in _checkpoints(Config.fromfile(path).model.to_dict()):
            seen.add(ckpt)
            # the two-stage recipe starts from the user's own work dirs
            name = osp.basename(ckpt) if ckpt.startswith('work_dirs') else ckpt
            assert name in doc, f'{ckpt} ({osp.relpath(path, REPO)})'
    assert len(seen) >= 6


def test_dataset_sources_are_named():
    doc = open(DOC, encoding='utf-8').read()
    for address in ('web.eecs.umich.edu/~jjcorso/r/a2d',
                    'kgavrilyuk.github.io/publication/actor_action',
                    'jhmdb.is.tue.mpg.de', 'nlp.stanford.edu/projects/glove',
                    'glove.840B.300d'):
        assert address in doc, address
