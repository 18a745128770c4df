"""`lora_model_dir`: a second run starts from the first run's trained adapter (tiny random model, CPU)."""

from __future__ import annotations

import json

import pytest
from ftui.core.config import check_config, load_config
from ftui.core.errors import UserError
from ftui.core.events import read_events
from ftui.core.train import adapter_start
from ftui.core.train.adapter_start import find_adapter_dir
from test_train_support import losses, write_config


def train(config_path):
    from ftui.core.train.runner import run_training

    loaded = load_config(config_path)
    return run_training(loaded.config, config_dir=config_path.parent, quiet=True)


def lora_tensors(folder):
    from safetensors.torch import load_file

    return load_file(str(folder / "adapter_model.safetensors"))


@pytest.mark.slow
def test_second_run_continues_the_first_runs_adapter(tmp_path, tiny_chatml_model_dir, monkeypatch):
    import torch
    from peft import get_peft_model_state_dict

    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir()
    second.mkdir()
    assert train(write_config(first, tiny_chatml_model_dir, max_steps=4)).status == "finished"
    trained = lora_tensors(first / "out")

    loaded = {}
    original = adapter_start.load_start_adapter

    def spy(model, folder):
        peft_model = original(model, folder)
        loaded["folder"] = folder
        loaded["state"] = {k: v.detach().clone() for k, v in get_peft_model_state_dict(peft_model).items()}
        loaded["trainable"] = all(p.requires_grad for n, p in peft_model.named_parameters() if "lora_" in n)
        return peft_model

    monkeypatch.setattr(adapter_start, "load_start_adapter", spy)
    # relative to the config's folder; lora_r disagrees with the adapter's r=4 (the adapter wins)
    config = write_config(second, tiny_chatml_model_dir, max_steps=2, lora_model_dir="../a/out", lora_r=8)
    assert train(config).status == "finished"

    assert loaded["folder"] == (first / "out").resolve() and loaded["trainable"]
    assert loaded["state"].keys() == trained.keys() and trained
    for key, tensor in trained.items():  # B's adapter before its first step is A's saved one
        assert torch.equal(loaded["state"][key], tensor), key
    events_a, events_b = read_events(first / "out"), read_events(second / "out")
    warnings = [e["message"] for e in events_b if e["type"] == "warning"]
    assert any("lora_model_dir" in m and "lora_r: 8 -> 4" in m for m in warnings), warnings
    start_a = next(e for e in events_a if e["type"] == "run_started")
    start_b = next(e for e in events_b if e["type"] == "run_started")
    assert start_b["trainable_params"] == start_a["trainable_params"]
    # same seed and data: B's first batch is A's first batch, now seen by the trained adapter
    assert losses(events_b)[1] < losses(events_a)[1]
    after = lora_tensors(second / "out")
    assert json.loads((second / "out" / "adapter_config.json").read_text())["r"] == 4
    assert any(not torch.equal(after[k], trained[k]) for k in trained)  # B trained it further


def test_missing_folder_is_one_user_error_before_the_model_loads(
    tmp_path, tiny_chatml_model_dir, monkeypatch
):
    from ftui.core.train import loading

    def no_load(*args, **kwargs):
        raise AssertionError("the model was loaded before lora_model_dir was checked")

    monkeypatch.setattr(loading, "load_base_model", no_load)
    config = write_config(tmp_path, tiny_chatml_model_dir, max_steps=1, lora_model_dir="missing-adapter")
    with pytest.raises(UserError) as err:
        train(config)
    assert (
        err.value.message.startswith("lora_model_dir:")
        and str((tmp_path / "missing-adapter").resolve()) in err.value.message
    )
    (tmp_path / "empty").mkdir()
    config = write_config(tmp_path, tiny_chatml_model_dir, max_steps=1, lora_model_dir="empty")
    with pytest.raises(UserError, match="lora_model_dir: .*empty has no adapter_config.json"):
        train(config)


def test_run_folder_without_final_adapter_uses_its_last_checkpoint(tmp_path):
    for step in (2, 4):
        folder = tmp_path / "run" / f"checkpoint-{step}"
        folder.mkdir(parents=True)
        (folder / "trainer_state.json").write_text("{}")
        (folder / "adapter_config.json").write_text("{}")
    assert find_adapter_dir("run", tmp_path) == (tmp_path / "run" / "checkpoint-4").resolve()
    (tmp_path / "run" / "adapter_config.json").write_text("{}")  # a finished run: its final adapter
    assert find_adapter_dir(str(tmp_path / "run"), "/elsewhere") == (tmp_path / "run").resolve()


def test_check_reports_a_missing_adapter_and_does_not_call_the_key_ignored(tmp_path, tiny_chatml_model_dir):
    report = check_config(write_config(tmp_path, tiny_chatml_model_dir, lora_model_dir="nowhere"))
    assert report.ok and "lora_model_dir" not in [i.key for i in report.ignored]
    assert [w.message for w in report.warnings if w.key == "lora_model_dir"] == [
        f"{(tmp_path / 'nowhere').resolve()} not found"
    ]
    (tmp_path / "adapter").mkdir()
    (tmp_path / "adapter" / "adapter_config.json").write_text("{}")
    report = check_config(write_config(tmp_path, tiny_chatml_model_dir, lora_model_dir="adapter"))
    assert not [w for w in report.warnings if w.key == "lora_model_dir"]


@pytest.mark.slow
def test_qlora_run_continues_a_lora_adapter(tmp_path, tiny_chatml_model_dir):
    """QLoRA: the adapter loads onto the 4-bit base after k-bit preparation and trains further."""
    import torch

    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir()
    second.mkdir()
    assert train(write_config(first, tiny_chatml_model_dir, max_steps=2)).status == "finished"
    quant = {"adapter": "qlora", "load_in_4bit": True, "lora_model_dir": str(first / "out")}
    assert train(write_config(second, tiny_chatml_model_dir, max_steps=2, **quant)).status == "finished"
    before, after = lora_tensors(first / "out"), lora_tensors(second / "out")
    assert before.keys() == after.keys()
    assert any(not torch.equal(after[k], before[k]) for k in before)
    assert json.loads((second / "out" / "ftui_run.json").read_text())["quantized"] is True
