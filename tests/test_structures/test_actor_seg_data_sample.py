import pytest
import torch
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample

from mmcsted.structures import ActorSegDataSample


def test_is_an_mmseg_data_sample_with_its_fields():
    sample = ActorSegDataSample(metainfo=dict(query='the dog', frame_id=3))
    assert isinstance(sample, SegDataSample)
    sample.gt_sem_seg = PixelData(data=torch.ones(1, 4, 5, dtype=torch.uint8))
    sample.seg_logits = PixelData(data=torch.rand(1, 4, 5))
    sample.pred_sem_seg = PixelData(data=sample.seg_logits.data >= 0.5)
    assert set(sample.keys()) == {'gt_sem_seg', 'seg_logits', 'pred_sem_seg'}
    assert sample.gt_sem_seg.shape == (4, 5)
    assert sample.query == 'the dog' and sample.frame_id == 3
    with pytest.raises(AssertionError):
        sample.gt_sem_seg = torch.ones(1, 4, 5)  # only PixelData
    del sample.pred_sem_seg
    assert 'pred_sem_seg' not in sample
    # the fields are mmseg's own, so its visualizer and hooks read them
    for name in ('gt_sem_seg', 'pred_sem_seg', 'seg_logits'):
        assert getattr(ActorSegDataSample,
                       name) is getattr(SegDataSample, name)
