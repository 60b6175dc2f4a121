"""What does an encoder of CSTED know about the actors' actions? A probe.

    python tools/analysis_tools/probe_temporal_encoder.py CONFIG [CHECKPOINT]
        [--split test] [--max-samples N] [--out probe.json]

For each sample of the synthetic benchmark (one actor in one annotated frame;
a (video, frame, actor) triple counts once however many queries name it), the
encoder's features of the TARGET frame at each of its 5 stages (the temporal
encoder: the time step that holds the target frame, as the decoder reads it)
are averaged over the ground-truth mask of the actor (the mask scaled to the
stage's grid by area, so a cell counts by how much of it the actor covers).
Two probes then predict the actor's action from one stage's pooled feature:

* nearest centroid: class means of the train-split features (standardised
  with the train mean and std), Euclidean distance;
* linear probe: multinomial logistic regression (torch, full-batch L-BFGS,
  L2 ``--weight-decay``) fit on the train split.

Both are fit on the benchmark's TRAIN split and scored on ``--split`` (default
the test split; ``--split train`` scores on the fitted samples). The table
also gives chance (the majority class of the scored split) and the balanced
accuracy (mean per-class recall).

By default the encoder's backbone runs alone (no CMAM, no query): the probe
measures what the encoder itself knows before the query modulates it.
``--with-cmam`` runs the model's own encode path (backbone stages with the
query's CMAMs in between) instead.

Weights:
* no CHECKPOINT: the config's own initialisation (``init_weights``): random for
  a from-scratch config, the synthetic pretraining for the ``*pretrained*``
  configs (their backbones' ``init_cfg``);
* CHECKPOINT = a CSTED checkpoint (``state_dict`` keys ``temporal_encoder.``
  / ``spatial_encoder.``): the trained model;
* CHECKPOINT = a recognizer / classifier checkpoint (keys ``backbone.*``,
  e.g. ``work_dirs/synthetic_kinetics_r3d18_tiny/epoch_30.pth``): loaded into
  the probed encoder's backbone (``prefix='backbone.'``);
* ``--also-random``: also probe the same architecture from its random
  initialisation (every Pretrained init_cfg dropped, seed ``--seed``), on the
  same decoded samples, as a second column set.

``--encoder spatial`` probes the 2D encoder on the target frame instead, and
``--label shape|colour|size|appearance`` predicts another attribute of the
actor (all from ``generator_meta.json``).
"""
import argparse
import copy
import logging
import os.path as osp
import sys
import time
from typing import Dict, List, Optional, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from mmengine.config import Config, DictAction
from mmengine.dataset import pseudo_collate
from mmengine.logging import print_log

LABELS = ('action', 'shape', 'colour', 'size', 'appearance')


def parse_args(argv=None):
    p = argparse.ArgumentParser(
        description='Probe what a CSTED encoder knows about the actors '
        '(action by default), stage by stage')
    p.add_argument('config', help='a CSTED config of the synthetic benchmark')
    p.add_argument(
        'checkpoint',
        nargs='?',
        default=None,
        help='CSTED checkpoint, or a recognizer/classifier '
        'checkpoint (backbone.* keys); none: the config\'s own '
        'initialisation')
    p.add_argument(
        '--split',
        default='test',
        choices=('train', 'test'),
        help='split the probes are scored on (they are always fit '
        'on the train split)')
    p.add_argument(
        '--max-samples',
        type=int,
        default=None,
        help='at most this many samples of the scored split '
        '(a fixed random subset)')
    p.add_argument(
        '--max-fit-samples',
        type=int,
        default=None,
        help='at most this many train samples to fit on '
        '(default: --max-samples)')
    p.add_argument(
        '--encoder', default='temporal', choices=('temporal', 'spatial'))
    p.add_argument('--label', default='action', choices=LABELS)
    p.add_argument(
        '--with-cmam',
        action='store_true',
        help='run the encoder with the query\'s CMAMs (the '
        'model\'s encode path), not the backbone alone')
    p.add_argument(
        '--also-random',
        action='store_true',
        help='also probe the random initialisation of the same '
        'architecture')
    p.add_argument(
        '--data-root',
        default=None,
        help='the synthetic benchmark (default: the config\'s)')
    p.add_argument('--batch-size', type=int, default=16)
    p.add_argument('--num-workers', type=int, default=0)
    p.add_argument(
        '--weight-decay',
        type=float,
        default=1e-3,
        help='L2 penalty of the linear probe (on standardised '
        'features)')
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--out', default=None, help='write the results as JSON')
    p.add_argument('--cfg-options', nargs='+', action=DictAction)
    return p.parse_args(argv)


