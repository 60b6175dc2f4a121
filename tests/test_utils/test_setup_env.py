"""``import mmcsted`` changes nothing in mmengine; the named function
``install_stack_workarounds`` installs the checkpoint loaders and the
``mmaction::`` config fallback."""
import subprocess
import sys
import textwrap

_SCRIPT = textwrap.dedent('''
    import os, sys
    import torch
    from mmengine.config import Config
    from mmengine.config import utils as config_utils
    from mmengine.logging import HistoryBuffer
    from mmengine.runner.checkpoint import CheckpointLoader

    def snapshot():
        return ({k: v for k, v in CheckpointLoader._schemes.items()},
                config_utils._get_cfg_metainfo)

    schemes, metainfo = snapshot()
    import mmcsted  # noqa: F401
    import mmcsted.utils  # noqa: F401
    after_schemes, after_metainfo = snapshot()
    assert after_metainfo is metainfo, 'import patched _get_cfg_metainfo'
    assert after_schemes.keys() == schemes.keys(), 'import added a scheme'
    for k in schemes:
        assert after_schemes[k] is schemes[k], f'import replaced loader {k!r}'

    tmp = sys.argv[1]
    ckpt = os.path.join(tmp, 'epoch_1.pth')
    torch.save({'state_dict': {'w': torch.ones(2)},
                'message_hub': {'h': HistoryBuffer([1.0, 2.0], [1, 1])}}, ckpt)
    cfg_file = os.path.join(tmp, 'cfg.py')
    with open(cfg_file, 'w') as f:
        f.write("_base_ = ['mmaction::_base_/default_runtime.py']\\n")
    try:  # before: mmengine fails on the list-valued metafile
        Config.fromfile(cfg_file)
        print('CONFIG-BEFORE-OK')
    except Exception as e:
        print('CONFIG-BEFORE-FAILS', type(e).__name__)

    from mmcsted.utils import install_stack_workarounds
    install_stack_workarounds()
    install_stack_workarounds()  # idempotent
    assert config_utils._get_cfg_metainfo is not metainfo
    assert config_utils._get_cfg_metainfo.__wrapped__ is metainfo
    assert CheckpointLoader._schemes[''] is not schemes['']
    cfg = Config.fromfile(cfg_file)
    assert cfg.default_scope == 'mmaction', cfg.default_scope
    loaded = CheckpointLoader.load_checkpoint(ckpt)
    assert isinstance(loaded['message_hub']['h'], HistoryBuffer)
    print('ALL-OK')
''')


def test_import_changes_nothing_and_the_function_installs(tmp_path):
    out = subprocess.run([sys.executable, '-c', _SCRIPT,
                          str(tmp_path)],
                         capture_output=True,
                         text=True,
                         timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    assert 'ALL-OK' in out.stdout
    # the upstream bug is still there, so the workaround is still needed
    assert 'CONFIG-BEFORE-FAILS' in out.stdout, out.stdout


def test_tools_print_no_pkg_resources_warning(tmp_path):
    # mmengine imports pkg_resources on every package look-up: setuptools'
    # deprecation warning was printed twice by every tool
    import os
    import os.path as osp
    import subprocess
    import sys
    root = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
    proc = subprocess.run([
        sys.executable, 'tools/test.py',
        'configs/csted/synthetic/csted_tiny_synthetic.py',
        str(tmp_path / 'missing.pth'), '--work-dir',
        str(tmp_path / 'work')
    ],
                          cwd=root,
                          env=dict(os.environ, PYTHONPATH=root),
                          capture_output=True,
                          text=True,
                          timeout=300)
    assert proc.returncode != 0 and 'tools/test.py: ' in proc.stderr
    assert 'pkg_resources' not in proc.stderr
