"""Training with cut_cross_entropy / chunked_cross_entropy through `run_training`: the same loss curve as
the plain loss, `run_started.loss_impl` names what ran, and Liger kernels are refused on CPU."""

from __future__ import annotations

import pytest
from ftui.core.config.check import check_config
from ftui.core.errors import UserError
from ftui.core.events import read_events
from test_train import train
from test_train_support import losses, write_config


def run(folder, model_dir, **overrides):
    folder.mkdir()
    settings = dict(max_steps=3, sample_packing=True, val_set_size=0.25, eval_steps=3)
    train(write_config(folder, model_dir, **{**settings, **overrides}))
    return read_events(folder / "out")


def test_fused_loss_trains_the_same_curve(tmp_path, tiny_chatml_model_dir):
    plain = run(tmp_path / "plain", tiny_chatml_model_dir)
    fused = run(tmp_path / "cce", tiny_chatml_model_dir, cut_cross_entropy=True, bf16=False)
    chunked = run(
        tmp_path / "chunked", tiny_chatml_model_dir, chunked_cross_entropy=True,
        chunked_cross_entropy_num_chunks=3, lora_target_modules=["q_proj", "lm_head"], lora_target_linear=False,
    )  # fmt: skip
    assert plain[0]["loss_impl"] == "plain" and plain[0]["packed"] is True
    assert fused[0]["loss_impl"] == "chunked_linear_cross_entropy"
    notes = [e["message"] for e in fused if e["type"] == "warning"]
    assert any("cut_cross_entropy: no CUDA GPU here" in n for n in notes)
    want, got = losses(plain), losses(fused)
    assert len(want) == 3 and want.keys() == got.keys()
    for step in want:
        assert got[step] == pytest.approx(want[step], rel=1e-5)
    plain_eval, fused_eval = ([e["eval_loss"] for e in run if e["type"] == "eval"] for run in (plain, fused))
    assert plain_eval and fused_eval == pytest.approx(
        plain_eval, rel=1e-5
    )  # eval goes through the fused head
    assert chunked[0]["loss_impl"] == "chunked_linear_cross_entropy"
    assert chunked[-1]["type"] == "finished" and len(losses(chunked)) == 3
    evals = [e for e in chunked if e["type"] == "eval"]  # eval loss through the fused head too
    assert evals and all(0 < e["eval_loss"] < 20 for e in evals)


def test_liger_kernels_are_refused_on_cpu(tmp_path, tiny_chatml_model_dir):
    path = write_config(tmp_path, tiny_chatml_model_dir, liger_rope=True, liger_rms_norm=True)
    with pytest.raises(UserError, match="liger_rope, liger_rms_norm: Liger kernels are Triton GPU kernels"):
        train(path)
    assert not (tmp_path / "out" / "events.jsonl").exists()
    report = check_config(path)
    assert report.ok
    assert [(u.key, u.feature) for u in report.unsupported] == [
        ("liger_rope", "Liger kernels on this machine"),
        ("liger_rms_norm", "Liger kernels on this machine"),
    ]
    assert "no CUDA GPU" in report.unsupported[0].message


def test_check_says_which_loss_runs_here(tmp_path, tiny_chatml_model_dir):
    report = check_config(write_config(tmp_path, tiny_chatml_model_dir, cut_cross_entropy=True))
    assert report.ok and not report.unsupported and not report.ignored
    assert "loss: chunked_linear_cross_entropy - cut_cross_entropy: no CUDA GPU here" in "\n".join(
        report.summary
    )
    plain = check_config(write_config(tmp_path, tiny_chatml_model_dir))
    assert not any(line.startswith("loss:") for line in plain.summary)


