from .functional import (boundary_f, boundary_tolerance, cstm_masks,
                         mask_boundary, region_similarity_j)
from .metrics import *  # noqa: F401,F403
from .metrics import __all__ as _metrics_all
from .submission import (SUBMISSION_LAYOUTS, SubmissionWriter,
                         submission_png_path, write_mask_png, zip_submission)

__all__ = list(_metrics_all) + [
    'cstm_masks', 'region_similarity_j', 'boundary_f', 'boundary_tolerance',
    'mask_boundary', 'SUBMISSION_LAYOUTS', 'SubmissionWriter',
    'submission_png_path', 'write_mask_png', 'zip_submission'
]
