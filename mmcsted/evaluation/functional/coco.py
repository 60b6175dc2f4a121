"""COCO mask mAP (pycocotools) with one detection per sample."""
import contextlib
import io
from collections import OrderedDict
from typing import Dict, List

import numpy as np
from mmengine.logging import print_log


def encode_rle(mask: np.ndarray) -> dict:
    """COCO run-length encoding of a binary (H, W) mask."""
    from pycocotools import mask as mask_utils
    return mask_utils.encode(np.asfortranarray(mask.astype(np.uint8)))


def coco_mask_map(records: List[dict]) -> Dict[str, float]:
    """``coco_mAP``, ``coco_AP50``, ``coco_AP75`` in percent (COCO's
    "undefined", -1, stays -1.0) from ``COCOeval(iouType='segm')`` with
    ``useCats=0``.

    Args:
        records: one per sample (= one image): ``height``, ``width``,
            ``gt_rle`` (no annotation when empty), ``pred_rle`` and
            ``coco_score`` (the one detection).
    """
    from pycocotools import mask as mask_utils
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    images, gt_anns, dets = [], [], []
    for img_id, rec in enumerate(records, start=1):
        images.append(
            dict(id=img_id, height=rec['height'], width=rec['width']))
        gt_rle = rec['gt_rle']
        area = float(mask_utils.area(gt_rle))
        if area > 0:
            gt_anns.append(
                dict(
                    id=len(gt_anns) + 1,
                    image_id=img_id,
                    category_id=1,
                    segmentation=gt_rle,
                    area=area,
                    bbox=mask_utils.toBbox(gt_rle).tolist(),
                    iscrowd=0))
        dets.append(
            dict(
                image_id=img_id,
                category_id=1,
                segmentation=rec['pred_rle'],
                score=rec['coco_score']))

    log = io.StringIO()
    with contextlib.redirect_stdout(log):
        coco_gt = COCO()
        coco_gt.dataset = dict(
            images=images,
            annotations=gt_anns,
            categories=[dict(id=1, name='actor')])
        coco_gt.createIndex()
        coco_eval = COCOeval(coco_gt, coco_gt.loadRes(dets), iouType='segm')
        coco_eval.params.useCats = 0
        coco_eval.evaluate()
        coco_eval.accumulate()
        coco_eval.summarize()
    summary = [ln for ln in log.getvalue().splitlines() if 'Average' in ln]
    print_log(
        'COCO mask mAP (useCats=0, one detection per sample):\n' +
        '\n'.join(summary),
        logger='current')
    stats = [float(v) * 100 if v >= 0 else -1.0 for v in coco_eval.stats[:3]]
    return OrderedDict(zip(('coco_mAP', 'coco_AP50', 'coco_AP75'), stats))
