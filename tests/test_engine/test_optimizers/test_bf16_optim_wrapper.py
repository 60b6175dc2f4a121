"""bfloat16 autocast training on the CPU, and its float32 fallback where
the CPU has no bfloat16 instructions."""
import pytest
import torch
from mmengine.logging import MMLogger
from mmengine.optim import build_optim_wrapper

from mmcsted.engine.optimizers import bf16_optim_wrapper
from mmcsted.utils import register_all_modules
from tests.test_models.utils import build_tiny, make_batch


def train_once(native: bool, monkeypatch, **wrapper):
    """One train_step of the tiny CSTED through the wrapper built from a
    config; returns the model, the wrapper and the dtypes seen in it."""
    register_all_modules()
    assert bf16_optim_wrapper.cpu_has_native_bf16() in (True, False)
    monkeypatch.setattr(bf16_optim_wrapper, 'cpu_has_native_bf16',
                        lambda: native)
    torch.manual_seed(0)
    model = build_tiny()
    optim_wrapper = build_optim_wrapper(
        model,
        dict(
            type='BF16OptimWrapper',
            optimizer=dict(type='Adam', lr=1e-3),
            **wrapper))
    seen = {}

    def record(module, args, logits):
        seen['logits'] = logits[0].dtype

    hook = model.decode_head.register_forward_hook(record)
    before = [p.detach().clone() for p in model.parameters()]
    losses = model.train_step(make_batch(), optim_wrapper)
    hook.remove()
    seen['loss'] = losses['loss'].dtype
    seen['changed'] = any(not torch.equal(b, p)
                          for b, p in zip(before, model.parameters()))
    seen['params'] = {p.dtype for p in model.parameters()}
    seen['adam_state'] = {  # the gradients' moments
        t.dtype
        for state in optim_wrapper.optimizer.state.values()
        for t in (state['exp_avg'], state['exp_avg_sq'])
    }
    return optim_wrapper, seen


def test_trains_under_bf16_autocast_with_float32_weights(monkeypatch):
    wrapper, seen = train_once(True, monkeypatch)
    assert wrapper.autocast_enabled
    assert seen['logits'] == torch.bfloat16  # the forward ran in bf16
    assert seen['loss'] == torch.float32  # the loss did not
    assert seen['params'] == seen['adam_state'] == {torch.float32}
    assert seen['changed']


@pytest.mark.parametrize('native_only', [True, False])
def test_a_cpu_without_bf16_instructions_trains_in_float32(
        monkeypatch, capsys, native_only):
    MMLogger.get_instance('mmcsted_test_bf16')  # print_log's 'current'
    wrapper, seen = train_once(False, monkeypatch, native_only=native_only)
    assert wrapper.autocast_enabled is not native_only
    assert seen['logits'] == (torch.float32 if native_only else torch.bfloat16)
    out = capsys.readouterr()
    said = 'no bfloat16 instructions' in out.out + out.err
    assert said is native_only
