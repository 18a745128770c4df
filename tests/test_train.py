"""End-to-end training on tiny random models (CPU): LoRA, full, QLoRA, events, determinism, watchdog, errors."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from ftui.core.config import load_config
from ftui.core.errors import UserError
from ftui.core.events import EVENT_TYPES, SCHEMA_VERSION, TERMINAL_EVENTS, read_events, schema_problems
from test_train_support import losses, run_cli, write_config

STEP_FIELDS = {
    "step",
    "total_steps",
    "epoch",
    "loss",
    "lr",
    "grad_norm",
    "tokens_per_s",
    "trained_tokens_per_s",
    "samples_per_s",
    "elapsed_s",
    "eta_s",
    "mem_allocated",
    "mem_reserved",
    "mem_peak",
    "rss",
}
RUN_STARTED_FIELDS = {
    "run_id",
    "config",
    "estimate",
    "world_size",
    "device",
    "device_name",
    "total_steps",
    "num_epochs",
    "steps_per_epoch",
    "resumed_from_step",
    "pid",
    "train_examples",
    "eval_examples",
    "trainable_params",
    "total_params",
}

ASSERTION_FILE = """
def ends_with_period(output, expected):
    return output.strip().endswith(".")
"""


def train(config_path: Path, **kwargs):
    from ftui.core.train.runner import run_training

    loaded = load_config(config_path)
    return run_training(loaded.config, config_dir=config_path.parent, quiet=True, **kwargs)


def check_schema(events: list[dict]) -> None:
    """Every event is versioned and typed; run_started first, one terminal event last; steps count up."""
    assert events, "no events written"
    assert [
        p for e in events for p in schema_problems(e)
    ] == []  # core/events.py EVENT_FIELDS, as the fake writes
    for event in events:
        assert event["type"] in EVENT_TYPES
        assert event["v"] == SCHEMA_VERSION
        assert isinstance(event["time"], float)
    assert events[0]["type"] == "run_started"
    assert RUN_STARTED_FIELDS <= events[0].keys()
    assert events[-1]["type"] in TERMINAL_EVENTS
    assert sum(e["type"] in TERMINAL_EVENTS for e in events) == 1
    steps = [e for e in events if e["type"] == "step"]
    for event in steps:
        assert STEP_FIELDS <= event.keys(), STEP_FIELDS - event.keys()
    assert [e["step"] for e in steps] == list(range(steps[0]["step"], steps[0]["step"] + len(steps)))


@pytest.mark.slow
def test_lora_run_writes_events_checkpoints_and_run_files(tmp_path, tiny_chatml_model_dir):
    (tmp_path / "checks.py").write_text(ASSERTION_FILE)
    config = write_config(
        tmp_path,
        tiny_chatml_model_dir,
        val_set_size=4,
        evals_per_epoch=2,
        saves_per_epoch=2,
        save_total_limit=1,
        eval_assertions="checks.py:ends_with_period",
        eval_table_size=2,
        eval_max_new_tokens=6,
        sample_packing=True,
        hf_token="hf_secret_value",
    )
    result = train(config)
    out = tmp_path / "out"
    events = read_events(out)
    check_schema(events)
    assert result.status == "finished" and result.exit_code == 0
    started = events[0]
    assert started["world_size"] == 1 and started["device"] == "cpu" and started["resumed_from_step"] == 0
    assert started["trainable_params"] < started["total_params"]
    assert started["train_examples"] >= 1 and started["eval_examples"] == 4
    steps = [e for e in events if e["type"] == "step"]
    assert len(steps) == started["total_steps"] and steps[-1]["step"] == started["total_steps"]
    assert all(
        e["trained_tokens_per_s"] > 0 and e["tokens_per_s"] >= e["trained_tokens_per_s"] for e in steps
    )
    assert all(math.isfinite(e["loss"]) for e in steps)
    evals = [e for e in events if e["type"] == "eval"]
    assert evals[0]["step"] == 0  # eval_assertions -> a base-model measurement before training
    for event in evals:
        assert math.isfinite(event["eval_loss"])
        assert 0.0 <= event["assertion_pass_rate"] <= 1.0 and event["assertion_total"] == 4
        assert len(event["samples"]) == 2
        assert {"prompt", "expected", "generated", "passed"} <= event["samples"][0].keys()
    checkpoints = [e for e in events if e["type"] == "checkpoint"]
    assert checkpoints
    remaining = sorted(p.name for p in out.glob("checkpoint-*"))
    assert remaining == [Path(checkpoints[-1]["path"]).name]  # save_total_limit: 1
    finished = events[-1]
    assert finished["type"] == "finished" and finished["adapter_dir"] == str(out)
    assert finished["final_loss"] == steps[-1]["loss"]
    assert (out / "adapter_model.safetensors").exists() and (out / "tokenizer.json").exists()
    saved = (out / "config.yml").read_text()
    assert "hf_secret_value" not in saved and "hf_secret_value" not in json.dumps(started["config"])
    resaved = load_config(out / "config.yml").config  # valid, and usable from any folder (resume)
    assert Path(resaved.datasets[0].path).is_absolute() and Path(resaved.datasets[0].path).is_file()
    assert Path(resaved.eval_assertions.split(":")[0]).is_file()
    info = json.loads((out / "ftui_run.json").read_text())
    assert info["base_model_path"] == str(tiny_chatml_model_dir) and info["adapter"] == "lora"
    assert info["chat_template"]


@pytest.mark.slow
def test_full_finetune_changes_weights(tmp_path, tiny_chatml_model_dir):
    import torch
    from safetensors.torch import load_file

    config = write_config(tmp_path, tiny_chatml_model_dir, adapter=None, max_steps=3, learning_rate=0.001)
    result = train(config)
    out = tmp_path / "out"
    assert result.status == "finished"
    events = read_events(out)
    check_schema(events)
    assert events[0]["trainable_params"] == events[0]["total_params"]
    assert events[-1]["model_dir"] == str(out)
    before = load_file(tiny_chatml_model_dir / "model.safetensors")
    after = load_file(out / "model.safetensors")
    name = "model.layers.0.self_attn.q_proj.weight"
    assert not torch.equal(before[name], after[name])


@pytest.mark.slow
@pytest.mark.parametrize(
    "quant",
    [
        {"adapter": "qlora", "load_in_4bit": True, "gradient_checkpointing": True},  # NF4 + double quant
        {"adapter": "lora", "load_in_8bit": True},
    ],
    ids=["qlora-4bit-checkpointing", "lora-8bit"],
)
def test_quantized_base_trains(tmp_path, tiny_chatml_model_dir, quant):
    config = write_config(tmp_path, tiny_chatml_model_dir, max_steps=3, **quant)
    result = train(config)
    events = read_events(tmp_path / "out")
    check_schema(events)
    assert result.status == "finished"
    steps = [e for e in events if e["type"] == "step"]
    assert len(steps) == 3 and all(math.isfinite(e["loss"]) for e in steps)
    assert steps[-1]["loss"] < steps[0]["loss"]
    info = json.loads((tmp_path / "out" / "ftui_run.json").read_text())
    assert info["quantized"] is True
    assert (tmp_path / "out" / "adapter_model.safetensors").exists()


@pytest.mark.slow
def test_same_seed_same_loss_curve(tmp_path, tiny_chatml_model_dir):
    curves = []
    for name in ("a", "b"):
        folder = tmp_path / name
        folder.mkdir()
        train(write_config(folder, tiny_chatml_model_dir, max_steps=5))
        curves.append(losses(read_events(folder / "out")))
    assert len(curves[0]) == 5
    assert curves[0] == curves[1]
    folder = tmp_path / "other-seed"
    folder.mkdir()
    train(write_config(folder, tiny_chatml_model_dir, max_steps=5, seed=8))
    assert losses(read_events(folder / "out")) != curves[0]


@pytest.mark.slow
def test_watchdog_stops_on_nan(tmp_path, tiny_chatml_model_dir):
    # A huge learning rate makes the weights overflow after the first update: NaN loss from then on.
    config = write_config(
        tmp_path, tiny_chatml_model_dir, adapter=None, learning_rate=1e30, warmup_steps=0, max_steps=6
    )
    result = train(config)
    events = read_events(tmp_path / "out")
    check_schema(events)
    assert result.status == "failed" and result.exit_code == 1
    warnings = [e for e in events if e["type"] == "warning"]
    assert warnings and warnings[-1]["kind"] == "nan"
    failed = events[-1]
    assert failed["type"] == "failed" and failed["error_class"] == "TrainingDiverged"
    assert "nan" in failed["message"] and "learning_rate" in failed["hint"]
    assert failed["step"] < 6
    assert not list((tmp_path / "out").glob("checkpoint-*"))  # diverged weights are not saved


@pytest.mark.slow
def test_loss_watchdog_threshold(tmp_path, tiny_chatml_model_dir):
    config = write_config(
        tmp_path, tiny_chatml_model_dir, max_steps=8, loss_watchdog_threshold=0.5, loss_watchdog_patience=2
    )
    result = train(config)
    events = read_events(tmp_path / "out")
    assert result.status == "failed"
    assert (
        events[-1]["error_class"] == "TrainingDiverged" and "loss_watchdog_threshold" in events[-1]["message"]
    )
    assert [e["step"] for e in events if e["type"] == "step"] == [1, 2]
    assert any(e["type"] == "warning" and e["kind"] == "loss_watchdog" for e in events)


def test_missing_dataset_is_a_clean_user_error(tmp_path, tiny_chatml_model_dir):
    config = write_config(tmp_path, tiny_chatml_model_dir)
    (tmp_path / "data.jsonl").unlink()
    proc = run_cli(["train", str(config)], cwd=tmp_path, timeout=120)
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr
    assert "error:" in proc.stderr and "data.jsonl" in proc.stderr
    events = read_events(tmp_path / "out")
    if events:  # the config may be rejected before the trainer starts; if it started, it says why it failed
        assert events[-1]["type"] == "failed"


@pytest.mark.slow
def test_crash_writes_failed_event(tmp_path, tiny_chatml_model_dir):
    config = write_config(tmp_path, tiny_chatml_model_dir, max_steps=6)
    prelude = (
        "import ftui.core.train.data as d\n"
        "orig = d.TokenCounter.count\n"
        "seen = []\n"
        "def count(self, batch):\n"
        "    orig(self, batch)\n"
        "    seen.append(1)\n"
        "    if len(seen) == 3: raise RuntimeError('boom in step')\n"
        "d.TokenCounter.count = count\n"
    )
    proc = run_cli(["train", str(config)], cwd=tmp_path, prelude=prelude)
    assert proc.returncode != 0
    events = read_events(tmp_path / "out")
    failed = events[-1]
    assert failed["type"] == "failed" and failed["error_class"] == "RuntimeError"
    assert "boom in step" in failed["message"] and "boom in step" in failed["traceback_tail"]
    assert failed["hint"]


def test_bad_assertion_reference_is_a_user_error(tmp_path, tiny_chatml_model_dir):
    from ftui.core.train.evaluation import load_assertion

    with pytest.raises(UserError):
        load_assertion("missing.py:check", tmp_path)
    (tmp_path / "checks.py").write_text(ASSERTION_FILE)
    with pytest.raises(UserError):
        load_assertion("checks.py:nope", tmp_path)
    assert load_assertion("checks.py:ends_with_period", tmp_path)("ok.", "x") is True
