import pytest
import torch
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample

from mmcsted.structures import ActorSegDataSample


def test_is_an_mmseg_data_sample_with_the_actor_fields():
    sample = ActorSegDataSample(metainfo=dict(query='the dog', frame_id=3))
    assert isinstance(sample, SegDataSample)
    sample.gt_mask = PixelData(data=torch.ones(1, 4, 5, dtype=torch.uint8))
    sample.pred_score = PixelData(data=torch.rand(1, 4, 5))
    sample.pred_mask = PixelData(data=sample.pred_score.data >= 0.5)
    assert set(sample.keys()) == {'gt_mask', 'pred_score', 'pred_mask'}
    assert sample.gt_mask.shape == (4, 5)
    assert sample.query == 'the dog' and sample.frame_id == 3
    with pytest.raises(AssertionError):
        sample.gt_mask = torch.ones(1, 4, 5)  # only PixelData
    del sample.pred_mask
    assert 'pred_mask' not in sample
    # mmseg's own fields are there, empty
    sample.gt_sem_seg = PixelData(data=torch.zeros(1, 4, 5))
    assert 'gt_sem_seg' in sample
