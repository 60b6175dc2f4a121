"""The README's demo picture, from the main job's model: the first twin query
of the synthetic test split (in the generator's order, not picked by the
result), the predicted mask on a few frames side by side.

    python tools/misc/synthetic_demo_figure.py CONFIG CHECKPOINT \
        [--data-root data/synthetic_a2d] [--nth 0] [--frames 3 9 15 21] \
        [--out docs/images/demo_twin.png]
"""
import argparse
import json
import os.path as osp

import cv2
import numpy as np

from mmcsted.apis import inference_video, init_model
from mmcsted.utils.atomic_write import atomic_write_image
from mmcsted.utils.video_io import open_video
from mmcsted.visualization.actor_seg_visualizer import (draw_query,
                                                        hstack_images,
                                                        overlay_query_mask)


def twin_test_query(data_root: str, nth: int) -> dict:
    """The ``nth`` test query whose target has an identical-looking twin."""
    with open(osp.join(data_root, 'generator_meta.json')) as f:
        queries = json.load(f)['queries']
    twins = [q for q in queries if q['split'] == 'test' and q['twin']]
    if nth >= len(twins):
        raise ValueError(f'{data_root} has {len(twins)} twin test queries')
    return twins[nth]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('--data-root', default='data/synthetic_a2d')
    parser.add_argument('--nth', type=int, default=0)
    parser.add_argument(
        '--frames', type=int, nargs='+', default=[3, 9, 15, 21])
    parser.add_argument(
        '--min-size',
        type=int,
        default=240,
        help='frames are enlarged to this long side')
    parser.add_argument('--out', default='docs/images/demo_twin.png')
    args = parser.parse_args()

    query = twin_test_query(args.data_root, args.nth)
    video = osp.join(args.data_root, 'Release', 'clips320H',
                     query['video_id'] + '.mp4')
    model = init_model(args.config, args.checkpoint, device='cpu')
    result = inference_video(
        model, video, query['query'], frames=args.frames, progress=False)
    reader = open_video(video)
    panels = [
        overlay_query_mask(reader.read(i), mask, min_size=args.min_size)
        for i, mask in zip(result.frame_indices, result.masks)
    ]
    reader.close()
    figure = draw_query(hstack_images(panels), f'"{query["query"]}"')
    atomic_write_image(cv2.cvtColor(figure, cv2.COLOR_RGB2BGR), args.out)
    print(f'{args.out}: {video}, "{query["query"]}" (target: '
          f'{query["target_action"]}), frames {result.frame_indices}; '
          f'mask pixels {[int(np.count_nonzero(m)) for m in result.masks]}')


if __name__ == '__main__':
    main()
