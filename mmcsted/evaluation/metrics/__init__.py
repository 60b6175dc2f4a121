from .jf_metric import JFMetric
from .ref_davis_metric import RefDAVIS17Metric, merge_expression_masks
from .refer_seg_metric import ReferSegMetric

__all__ = [
    'ReferSegMetric', 'JFMetric', 'RefDAVIS17Metric', 'merge_expression_masks'
]