# ----------------------------------------------------------------- the model
def _strip_pretrained(node):
    if isinstance(node, dict):
        init = node.get('init_cfg')
        if isinstance(init, dict) and init.get('type') == 'Pretrained':
            node['init_cfg'] = None
        for v in node.values():
            _strip_pretrained(v)
    return node


def _vocab_placeholder(node):
    """A GRU text encoder whose vocabulary file is absent gets a one-word
    placeholder (the backbone-only probe never reads the query)."""
    if isinstance(node, dict):
        vocab_file = node.get('vocab_file')
        if node.get('type') == 'GRUTextEncoder' and node.get(
                'vocab') is None and not (vocab_file
                                          and osp.isfile(vocab_file)):
            node.update(vocab=['word'], vocab_file=None)
        for v in node.values():
            _vocab_placeholder(v)
    return node


def _checkpoint_state(path: str) -> Dict:
    from mmengine.runner.checkpoint import _load_checkpoint

    from mmcsted.utils import install_stack_workarounds
    install_stack_workarounds()  # safe loaders for _load_checkpoint
    ckpt = _load_checkpoint(path, map_location='cpu', logger='current')
    state = ckpt.get('state_dict', ckpt) if isinstance(ckpt, dict) else ckpt
    return {
        k[7:] if k.startswith('module.') else k: v
        for k, v in state.items()
    }


def _checkpoint_kind(checkpoint: str, enc_key: str):
    """('csted' or 'backbone', the state dict) of ``checkpoint``."""
    state = _checkpoint_state(checkpoint)
    if any(k.startswith(enc_key + '.') for k in state):
        return 'csted', state
    if any(k.startswith('backbone.') for k in state):
        return 'backbone', state
    raise ValueError(
        f'{checkpoint}: neither a CSTED checkpoint with '
        f'{enc_key}.* keys nor a recognizer/classifier checkpoint '
        f'with backbone.* keys (first keys: {list(state)[:3]})')


def _load_csted_state(model, state: Dict, checkpoint: str,
                      enc_key: str) -> str:
    """Load a CSTED checkpoint (the probed encoder's weights all there)."""
    result = model.load_state_dict(state, strict=False)
    enc_missing = [
        k for k in result.missing_keys
        if k.startswith(enc_key +
                        '.') and not k.endswith('num_batches_tracked')
    ]
    if enc_missing:
        raise RuntimeError(f'{checkpoint} lacks {len(enc_missing)} '
                           f'{enc_key} weights, e.g. {enc_missing[:3]}')
    return f'CSTED checkpoint {checkpoint}'


def _load_backbone_state(model, checkpoint: str, enc_key: str) -> str:
    """Load a recognizer / classifier checkpoint into the probed encoder's
    backbone (every backbone weight there)."""
    from mmcsted.models.backbones.pretrained import load_pretrained_weights
    backbone = getattr(model, enc_key).backbone
    report = load_pretrained_weights(
        backbone.backbone,
        dict(checkpoint=checkpoint, prefix='backbone.'),
        name=type(backbone.backbone).__name__,
        unused_prefixes=backbone.dropped_children)
    if report['missing']:
        raise RuntimeError(f'{checkpoint} lacks backbone weights: '
                           f'{report["missing"][:5]}')
    return f'backbone checkpoint {checkpoint} (prefix backbone.)'


