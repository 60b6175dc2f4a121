"""What the metrics share: sample reading, IoU counts, binarisation, J and
F of DAVIS, COCO mask mAP and result tables (as mmseg's
``evaluation/functional``)."""
from .binarize import BINARIZE_RULES, binarize_score, cstm_masks
from .coco import coco_mask_map, encode_rle
from .iou import (foreground_intersect_and_union, overall_iou, precision_at,
                  smoothed_iou)
from .jf import (FrameBoundaries, as_bool_mask, boundary_f, boundary_tolerance,
                 dilate_boundary, disk_kernel, mask_boundary,
                 region_similarity_j)
from .sample import (expression_id, gt_and_void, pixel_map, resize_mask,
                     resize_score, sample_get, to_python)
from .table import format_table

__all__ = [
    'BINARIZE_RULES', 'binarize_score', 'cstm_masks', 'coco_mask_map',
    'encode_rle', 'foreground_intersect_and_union', 'overall_iou',
    'precision_at', 'smoothed_iou', 'FrameBoundaries', 'as_bool_mask',
    'boundary_f', 'boundary_tolerance', 'dilate_boundary', 'disk_kernel',
    'mask_boundary', 'region_similarity_j', 'expression_id', 'gt_and_void',
    'pixel_map', 'resize_mask', 'resize_score', 'sample_get', 'to_python',
    'format_table'
]
