"""tools/analysis_tools/benchmark_video.py runs whole-video inference end to
end and accounts for its time (CI-sized: a tiny config, a tiny synthetic
video; the speed itself is not checked)."""
import json
import os
import os.path as osp
import subprocess
import sys

import pytest

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TOOL = osp.join(REPO, 'tools', 'analysis_tools', 'benchmark_video.py')
TINY = 'configs/csted/synthetic/csted_tiny_synthetic.py'


@pytest.mark.parametrize('options,steps', [
    (['--prefetch', '0'],
     ('decode', 'pipeline', 'batching', 'model', 'write', 'other')),
    (['--fuse-conv-bn', '--channels-last'],
     ('data wait', 'batching', 'model', 'write', 'other', 'prefetch thread')),
])
def test_benchmark_video_on_a_synthetic_video(tmp_path, options, steps):
    out = tmp_path / 'bench'
    env = dict(os.environ, OMP_NUM_THREADS='1', PYTHONPATH=REPO)
    proc = subprocess.run(
        [
            sys.executable, TOOL, TINY, '--synthetic', '30', '40', '12',
            '--batch-size', '4', '--input-size', '32', '--model-iters', '1',
            '--threads', '1', '--out',
            str(out)
        ] + options,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    for word in steps + ('frames/s', 'model alone', 'peak RSS'):
        assert word in proc.stdout
    results = json.loads((out / 'results.json').read_text())
    assert results['frames'] == results['frames_decoded'] == 12
    assert results['frame_shape'] == [30, 40]
    seconds = results['seconds']
    assert all(s >= 0 for s in seconds.values()) and seconds['model'] > 0
    assert abs(sum(seconds.values()) - results['total_s']) < 1e-6
    assert results['fps'] > 0 and results['model_alone_fps'] > 0
    assert results['peak_cache_frames'] <= 8 - 1 + 4
    assert sorted(os.listdir(out /
                             'masks')) == [f'{i:05d}.png' for i in range(12)]
    # the synthetic video went to a temporary folder, removed at the end
    assert not osp.exists(results['video'])


def test_benchmark_video_arguments():
    proc = subprocess.run([sys.executable, TOOL, TINY],
                          cwd=REPO,
                          capture_output=True,
                          text=True,
                          timeout=120)
    assert proc.returncode == 2 and 'VIDEO or --synthetic' in proc.stderr
