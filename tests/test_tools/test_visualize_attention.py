import json

from tests.helpers import TINY_SYNTHETIC_CONFIG, load_script

tool = load_script('tools/analysis_tools/visualize_attention.py')


def test_attention_figures_for_a_video(small_video, tiny_checkpoint, tmp_path,
                                       capsys):
    path, _ = small_video
    out = tmp_path / 'attn'
    assert tool.main([
        TINY_SYNTHETIC_CONFIG, tiny_checkpoint, '--video', path, '--query',
        'the red dog jumping', '--frame', '3', '--stage', '4', '--out-dir',
        str(out)
    ]) == 0
    for name in ('spatial_stage4.png', 'temporal_stage4.png', 'lgfs.png',
                 'prediction.png'):
        assert (out / name).stat().st_size > 0, name
    weights = json.loads((out / 'word_weights.json').read_text())
    assert [w for w, _ in weights['spatial']['4']
            ] == ['the', 'red', 'dog', 'jumping']
    assert len(json.loads((out / 'lgfs.json').read_text())['stages']) == 5
    printed = capsys.readouterr().out
    assert 'temporal CMAM stage 4 word weights: the=' in printed


def test_attention_figures_for_a_test_sample(tiny_checkpoint, tmp_path):
    from tools.data.synthetic import generate
    root = tmp_path / 'synthetic'
    generate(str(root), num_videos=5, num_frames=10, num_missed=1, seed=3)
    out = tmp_path / 'attn'
    assert tool.main([
        TINY_SYNTHETIC_CONFIG, tiny_checkpoint, '--sample-idx', '0',
        '--out-dir',
        str(out), '--cfg-options', f'test_dataloader.dataset.data_root={root}'
    ]) == 0
    assert (out / 'spatial_stage3.png').exists()
    assert (out / 'temporal_stage3.png').exists()