def test_loss_plan_chooses_the_kernel_or_the_fallback(monkeypatch):
    from ftui.core.train import kernels

    assert kernels.loss_plan({}, cuda=True).loss_impl == "plain"
    cpu = kernels.loss_plan({"cut_cross_entropy": True}, cuda=False)
    assert cpu.impl == "chunked" and cpu.note.startswith("cut_cross_entropy: no CUDA GPU here")
    monkeypatch.setattr(kernels, "_installed", lambda package: False)
    missing = kernels.loss_plan({"liger_fused_linear_cross_entropy": True}, cuda=True)
    assert missing.impl == "chunked" and "the liger-kernel package is not installed" in missing.note
    monkeypatch.setattr(kernels, "_installed", lambda package: True)
    assert kernels.loss_plan({"cut_cross_entropy": True}, cuda=True).loss_impl == "cut_cross_entropy"
    liger = kernels.loss_plan({"liger_fused_linear_cross_entropy": True}, cuda=True)
    assert liger.loss_impl == "liger_fused_linear_cross_entropy" and liger.note is None
    chunked = kernels.loss_plan(
        {"chunked_cross_entropy": True, "chunked_cross_entropy_num_chunks": 4}, cuda=True
    )
    assert (chunked.impl, chunked.num_chunks, chunked.note) == ("chunked", 4, None)
    pref = kernels.loss_plan({"cut_cross_entropy": True}, cuda=True, preference=True)
    assert pref.loss_impl == "plain" and "not applied to preference training" in pref.note
    assert kernels.liger_refusal({"liger_rope": True}, cuda=True) is None
    monkeypatch.setattr(kernels, "_installed", lambda package: False)
    assert "liger-kernel package is not installed" in kernels.liger_refusal({"liger_rope": True}, cuda=True)


def _liger_table(calls):
    """liger-kernel's MODEL_TYPE_TO_APPLY_LIGER_FN with its real signatures (liger-kernel 0.8.5), recording."""

    def record(args):
        calls.append({k: v for k, v in args.items() if k != "record"})

    def llama(rope=True, cross_entropy=False, fused_linear_cross_entropy=True, rms_norm=True, swiglu=True,
              model=None):  # fmt: skip
        record(locals())

    def gemma2(rope=True, cross_entropy=False, fused_linear_cross_entropy=True, rms_norm=True, geglu=True,
               model=None):  # fmt: skip
        record(locals())

    return {"llama": llama, "qwen3": llama, "gemma2": gemma2}


@pytest.fixture
def fake_liger(monkeypatch):
    import sys
    import types

    calls: list[dict] = []
    module = types.ModuleType("liger_kernel.transformers.monkey_patch")
    module.MODEL_TYPE_TO_APPLY_LIGER_FN = _liger_table(calls)
    monkeypatch.setitem(sys.modules, "liger_kernel.transformers.monkey_patch", module)
    return calls


def _model(model_type):
    import types

    return types.SimpleNamespace(config=types.SimpleNamespace(model_type=model_type))


def test_liger_kernels_go_through_liger_kernels_own_patch_function(fake_liger):
    from ftui.core.train.kernels import apply_liger

    model = _model("llama")
    keys = apply_liger(model, {"liger_rope": True, "liger_rms_norm": True, "liger_glu_activation": True})
    assert keys == ["liger_rope", "liger_rms_norm", "liger_glu_activation"]
    assert fake_liger == [
        dict(
            rope=True,
            cross_entropy=False,
            fused_linear_cross_entropy=False,
            rms_norm=True,
            swiglu=True,
            model=model,
        )
    ]  # fmt: skip  (the loss stays ftui's fused head)
    fake_liger.clear()
    apply_liger(_model("gemma2"), {"liger_swiglu": True})
    assert (
        fake_liger[0]["geglu"] is True
        and fake_liger[0]["rope"] is False
        and fake_liger[0]["rms_norm"] is False
    )
    assert apply_liger(_model("llama"), {}) == [] and len(fake_liger) == 1


def test_liger_kernels_a_family_lacks_are_refused(fake_liger):
    from ftui.core.train.kernels import apply_liger

    with pytest.raises(UserError, match="liger_layer_norm: liger-kernel has no such kernel for llama"):
        apply_liger(_model("llama"), {"liger_layer_norm": True, "liger_rope": True})
    with pytest.raises(UserError, match="liger_rope: liger-kernel has no kernels for gpt2 models"):
        apply_liger(_model("gpt2"), {"liger_rope": True})
    assert fake_liger == []


def test_the_fake_liger_table_has_liger_kernels_real_signatures():
    """Where liger-kernel is installed (ftui[liger]), the recording table above must match it."""
    import inspect

    real = pytest.importorskip("liger_kernel.transformers.monkey_patch").MODEL_TYPE_TO_APPLY_LIGER_FN
    for model_type, fake in _liger_table([]).items():
        assert list(inspect.signature(real[model_type]).parameters) == list(
            inspect.signature(fake).parameters
        )
