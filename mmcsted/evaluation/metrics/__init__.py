from .refer_seg_metric import ReferSegMetric, release_masks

__all__ = ['ReferSegMetric', 'release_masks']
