from .jf_metric import (JFMetric, boundary_f, boundary_tolerance,
                        mask_boundary, region_similarity_j)
from .ref_davis_metric import RefDAVIS17Metric, merge_expression_masks
from .refer_seg_metric import ReferSegMetric, release_masks

__all__ = [
    'ReferSegMetric', 'release_masks', 'JFMetric', 'region_similarity_j',
    'boundary_f', 'boundary_tolerance', 'mask_boundary', 'RefDAVIS17Metric',
    'merge_expression_masks'
]
