import os.path as osp
from types import SimpleNamespace

import cv2
import numpy as np
import torch
from mmengine.runner import Runner
from mmengine.structures import PixelData

from mmcsted.engine import ActorSegVisualizationHook
from mmcsted.registry import HOOKS
from mmcsted.structures import ActorSegDataSample
from mmcsted.visualization import ActorSegVisualizer
from tests.test_models.utils import make_batch, tiny_model_cfg


def _outputs(n, video_path=None, h=48, w=64):
    out = []
    for i in range(n):
        ds = ActorSegDataSample(
            metainfo=dict(
                query=f'query {i}',
                video_id='vid',
                frame_id=i + 1,
                sample_idx=i,
                target_index=1,
                img_shape=(24, 32),
                ori_shape=(h, w)))
        if video_path and i == 0:
            ds.set_metainfo(dict(video_path=video_path))
        ds.pred_sem_seg = PixelData(
            data=torch.ones(1, h, w, dtype=torch.uint8))
        ds.gt_sem_seg = PixelData(data=torch.zeros(1, h, w, dtype=torch.uint8))
        out.append(ds)
    return out


def test_hook_draws_every_interval_samples(tmp_path, small_video):
    path, frames = small_video
    ActorSegVisualizer.get_instance('test_hook_vis', min_size=0)
    hook = HOOKS.build(
        dict(
            type='ActorSegVisualizationHook',
            draw=True,
            interval=2,
            test_out_dir='vis'))
    assert isinstance(hook, ActorSegVisualizationHook)
    runner = SimpleNamespace(
        log_dir=str(tmp_path / 'log'), iter=0, model=SimpleNamespace())
    clips = torch.zeros(3, 3, 2, 32, 32, dtype=torch.uint8)
    clips[:, :, 1, :24, :32] = 200  # the target time slice, unpadded part
    outputs = _outputs(3, video_path=path)
    hook.before_test_epoch(runner)
    hook.after_test_iter(runner, 0, dict(inputs=list(clips[:2])), outputs[:2])
    hook.after_test_iter(runner, 1, dict(inputs=list(clips[2:])), outputs[2:])
    written = sorted(p for p in (tmp_path / 'log' / 'vis').iterdir())
    # samples 0 and 2 of the stream (the counter runs across batches)
    assert [p.name for p in written
            ] == ['000000_vid_f00001.png', '000002_vid_f00003.png']
    assert len(written) == 2
    first = cv2.imread(str(written[0]))
    # sample 0 is drawn on the real video frame (48 x 64), sample 2 on the
    # network input (200 everywhere inside img_shape, resized to 48 x 64)
    assert first.shape[1] == 2 * 64 + 4
    second = cv2.cvtColor(cv2.imread(str(written[1])), cv2.COLOR_BGR2RGB)
    assert second.shape[1] == 2 * 64 + 4
    gt_panel = second[-48:, 64 + 4:]
    assert np.abs(gt_panel.astype(int) - 200).max() <= 2


def test_hook_does_nothing_unless_asked(tmp_path):
    hook = ActorSegVisualizationHook()
    runner = SimpleNamespace(log_dir=str(tmp_path), iter=0)
    hook.before_test_epoch(runner)
    hook.after_test_iter(runner, 0, dict(inputs=[]), _outputs(2))
    assert list(tmp_path.iterdir()) == []


class _Packed(torch.utils.data.Dataset):

    def __init__(self, n=4):
        batch = make_batch(n=n, size=32)
        self.items = [
            dict(inputs=i, data_samples=d)
            for i, d in zip(batch['inputs'], batch['data_samples'])
        ]

    def __len__(self):
        return len(self.items)

    def __getitem__(self, i):
        return self.items[i]


def test_runner_test_writes_the_pictures(tmp_path):
    runner = Runner(
        model=tiny_model_cfg(),
        work_dir=str(tmp_path),
        test_dataloader=dict(
            dataset=_Packed(),
            batch_size=2,
            num_workers=0,
            sampler=dict(type='DefaultSampler', shuffle=False)),
        test_cfg=dict(type='TestLoop'),
        test_evaluator=dict(type='ReferSegMetric'),
        default_hooks=dict(
            visualization=dict(
                type='ActorSegVisualizationHook',
                draw=True,
                interval=3,
                test_out_dir='show')),
        visualizer=dict(
            type='ActorSegVisualizer',
            name='test_runner_vis',
            vis_backends=[dict(type='LocalVisBackend')]),
        default_scope='mmcsted')
    runner.test()
    out = osp.join(runner.log_dir, 'show')
    names = sorted(
        osp.basename(p)
        for p in __import__('glob').glob(osp.join(out, '*.png')))
    assert names == ['000000.png', '000003.png']
