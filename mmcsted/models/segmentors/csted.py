"""CSTED (Hui et al., CVPR 2021): collaborative spatial-temporal
encoder-decoder."""
import logging
from typing import Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from mmengine.logging import print_log
from mmengine.model import BaseModel
from mmengine.structures import PixelData

from mmcsted.registry import MODELS
from mmcsted.structures import ActorSegDataSample

Tokens = Tuple[torch.Tensor, torch.Tensor]


def masked_mean(words: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean of the real words' features (N, C)."""
    m = mask.unsqueeze(-1).to(words.dtype)
    return (words * m).sum(1) / m.sum(1).clamp_min(1.)


@MODELS.register_module()
class CSTED(BaseModel):
    """Language-queried video actor segmentation with a spatial (2D, target
    frame) and a temporal (3D, clip) encoder, both modulated by the query.

    Either encoder may be None (the spatial-only / temporal-only ablations).

    Args:
        spatial_encoder (dict, optional): a ``LanguageGuidedEncoder`` with a 2D
            backbone.
        temporal_encoder (dict, optional): a ``LanguageGuidedEncoder`` with a
            3D backbone.
        decode_head (dict): a ``CSTEDHead`` (or ``CSTMHead``);
            channels are filled in.
        clip_len (int): frames per clip T; checked against the temporal
            backbone's total temporal stride.
        text_encoder (dict, optional): ONE text encoder shared by both
            encoders (the authors' CSTM code: one GRU), built here (state-dict
            keys ``text_encoder.*``) and lent to the encoders, whose own
            ``text_encoder`` must then be None (their ``text_channels`` is
            filled in). The query is tokenised and encoded once. Default
            None: each encoder has its own text encoder (the paper's two
            GRUs). If every encoder is ``frozen``, so is the shared one.
        temporal_index (str): which time step of each temporal stage feature
            the decoder reads: ``'target'`` (default): the one holding the
            target frame, ``target_index // temporal stride`` (the data
            sample's ``target_index``, default T // 2); ``'middle'``: ``T' //
            2`` of the stage's T' steps, whatever the target (CSTM:
            ``t[:, :, t.shape[2] // 2]``; for an 8-frame clip and
            Inception-I3D both give 2, 2, 2, 1, 0 when the target index is 4).
        data_preprocessor (dict): a ``CSTEDDataPreprocessor``.
        test_cfg (dict): ``threshold`` of ``pred_sem_seg`` (default 0.5);
            ``keep_input_seg_logits`` (default False): also keep the
            probability at the input size (the valid, unpadded region,
            before the resize to ``ori_shape``) as ``input_seg_logits`` in
            each data sample, which ``ReferSegMetric(protocol='cstm')``
            needs.
    """

    def __init__(self,
                 decode_head: Dict,
                 spatial_encoder: Optional[Dict] = None,
                 temporal_encoder: Optional[Dict] = None,
                 clip_len: int = 8,
                 text_encoder: Optional[Dict] = None,
                 temporal_index: str = 'target',
                 data_preprocessor: Optional[Dict] = None,
                 train_cfg: Optional[Dict] = None,
                 test_cfg: Optional[Dict] = None,
                 init_cfg=None):
        if data_preprocessor is None:
            data_preprocessor = dict(type='CSTEDDataPreprocessor')
        super().__init__(
            data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        if spatial_encoder is None and temporal_encoder is None:
            raise ValueError('CSTED needs a spatial or a temporal encoder')
        if temporal_index not in ('target', 'middle'):
            raise ValueError("temporal_index is 'target' or 'middle', got "
                             f'{temporal_index!r}')
        self.temporal_index = temporal_index
        self.text_encoder = MODELS.build(text_encoder) \
            if text_encoder else None
        self.spatial_encoder = self._build_encoder(spatial_encoder)
        self.temporal_encoder = self._build_encoder(temporal_encoder)
        self._check_encoders(clip_len)
        self.clip_len = clip_len
        self.decode_head = self._build_decode_head(decode_head)
        self.train_cfg = train_cfg or {}
        self.test_cfg = {'threshold': 0.5, **(test_cfg or {})}
        self.text_frozen = self.text_encoder is not None and all(
            e.frozen for e in self.encoders.values())
        if self.text_frozen:
            self.text_encoder.requires_grad_(False)
        self._warn_if_query_unread()

    def _check_encoders(self, clip_len: int) -> None:
        """Raise ``ValueError`` unless the encoders' backbones have the right
        dimension and ``clip_len`` fits the temporal one's stride."""
        if self.spatial_encoder is not None and self.spatial_encoder.ndim != 2:
            raise ValueError('the spatial encoder needs a 2D backbone')
        if self.temporal_encoder is not None:
            if self.temporal_encoder.ndim != 3:
                raise ValueError('the temporal encoder needs a 3D backbone')
            stride = max(self.temporal_encoder.backbone.temporal_strides)
            if clip_len < stride or clip_len % stride:
                raise ValueError(
                    f'clip_len={clip_len} does not fit the temporal backbone, '
                    f'whose total temporal stride is {stride}: use a multiple '
                    f'of {stride}')

    def _build_decode_head(self, decode_head: Dict) -> torch.nn.Module:
        """The decoder, given the encoders' widths (one text width)."""
        text_widths = {
            e.text_channels
            for e in (self.spatial_encoder, self.temporal_encoder) if e
        }
        if len(text_widths) != 1:
            raise ValueError('the two text encoders must have the same width '
                             f'for the decoder, got {sorted(text_widths)}')
        return MODELS.build(
            dict(
                decode_head,
                spatial_channels=self.spatial_encoder.out_channels
                if self.spatial_encoder else None,
                temporal_channels=self.temporal_encoder.out_channels
                if self.temporal_encoder else None,
                text_channels=text_widths.pop()))

    def _warn_if_query_unread(self) -> None:
        """Warn when nothing (no CMAM, no language concatenation) reads the
        query."""
        if not any(e.cmam_stages for e in self.encoders.values()) \
                and getattr(self.decode_head, 'language_concat',
                            None) is None:
            print_log(
                'this CSTED has neither CMAM nor decoder-side language '
                'concatenation: it never reads the query (the paper\'s '
                'baselines set decode_head.language_concat=True)',
                logger='current',
                level=logging.WARNING)

    def _build_encoder(self, cfg: Optional[Dict]):
        if not cfg:
            return None
        if self.text_encoder is None:
            return MODELS.build(cfg)
        if cfg.get('text_encoder') is not None:
            raise ValueError(
                'CSTED has a shared text_encoder: the encoders\' own '
                '`text_encoder` must be None')
        encoder = MODELS.build(
            dict(
                cfg,
                text_encoder=None,
                text_channels=self.text_encoder.out_channels))
        encoder.use_shared_text_encoder(self.text_encoder)
        return encoder

    def train(self, mode: bool = True):
        super().train(mode)
        if self.text_frozen:
            self.text_encoder.train(False)
        return self

    # ------------------------------------------------------------------ encode
    @property
    def encoders(self) -> Dict[str, torch.nn.Module]:
        return {
            k: e
            for k, e in (('spatial', self.spatial_encoder),
                         ('temporal', self.temporal_encoder)) if e is not None
        }

    def tokenize(self, texts: Sequence[str]) -> Dict[str, Tokens]:
        """Word ids and masks of each encoder's text encoder, by encoder
        (with a shared text encoder: tokenised once, the same tensors under
        each encoder's key)."""
        device = self.data_preprocessor.mean.device
        if self.text_encoder is not None:
            tokens = self.text_encoder.tokenize(texts, device=device)
            return {k: tokens for k in self.encoders}
        return {k: e.tokenize(texts, device) for k, e in self.encoders.items()}

    def encode(
        self, clip: torch.Tensor, frame: torch.Tensor,
        tokens: Dict[str, Tokens], target_index: torch.Tensor
    ) -> Tuple[Optional[List[torch.Tensor]], Optional[List[torch.Tensor]],
               torch.Tensor]:
        """(spatial features, temporal features of the target frame, sentence
        feature for the decoder)."""
        spatial = temporal = None
        sentences = []
        shared = None
        if self.text_encoder is not None:
            # one text encoder, run once (both keys hold the same tokens)
            words, mask = self.text_encoder(*tokens[next(iter(self.encoders))])
            shared = (words, mask)
        if self.spatial_encoder is not None:
            if shared is None:
                spatial, words, mask = self.spatial_encoder(
                    frame, *tokens['spatial'])
                sentences.append(masked_mean(words, mask))
            else:
                spatial = self.spatial_encoder.forward_words(frame, *shared)
        if self.temporal_encoder is not None:
            if shared is None:
                feats, words, mask = self.temporal_encoder(
                    clip, *tokens['temporal'])
                sentences.append(masked_mean(words, mask))
            else:
                feats = self.temporal_encoder.forward_words(clip, *shared)
            strides = self.temporal_encoder.backbone.temporal_strides
            temporal = [
                self.middle_slice(f) if self.temporal_index == 'middle' else
                self.target_slice(f, target_index, s)
                for f, s in zip(feats, strides)
            ]
        if shared is not None:
            sentences.append(masked_mean(*shared))
        return spatial, temporal, torch.stack(sentences).mean(0)

    @staticmethod
    def middle_slice(feat: torch.Tensor) -> torch.Tensor:
        """The middle time step ``T' // 2`` of a (N, C, T', H, W) map (the
        CSTM's rule)."""
        return feat[:, :, feat.shape[2] // 2]

    @staticmethod
    def target_slice(feat: torch.Tensor, target_index: torch.Tensor,
                     stride: int) -> torch.Tensor:
        """The time step of a (N, C, T', H, W) map that holds the target
        frame (the middle one for a centred clip, as in CSTM)."""
        index = (target_index // stride).clamp(max=feat.shape[2] - 1)
        return feat[torch.arange(feat.shape[0], device=feat.device), :, index]

    def extract_feat(
        self, inputs: Dict[str, torch.Tensor],
        data_samples: Optional[List[ActorSegDataSample]]
    ) -> Tuple[Optional[List[torch.Tensor]], Optional[List[torch.Tensor]],
               torch.Tensor]:
        """The decoder's inputs: (spatial features, temporal features of the
        target frame, sentence feature) of a batch and its queries."""
        clip, frame = inputs['clip'], inputs['frame']
        if data_samples is None:
            raise ValueError('CSTED needs data samples carrying the queries')
        texts = [ds.metainfo.get('query') for ds in data_samples]
        if any(t is None for t in texts):
            raise ValueError('every data sample needs a `query`')
        t = clip.shape[2]
        target_index = torch.tensor(
            [ds.metainfo.get('target_index', t // 2) for ds in data_samples],
            device=clip.device)
        return self.encode(clip, frame, self.tokenize(texts), target_index)

    # ----------------------------------------------------------------- modes
    def forward(self,
                inputs: Dict[str, torch.Tensor],
                data_samples: Optional[List[ActorSegDataSample]] = None,
                mode: str = 'tensor'):
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        if mode == 'tensor':
            return self.decode_head(*self.extract_feat(inputs, data_samples))
        raise RuntimeError(f'invalid mode "{mode}": loss, predict or tensor')

    def check_clip_len(self, clip: torch.Tensor) -> None:
        """Clips from the data must have the model's ``clip_len`` frames.

        The temporal backbone runs on any multiple of its stride, so a data
        pipeline with another ``clip_len`` would train (or be scored) without
        a word; a spatial-only model reads the target frame only and is not
        checked."""
        if (self.temporal_encoder is not None
                and clip.shape[2] != self.clip_len):
            raise ValueError(
                f'the data pipeline gives clips of {clip.shape[2]} frames but '
                f'the model has clip_len={self.clip_len}: make the '
                "pipeline's clip_len (SampleClipAroundFrame) and "
                'model.clip_len the same')

    def loss(
            self, inputs: Dict[str, torch.Tensor],
            data_samples: List[ActorSegDataSample]) -> Dict[str, torch.Tensor]:
        self.check_clip_len(inputs['clip'])
        return self.decode_head.loss(
            self.extract_feat(inputs, data_samples), data_samples,
            self.train_cfg)

    def predict(
            self, inputs: Dict[str, torch.Tensor],
            data_samples: List[ActorSegDataSample]
    ) -> List[ActorSegDataSample]:
        """Foreground probability and binary mask at the original frame size
        (``ori_shape``), the padding cut and the resize undone."""
        self.check_clip_len(inputs['clip'])
        size = tuple(inputs['clip'].shape[-2:])
        batch_img_metas = [
            dict(ds.metainfo, batch_input_shape=size) for ds in data_samples
        ]
        seg_logits = self.decode_head.predict(
            self.extract_feat(inputs, data_samples), batch_img_metas,
            self.test_cfg)
        return self.postprocess_result(seg_logits, data_samples)

    def postprocess_result(
            self, seg_logits: torch.Tensor,
            data_samples: List[ActorSegDataSample]
    ) -> List[ActorSegDataSample]:
        """Write each sample's probability and mask from the logits (N, 1,
        H, W) at the input size: the padding cut, then resized to
        ``ori_shape``."""
        size = seg_logits.shape[-2:]
        for prob, ds in zip(seg_logits.sigmoid(), data_samples):
            h, w = ds.metainfo.get('img_shape', size)[:2]
            prob = prob[:, :h, :w]
            ori = ds.metainfo.get('ori_shape', (h, w))[:2]
            if self.test_cfg.get('keep_input_seg_logits', False):
                # the probability at the input size, before the resize back
                # (ReferSegMetric(protocol='cstm') scores this map)
                ds.input_seg_logits = PixelData(data=prob)
            if tuple(ori) != (h, w):
                prob = F.interpolate(
                    prob[None],
                    tuple(ori),
                    mode='bilinear',
                    align_corners=False)[0]
            ds.seg_logits = PixelData(data=prob)
            ds.pred_sem_seg = PixelData(
                data=(prob >= self.test_cfg['threshold']).to(torch.uint8))
        return data_samples
