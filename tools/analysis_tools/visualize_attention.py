"""Per-word CMAM attention of both encoders and LGFS selection (paper Fig. 5).

    # a video and a query of your own (frame index 0-based)
    python tools/analysis_tools/visualize_attention.py CONFIG CHECKPOINT \\
        --video demo.mp4 --query "the red circle is jumping" --frame 12 \\
        --stage 3 --out-dir work_dirs/attention

    # a sample of the config's test dataset
    python tools/analysis_tools/visualize_attention.py CONFIG CHECKPOINT \\
        --sample-idx 0 --out-dir work_dirs/attention

Writes ``spatial_stage{S}.png`` and ``temporal_stage{S}.png`` (one panel per
word: its CMAM relevance map over the target frame, the word and its weight w~
as the title; temporal: the target frame's time slice), ``word_weights.json``
(w~ of every word at every CMAM stage of both encoders), ``lgfs.json`` and
``lgfs.png`` (share of the spatial vs temporal feature selected per decoder
stage, mean over channels) and ``prediction.png``.
"""
import argparse
import os
import os.path as osp
import sys


def parse_args(argv=None):
    from mmengine.config import DictAction
    p = argparse.ArgumentParser(
        description='CMAM word attention and LGFS selection of CSTED')
    p.add_argument('config')
    p.add_argument('checkpoint', help='path, URL or model-zoo name')
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument('--video', help='video file or frame folder')
    src.add_argument(
        '--sample-idx', type=int, help='index into the config\'s test dataset')
    p.add_argument('--query', help='the query (with --video)')
    p.add_argument(
        '--frame',
        type=int,
        default=0,
        help='target frame, 0-based (with --video)')
    p.add_argument(
        '--stage',
        type=int,
        default=3,
        choices=[1, 2, 3, 4, 5],
        help='CMAM stage to draw')
    p.add_argument(
        '--normalise',
        default='word',
        choices=['word', 'global'],
        help='scale each word map on its own or all together')
    p.add_argument('--out-dir', required=True)
    p.add_argument('--device', default='cpu')
    p.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='key=value config overrides')
    args = p.parse_args(argv)
    if args.video and not args.query:
        p.error('--video needs --query')
    return args


def _from_dataset(model, index: int):
    """(clip, query, target_index, img_shape, ori_shape, frame) of a test
    sample of the model's config."""
    from mmcsted.registry import DATASETS
    from mmcsted.utils.video_io import read_frame
    from mmcsted.visualization import frame_from_clip
    dataset = DATASETS.build(model.cfg.test_dataloader.dataset)
    if not 0 <= index < len(dataset):
        raise IndexError(f'--sample-idx {index} outside 0..{len(dataset) - 1}')
    item = dataset[index]
    clip, sample = item['inputs'], item['data_samples']
    meta = sample.metainfo
    frame = None
    if meta.get('video_path') or meta.get('frame_dir'):
        try:
            frame = read_frame(
                meta.get('video_path'), meta.get('frame_dir'),
                int(meta['frame_id']),
                meta.get('filename_tmpl') or '{:05d}.jpg')
        except Exception as e:  # fall back to the network input
            print(f'cannot read the original frame ({e}); using the input')
    if frame is None:
        frame = frame_from_clip(clip, meta)
    return (clip, meta['query'], meta.get('target_index'),
            meta.get('img_shape'), meta.get('ori_shape',
                                            frame.shape[:2]), frame)


def main(argv=None) -> int:
    args = parse_args(argv)
    import cv2

    from mmcsted.apis import init_model
    from mmcsted.apis.inference import check_query
    from mmcsted.utils.atomic_write import atomic_write_image
    from mmcsted.visualization import overlay_query_mask
    from tools.analysis_tools.attention_figures import save_attention_figures
    from tools.analysis_tools.attention_recording import (load_clip,
                                                          run_with_recording)

    model = init_model(args.config, args.checkpoint, args.device,
                       args.cfg_options)
    if args.video:
        check_query(args.query)
        item = load_clip(model, args.video, args.frame)
        clip, query, target_index = item.clip, args.query, None
        img_shape, ori_shape, frame = item.img_shape, item.ori_shape, \
            item.frame
        where = f'{args.video} frame {args.frame}'
    else:
        clip, query, target_index, img_shape, ori_shape, frame = \
            _from_dataset(model, args.sample_idx)
        where = f'test sample {args.sample_idx}'
    result = run_with_recording(model, clip, query, target_index, img_shape,
                                ori_shape)
    written = save_attention_figures(result, frame, args.out_dir, args.stage,
                                     args.normalise)
    pred = overlay_query_mask(
        frame, result['pred_sem_seg'], query, min_size=320)
    path = osp.join(args.out_dir, 'prediction.png')
    atomic_write_image(cv2.cvtColor(pred, cv2.COLOR_RGB2BGR), path)
    written['prediction'] = path
    print(f'{where}: "{query}"')
    for name in ('spatial', 'temporal'):
        if args.stage in result[name]:
            w = result[name][args.stage]['word_weights']
            pairs = ', '.join(f'{t}={v:.2f}'
                              for t, v in zip(result['words'][name], w))
            print(f'  {name} CMAM stage {args.stage} word weights: {pairs}')
    for stage, v in sorted(result['lgfs'].items()):
        print(f'  LGFS stage {stage}: spatial {v["spatial_share"]:.3f} / '
              f'temporal {v["temporal_share"]:.3f}')
    for what, path in written.items():
        print(f'  wrote {what}: {path}')
    return 0


if __name__ == '__main__':
    sys.path.insert(
        0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
    os.environ.setdefault('MPLBACKEND', 'Agg')
    sys.exit(main())
