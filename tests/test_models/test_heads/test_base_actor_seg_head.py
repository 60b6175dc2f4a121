"""The losses and the prediction that every CSTED decoder shares."""
import pytest
import torch
import torch.nn.functional as F
from mmengine.structures import PixelData

from mmcsted.models.heads import BaseActorSegHead, CSTEDHead, CSTMHead
from mmcsted.structures import ActorSegDataSample


class FixedLogitsHead(BaseActorSegHead):
    """Gives the logits it was handed (``spatial``) unchanged (the
    ``num_scales`` finest)."""

    def forward(self, spatial, temporal, sentence, num_scales=None):
        return spatial[:num_scales]


def samples(gt, img_shapes):
    return [
        ActorSegDataSample(
            metainfo=dict(img_shape=s), gt_sem_seg=PixelData(data=m))
        for m, s in zip(gt, img_shapes)
    ]


def test_both_decoders_are_the_base_class():
    assert issubclass(CSTEDHead, BaseActorSegHead)
    assert issubclass(CSTMHead, BaseActorSegHead)


def test_loss_by_feat_upsamples_weights_names_and_ignores_padding():
    torch.manual_seed(0)
    head = FixedLogitsHead(
        2,
        loss_decode=[
            dict(type='MaskBCELoss'),
            dict(type='MaskBCELoss', pos_weight=3., loss_name='loss_bce_pos')
        ],
        loss_scale_weights=[1., 0.5])
    gt = (torch.rand(2, 1, 8, 8) > 0.5).to(torch.uint8)
    logits = [torch.randn(2, 1, 8, 8), torch.randn(2, 1, 4, 4)]
    losses = head.loss((logits, None, None), samples(gt, [(8, 8), (6, 5)]))
    assert list(losses) == [
        'loss_bce', 'loss_bce_pos', 'loss_bce_s2', 'loss_bce_pos_s2'
    ]
    valid = torch.ones(2, 1, 8, 8)
    valid[1, :, 6:] = 0
    valid[1, :, :, 5:] = 0
    up = F.interpolate(logits[1], (8, 8), mode='bilinear')
    bce, bce_pos = head.loss_decode
    torch.testing.assert_close(losses['loss_bce'],
                               bce(logits[0], gt.float(), valid))
    torch.testing.assert_close(losses['loss_bce_pos_s2'],
                               0.5 * bce_pos(up, gt.float(), valid))
    # what lies in the padding does not count
    logits[0][1, :, 7, 7] += 100.
    again = head.loss((logits, None, None), samples(gt, [(8, 8), (6, 5)]))
    torch.testing.assert_close(again['loss_bce'], losses['loss_bce'])


def test_bf16_logits_are_resized_and_scored_in_float32():
    # what the decoder gives under bf16 autocast (BF16OptimWrapper)
    torch.manual_seed(0)
    head = FixedLogitsHead(2)
    gt = (torch.rand(1, 1, 8, 8) > 0.5).to(torch.uint8)
    logits = [torch.randn(1, 1, 8, 8), torch.randn(1, 1, 4, 4)]
    losses = head.loss(([x.bfloat16() for x in logits], None, None),
                       samples(gt, [(8, 8)]))
    up = F.interpolate(logits[1].bfloat16().float(), (8, 8), mode='bilinear')
    expected = head.loss_decode[0](up, gt.float(), torch.ones_like(up))
    torch.testing.assert_close(losses['loss_bce_s2'], expected, rtol=0, atol=0)


def test_wrong_number_of_maps_or_weights_is_refused():
    with pytest.raises(ValueError, match='2 loss scale weights'):
        FixedLogitsHead(2, loss_scale_weights=[1.])
    head = FixedLogitsHead(2)
    gt = torch.zeros(1, 1, 4, 4, dtype=torch.uint8)
    with pytest.raises(ValueError, match='2 logit maps expected, got 1'):
        head.loss(([torch.zeros(1, 1, 4, 4)], None, None),
                  samples(gt, [(4, 4)]))


def test_predict_gives_the_finest_logits_at_the_input_size():
    head = FixedLogitsHead(2)
    logits = [torch.randn(1, 1, 4, 6).half(), torch.randn(1, 1, 2, 3)]
    out = head.predict((logits, None, None), [dict(batch_input_shape=(8, 12))])
    assert out.dtype == torch.float32 and out.shape == (1, 1, 8, 12)
    torch.testing.assert_close(
        out, F.interpolate(logits[0].float(), (8, 12), mode='bilinear'))
