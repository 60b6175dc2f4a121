"""Drawing predictions vs ground truth during validation and testing."""
import logging
import os
import os.path as osp
import re
from typing import Optional, Sequence

import numpy as np
from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.model import is_model_wrapper
from mmengine.visualization import Visualizer

from mmcsted.registry import HOOKS
from mmcsted.structures import ActorSegDataSample


def _safe_name(text) -> str:
    return re.sub(r'[^A-Za-z0-9_.-]+', '_', str(text)).strip('_') or 'sample'


@HOOKS.register_module()
class ActorSegVisualizationHook(Hook):
    """Draw every ``interval``-th sample of validation and testing with the
    :class:`~mmcsted.visualization.ActorSegVisualizer` (prediction vs ground
    truth, the query written above); which frame and where the pictures go:
    docs/get_started.md, "Pictures of predictions".

    Args:
        draw: draw at all (``tools/test.py --show-dir`` turns it on).
        interval: draw every ``interval``-th sample.
        show: show each picture in a window.
        wait_time: seconds a shown window stays.
        test_out_dir: folder of the test pictures.
        draw_gt / draw_pred: which masks to draw.
    """
    priority = 'NORMAL'

    def __init__(self,
                 draw: bool = False,
                 interval: int = 50,
                 show: bool = False,
                 wait_time: float = 0.,
                 test_out_dir: Optional[str] = None,
                 draw_gt: bool = True,
                 draw_pred: bool = True):
        if interval < 1:
            raise ValueError(f'interval must be >= 1, got {interval}')
        self.draw = draw
        self.interval = interval
        self.show = show
        self.test_out_dir = test_out_dir
        # given as they are to ActorSegVisualizer.add_datasample
        self.draw_args = dict(
            draw_gt=draw_gt, draw_pred=draw_pred, wait_time=wait_time)
        self._visualizer: Optional[Visualizer] = None
        self._out_dir: Optional[str] = None
        self._count = 0
        self._warned = set()

    # ------------------------------------------------------------ helpers
    def _get_visualizer(self, runner) -> Visualizer:
        from mmcsted.visualization import ActorSegVisualizer
        if self._visualizer is None:
            vis = Visualizer.get_current_instance()
            if not isinstance(vis, ActorSegVisualizer):
                self._warn(
                    'novis', 'the current visualizer is not an '
                    'ActorSegVisualizer; one writing to '
                    f'{runner.log_dir}/vis_data is used')
                vis = ActorSegVisualizer.get_instance(
                    f'actor_seg_visualizer_{id(self)}',
                    vis_backends=[dict(type='LocalVisBackend')],
                    save_dir=runner.log_dir)
            if self.show:
                vis._vis_backends = {}
                self._warn(
                    'show', 'show=True: the pictures are shown, not written '
                    'to the vis backends')
            self._visualizer = vis
        return self._visualizer

    def _warn(self, key: str, msg: str) -> None:
        if key not in self._warned:
            self._warned.add(key)
            print_log(msg, logger='current', level=logging.WARNING)

    def _frame_from_file(self, meta: dict) -> Optional[np.ndarray]:
        from mmcsted.utils.video_io import read_frame
        video_path, frame_dir = meta.get('video_path'), meta.get('frame_dir')
        frame_id = meta.get('frame_id')
        if frame_id is None or not (video_path or frame_dir):
            return None
        try:
            return read_frame(
                video_path=video_path,
                frame_dir=frame_dir,
                frame_id=int(frame_id),
                filename_tmpl=meta.get('filename_tmpl') or '{:05d}.jpg')
        except Exception as e:  # draw from the network input instead
            self._warn(
                'read', f'cannot read the target frame from '
                f'{video_path or frame_dir} ({type(e).__name__}: {e}); '
                'drawing on the network input instead')
            return None

    def _frame_from_input(self, runner, clip, meta: dict) -> np.ndarray:
        """The target frame of a packed clip, back at ``ori_shape`` (a float
        clip un-normalised with the data preprocessor's mean and std)."""
        from mmcsted.visualization import frame_from_clip
        model = runner.model
        if is_model_wrapper(model):
            model = model.module
        pre = getattr(model, 'data_preprocessor', None)
        return frame_from_clip(clip, meta, getattr(pre, 'mean', None),
                               getattr(pre, 'std', None))

    def _name(self, meta: dict, index: int) -> str:
        idx = meta.get('sample_idx', index)
        parts = [
            f'{int(idx):06d}' if isinstance(idx,
                                            (int, np.integer)) else str(idx)
        ]
        if meta.get('video_id') is not None:
            parts.append(str(meta['video_id']))
        if meta.get('frame_id') is not None:
            parts.append(f'f{int(meta["frame_id"]):05d}')
        return _safe_name('_'.join(parts))

    def _draw_batch(self, runner, data_batch: dict,
                    outputs: Sequence[ActorSegDataSample], mode: str,
                    step: int) -> None:
        if not self.draw:
            return
        inputs = data_batch.get('inputs') if isinstance(data_batch,
                                                        dict) else None
        if isinstance(inputs, dict):  # already preprocessed
            inputs = inputs.get('clip')
        for i, sample in enumerate(outputs):
            index = self._count
            self._count += 1
            if index % self.interval:
                continue
            meta = sample.metainfo
            image = self._frame_from_file(meta)
            if image is None:
                if inputs is None or len(inputs) <= i:
                    self._warn(
                        'noinput', 'no frame to draw on: neither a '
                        'video in the metainfo nor the inputs')
                    continue
                image = self._frame_from_input(runner, inputs[i], meta)
            name = self._name(meta, index)
            out_file = None
            if mode == 'test' and self._out_dir is not None:
                out_file = osp.join(self._out_dir, f'{name}.png')
            self._get_visualizer(runner).add_datasample(
                f'{mode}_{name}' if out_file is None else name,
                image,
                data_sample=sample,
                show=self.show,
                **self.draw_args,
                out_file=out_file,
                step=step)

    # -------------------------------------------------------------- hooks
    def before_val_epoch(self, runner) -> None:
        self._count = 0

    def before_test_epoch(self, runner) -> None:
        self._count = 0
        self._out_dir = None
        if self.draw and self.test_out_dir is not None:
            out = self.test_out_dir
            if not osp.isabs(out):
                out = osp.join(runner.log_dir, out)
            os.makedirs(out, exist_ok=True)
            self._out_dir = out

    def after_val_iter(self, runner, batch_idx: int, data_batch: dict,
                       outputs: Sequence[ActorSegDataSample]) -> None:
        self._draw_batch(runner, data_batch, outputs, 'val', runner.iter)

    def after_test_iter(self, runner, batch_idx: int, data_batch: dict,
                        outputs: Sequence[ActorSegDataSample]) -> None:
        self._draw_batch(runner, data_batch, outputs, 'test', 0)