def build_probed_model(cfg: Config,
                       checkpoint: Optional[str],
                       encoder: str,
                       random_init: bool = False,
                       with_cmam: bool = False,
                       seed: int = 0):
    """The CSTED of ``cfg`` with the weights the probe should see (see the
    module doc), in eval mode, and a one-line description of them."""
    from mmcsted.registry import MODELS
    model_cfg = copy.deepcopy(cfg.model.to_dict())
    enc_key = f'{encoder}_encoder'
    if not model_cfg.get(enc_key):
        raise ValueError(f'the config has no {enc_key}')
    kind = None
    state = None
    if checkpoint is not None and not random_init:
        kind, state = _checkpoint_kind(checkpoint, enc_key)
    if random_init or kind is not None:
        _strip_pretrained(model_cfg)
    if kind == 'csted':
        from mmcsted.apis.inference import vocab_from_checkpoint_if_missing
        vocab_from_checkpoint_if_missing(model_cfg)
    if not with_cmam or kind != 'csted':
        _vocab_placeholder(model_cfg)
    torch.manual_seed(seed)
    model = MODELS.build(model_cfg)
    if kind != 'csted':
        model.init_weights()
    if kind == 'csted':
        what = _load_csted_state(model, state, checkpoint, enc_key)
    elif kind == 'backbone':
        what = _load_backbone_state(model, checkpoint, enc_key)
    elif random_init:
        what = f'random initialisation (seed {seed})'
    else:
        what = 'the config\'s initialisation (init_weights)'
    model.eval()
    return model, what


@torch.no_grad()
def stage_features(model, inputs: Dict, data_samples, encoder: str,
                   with_cmam: bool) -> List[torch.Tensor]:
    """The 5 stage features of the target frame: (N, C, h, w) each."""
    clip, frame = inputs['clip'], inputs['frame']
    enc = getattr(model, f'{encoder}_encoder')
    x = clip if encoder == 'temporal' else frame
    if with_cmam:
        texts = [ds.metainfo['query'] for ds in data_samples]
        tokens = model.tokenize(texts)[encoder]
        if model.text_encoder is not None:
            words, mask = model.text_encoder(*tokens)
            feats = enc.forward_words(x, words, mask)
        else:
            feats = enc(x, *tokens)[0]
    else:
        feats = enc.backbone(x)
    if encoder == 'spatial':
        return feats
    t = clip.shape[2]
    target_index = torch.tensor(
        [ds.metainfo.get('target_index', t // 2) for ds in data_samples],
        device=clip.device)
    strides = enc.backbone.temporal_strides
    return [
        model.middle_slice(f) if model.temporal_index == 'middle' else
        model.target_slice(f, target_index, s) for f, s in zip(feats, strides)
    ]


def masked_pool(feat: torch.Tensor, masks: torch.Tensor) -> torch.Tensor:
    """Average of (N, C, h, w) features over (N, H, W) masks, the masks
    scaled to h x w by area (fractional cover). Returns (N, C)."""
    w = F.interpolate(
        masks[:, None].float(), size=feat.shape[-2:], mode='area')
    return (feat * w).sum((2, 3)) / w.sum((2, 3)).clamp_min(1e-6)


# ------------------------------------------------------------------ the data
def probe_pipeline(cfg: Config) -> List[dict]:
    """The config's test pipeline with the mask loaded before the resize, so
    that it is at the input's resolution (no augmentation)."""
    pipeline = copy.deepcopy(
        cfg.test_dataloader.dataset.get('pipeline', None)
        or cfg.get('test_pipeline'))
    pipeline = [dict(t) for t in pipeline]
    names = [t['type'].split('.')[-1] for t in pipeline]
    if 'VideoDecode' not in names:
        raise ValueError('the test pipeline has no VideoDecode')
    pipeline = [
        t for t in pipeline if t['type'].split('.')[-1] != 'LoadActorMask'
    ]
    at = [t['type'].split('.')[-1] for t in pipeline].index('VideoDecode')
    pipeline.insert(at + 1, dict(type='LoadActorMask'))
    return pipeline


def build_split(cfg: Config, split: str, data_root: Optional[str]):
    from mmcsted.registry import DATASETS
    ds_cfg = copy.deepcopy(cfg.test_dataloader.dataset.to_dict())
    ds_cfg.update(
        split=split,
        test_mode=True,
        pipeline=probe_pipeline(cfg),
        progress=False)
    if data_root is not None:
        ds_cfg['data_root'] = data_root
        if ds_cfg.get('query_flags_file') and osp.isabs(
                ds_cfg['query_flags_file']):
            ds_cfg['query_flags_file'] = None
    return DATASETS.build(ds_cfg)


def actor_labels(meta: Dict, label: str):
    """``{(video_id, instance_id): class index}`` and the class names."""
    from tools.data.synthetic.pretrain_annotations import (APPEARANCE_CLASSES,
                                                           appearance_label)
    from tools.data.synthetic.world import ACTIONS, COLOURS, SHAPES, SIZES
    names = dict(
        action=ACTIONS,
        shape=SHAPES,
        colour=tuple(COLOURS),
        size=SIZES,
        appearance=APPEARANCE_CLASSES)[label]
    out = {}
    for vid, video in meta['videos'].items():
        for a in video['actors']:
            if label == 'appearance':
                y = appearance_label(a['shape'], a['colour'], a['size'])
            else:
                y = list(names).index(a[label])
            out[(vid, int(a['instance_id']))] = y
    return out, tuple(names)


def unique_samples(dataset, max_samples: Optional[int],
                   seed: int) -> List[int]:
    """Indices of one sample per (video, frame, actor), at most
    ``max_samples`` of them (a fixed random subset), in dataset order."""
    seen, keep = set(), []
    for i in range(len(dataset)):
        info = dataset.get_data_info(i)
        key = (info['video_id'], info['frame_id'], info['instance_id'])
        if key not in seen:
            seen.add(key)
            keep.append(i)
    if max_samples is not None and len(keep) > max_samples:
        rng = np.random.default_rng(seed)
        keep = sorted(rng.choice(keep, max_samples, replace=False).tolist())
    return keep


@torch.no_grad()
def extract(models: Dict[str, torch.nn.Module], dataset, indices, labels,
            args) -> Dict:
    """Pooled stage features of every model on the same decoded samples."""
    from torch.utils.data import DataLoader, Subset
    loader = DataLoader(
        Subset(dataset, indices),
        batch_size=args.batch_size,
        num_workers=args.num_workers,
        collate_fn=pseudo_collate)
    feats = {name: [[] for _ in range(5)] for name in models}
    ys, keys = [], []
    preprocessor = next(iter(models.values())).data_preprocessor
    for batch in loader:
        data = preprocessor(batch, False)
        inputs, samples = data['inputs'], data['data_samples']
        h, w = inputs['clip'].shape[-2:]
        masks = []
        for ds in samples:
            m = ds.gt_sem_seg.data[0].float()
            masks.append(F.pad(m, (0, w - m.shape[-1], 0, h - m.shape[-2])))
        masks = torch.stack(masks)
        for name, model in models.items():
            for s, f in enumerate(
                    stage_features(model, inputs, samples, args.encoder,
                                   args.with_cmam)):
                feats[name][s].append(masked_pool(f.float(), masks))
        for ds in samples:
            key = (ds.metainfo['video_id'], int(ds.metainfo['instance_id']))
            ys.append(labels[key])
            keys.append(list(key) + [int(ds.metainfo['frame_id'])])
    return dict(
        feats={
            n: [torch.cat(s).numpy().astype(np.float64) for s in stages]
            for n, stages in feats.items()
        },
        y=np.asarray(ys, np.int64),
        keys=keys)


# ---------------------------------------------------------------- the probes
def standardise(x_fit: np.ndarray, x: np.ndarray):
    mean = x_fit.mean(0)
    std = x_fit.std(0)
    std[std < 1e-8] = 1.0
    return (x_fit - mean) / std, (x - mean) / std


def nearest_centroid(x_fit, y_fit, x, num_classes: int) -> np.ndarray:
    classes = [c for c in range(num_classes) if (y_fit == c).any()]
    centroids = np.stack([x_fit[y_fit == c].mean(0) for c in classes])
    d = ((x[:, None, :] - centroids[None])**2).sum(-1)
    return np.asarray(classes)[d.argmin(1)]


def linear_probe(x_fit,
                 y_fit,
                 x,
                 num_classes: int,
                 weight_decay: float = 1e-3,
                 max_iter: int = 200,
                 seed: int = 0) -> np.ndarray:
    """Multinomial logistic regression, full-batch L-BFGS."""
    g = torch.Generator().manual_seed(seed)
    xf = torch.from_numpy(x_fit).double()
    yf = torch.from_numpy(y_fit)
    lin = torch.nn.Linear(xf.shape[1], num_classes).double()
    with torch.no_grad():
        lin.weight.copy_(
            torch.randn(lin.weight.shape, generator=g, dtype=torch.float64) *
            0.01)
        lin.bias.zero_()
    present = torch.zeros(num_classes, dtype=torch.bool)
    present[yf.unique()] = True
    opt = torch.optim.LBFGS(
        lin.parameters(),
        lr=1,
        max_iter=max_iter,
        history_size=20,
        line_search_fn='strong_wolfe')

    def closure():
        opt.zero_grad()
        logits = lin(xf).masked_fill(~present, -1e9)
        loss = F.cross_entropy(logits, yf) + \
            0.5 * weight_decay * lin.weight.pow(2).sum()
        loss.backward()
        return loss

    opt.step(closure)
    with torch.no_grad():
        logits = lin(torch.from_numpy(x).double()).masked_fill(~present, -1e9)
    return logits.argmax(1).numpy()


def scores(pred: np.ndarray, y: np.ndarray, num_classes: int) -> Dict:
    recalls = [
        float((pred[y == c] == c).mean()) for c in range(num_classes)
        if (y == c).any()
    ]
    return dict(
        acc=float((pred == y).mean()), balanced_acc=float(np.mean(recalls)))


def run_probes(fit: Dict, test: Dict, name: str, num_classes: int,
               args) -> List[Dict]:
    rows = []
    for s in range(5):
        xf, xt = standardise(fit['feats'][name][s], test['feats'][name][s])
        nc = scores(
            nearest_centroid(xf, fit['y'], xt, num_classes), test['y'],
            num_classes)
        lp_pred = linear_probe(
            xf, fit['y'], xt, num_classes, args.weight_decay, seed=args.seed)
        lp = scores(lp_pred, test['y'], num_classes)
        per_class = {
            int(c): float((lp_pred[test['y'] == c] == c).mean())
            for c in range(num_classes) if (test['y'] == c).any()
        }
        rows.append(
            dict(
                stage=s + 1,
                channels=int(xf.shape[1]),
                nearest_centroid=nc['acc'],
                nearest_centroid_balanced=nc['balanced_acc'],
                linear=lp['acc'],
                linear_balanced=lp['balanced_acc'],
                linear_per_class_recall=per_class))
    return rows


def format_table(results: Dict[str, List[Dict]], chance: float) -> str:
    head = f'{"weights":<14}{"stage":>6}{"C":>6}' \
        f'{"centroid":>10}{"(bal.)":>8}{"linear":>9}{"(bal.)":>8}'
    lines = [head, '-' * len(head)]
    for name, rows in results.items():
        for r in rows:
            lines.append(f'{name:<14}{r["stage"]:>6}{r["channels"]:>6}'
                         f'{100 * r["nearest_centroid"]:>10.1f}'
                         f'{100 * r["nearest_centroid_balanced"]:>8.1f}'
                         f'{100 * r["linear"]:>9.1f}'
                         f'{100 * r["linear_balanced"]:>8.1f}')
    lines.append(f'chance (majority class of the scored split): '
                 f'{100 * chance:.1f}')
    return '\n'.join(lines)


def _benchmark_labels(cfg: Config, args):
    """The actors' labels and the class names, from the synthetic
    benchmark's ``generator_meta.json``."""
    from tools.data.synthetic.world import load_meta
    data_root = args.data_root or cfg.test_dataloader.dataset.data_root
    if not osp.isfile(osp.join(data_root, 'generator_meta.json')):
        raise FileNotFoundError(
            f'{data_root}: not the synthetic benchmark (no '
            'generator_meta.json); make it with tools/data/synthetic/'
            'generate.py')
    return actor_labels(load_meta(data_root), args.label)


def _probed_models(cfg: Config, args):
    """{name: model} to probe and {name: what its weights are} (logged)."""
    models = {}
    main_name = 'checkpoint' if args.checkpoint else 'config-init'
    models[main_name], what = build_probed_model(
        cfg,
        args.checkpoint,
        args.encoder,
        with_cmam=args.with_cmam,
        seed=args.seed)
    described = {main_name: what}
    if args.also_random:
        models['random'], described['random'] = build_probed_model(
            cfg,
            None,
            args.encoder,
            random_init=True,
            with_cmam=args.with_cmam,
            seed=args.seed)
    for n, w in described.items():
        print_log(f'{n}: {w}', logger='current')
    return models, described


def _fit_and_scored_features(cfg: Config, models, labels, args):
    """The pooled features of the train samples the probes fit on and of
    the scored split's samples (the same ones with ``--split train``)."""
    fit_max = args.max_fit_samples if args.max_fit_samples is not None \
        else args.max_samples
    fit_ds = build_split(cfg, 'train', args.data_root)
    fit_idx = unique_samples(fit_ds, fit_max, args.seed)
    fit = extract(models, fit_ds, fit_idx, labels, args)
    if args.split == 'train':
        test = fit
        print_log(
            'scoring on the train split: the probes are scored on the '
            'samples they were fit on',
            logger='current',
            level=logging.WARNING)
    else:
        test_ds = build_split(cfg, args.split, args.data_root)
        test = extract(models, test_ds,
                       unique_samples(test_ds, args.max_samples, args.seed),
                       labels, args)
    return fit, test


def main(argv: Optional[Sequence[str]] = None) -> Dict:
    args = parse_args(argv)
    t0 = time.time()
    from mmcsted.utils import register_all_modules
    register_all_modules()
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    labels, names = _benchmark_labels(cfg, args)
    models, described = _probed_models(cfg, args)
    fit, test = _fit_and_scored_features(cfg, models, labels, args)
    num_classes = len(names)
    chance = float(
        np.bincount(test['y'], minlength=num_classes).max() / len(test['y']))
    results = {n: run_probes(fit, test, n, num_classes, args) for n in models}
    how = "with the query's CMAMs" if args.with_cmam else \
        'backbone alone, no CMAM'
    print(f'\nprobe of the {args.encoder} encoder ({how}), label: '
          f'{args.label} ({num_classes} classes); fit on '
          f'{len(fit["y"])} train samples, scored on {len(test["y"])} '
          f'{args.split} samples')
    for n, w in described.items():
        print(f'  {n}: {w}')
    print(format_table(results, chance))
    summary = dict(
        config=args.config,
        checkpoint=args.checkpoint,
        weights=described,
        encoder=args.encoder,
        label=args.label,
        classes=list(names),
        with_cmam=args.with_cmam,
        split=args.split,
        fit_samples=len(fit['y']),
        scored_samples=len(test['y']),
        chance=chance,
        class_counts=np.bincount(test['y'], minlength=num_classes).tolist(),
        weight_decay=args.weight_decay,
        seed=args.seed,
        results=results,
        seconds=round(time.time() - t0, 1))
    if args.out:
        from mmcsted.utils.atomic_write import atomic_write_json
        atomic_write_json(summary, args.out, indent=1)
        print(f'results: {args.out}')
    return summary


if __name__ == '__main__':
    main()
    sys.exit(0)
