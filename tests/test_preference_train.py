"""Preference training on tiny random models (CPU): every method trains with finite losses and its metrics,
DPO's reward margin grows, LoRA/QLoRA/full work, and a SIGKILLed run resumes."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest
from ftui.core.config import load_config
from ftui.core.events import PREFERENCE_METRICS, read_events, schema_problems
from ftui.core.train.checkpoints import last_checkpoint
from ftui.core.train.runner import run_training
from test_train_support import run_cli

SIGKILL_AFTER_CHECKPOINT_4 = """
import os, signal
import ftui.core.train.checkpoints as ck
_orig = ck.publish
def publish(tmp_dir, final_dir):
    _orig(tmp_dir, final_dir)
    if final_dir.name == "checkpoint-4":
        os.kill(os.getpid(), signal.SIGKILL)
ck.publish = publish
"""


def test_flat_metric_names_are_the_event_schemas():
    from ftui.core.preference.trainers import FLAT_METRICS

    assert tuple(FLAT_METRICS.values()) == PREFERENCE_METRICS


def write_pref_config(folder: Path, model_dir: Path, data: Path, **overrides: Any) -> Path:
    config: dict[str, Any] = {
        "base_model": str(model_dir),
        "chat_template": "chatml",
        "rl": "dpo",
        "adapter": "lora",
        "lora_r": 8,
        "lora_alpha": 16,
        "lora_target_linear": True,
        "datasets": [{"path": str(data), "split": "train[:8]"}],
        "sequence_len": 48,
        "max_prompt_len": 16,
        "excess_length_strategy": "truncate",
        "micro_batch_size": 2,
        "num_epochs": 100,
        "max_steps": 4,
        "learning_rate": 0.01,
        "lr_scheduler": "constant",
        "output_dir": str(folder / "out"),
        "seed": 7,
    }
    config.update(overrides)
    path = folder / "config.yml"
    path.write_text(json.dumps(config, indent=2), encoding="utf-8")
    return path


def train(path: Path) -> list[dict[str, Any]]:
    result = run_training(load_config(path).config, quiet=True)
    assert result.status == "finished", result
    return read_events(Path(load_config(path).config.output_dir))


def steps(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e for e in events if e["type"] == "step"]


def kto_rows(shared: Path, folder: Path) -> Path:
    """TRL's unpaired rows from the DPO demo: each pair gives a desirable and an undesirable completion."""
    rows = []
    for pair in json.loads((shared / "dpo_en_demo.json").read_text())[:4]:
        prompt = pair["conversations"][-1]["value"]
        rows.append({"prompt": prompt, "completion": pair["chosen"]["value"], "label": True})
        rows.append({"prompt": prompt, "completion": pair["rejected"]["value"], "label": False})
    path = folder / "kto.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    return path


@pytest.mark.slow
def test_dpo_reward_margin_grows_over_30_steps(tmp_path, tiny_chatml_model_dir, shared_datasets):
    path = write_pref_config(
        tmp_path, tiny_chatml_model_dir, shared_datasets / "dpo_en_demo.json", max_steps=30
    )
    events = train(path)
    started = next(e for e in events if e["type"] == "run_started")
    assert started["method"] == "dpo" and started["preference"]["beta"] == 0.1
    assert [p for e in events for p in schema_problems(e)] == []  # docs/events.md's schema
    logged = steps(events)
    assert len(logged) == 30 and all(math.isfinite(e["loss"]) for e in logged)
    assert all(0.0 <= e["rewards_accuracy"] <= 1.0 for e in logged)
    first = sum(e["rewards_margin"] for e in logged[:5]) / 5
    last = sum(e["rewards_margin"] for e in logged[-5:]) / 5
    assert last > first + 0.5 and last > 0, (first, last)
    assert sum(e["rewards_accuracy"] for e in logged[-5:]) / 5 >= 0.9
    assert logged[-1]["loss"] < logged[0]["loss"]


@pytest.mark.slow
@pytest.mark.parametrize(
    ("method", "keys"),
    [
        ("ipo", ("rewards_margin", "rewards_accuracy")),
        ("simpo", ("rewards_margin", "rewards_accuracy", "nll_loss")),
        ("orpo", ("log_odds_ratio", "nll_loss", "rewards_margin")),
        ("kto", ("kl", "rewards_chosen")),
    ],
)
def test_each_method_trains_with_finite_loss_and_its_metrics(
    tmp_path, tiny_chatml_model_dir, shared_datasets, method, keys
):
    data = kto_rows(shared_datasets, tmp_path) if method == "kto" else shared_datasets / "dpo_en_demo.json"
    extra: dict[str, Any] = {"rl": method, "max_steps": 3, "val_set_size": 2, "eval_steps": 3}
    if method == "kto":
        extra["datasets"] = [{"path": str(data)}]
    events = train(write_pref_config(tmp_path, tiny_chatml_model_dir, data, **extra))
    assert next(e for e in events if e["type"] == "run_started")["method"] == method
    logged = steps(events)
    assert len(logged) == 3 and all(math.isfinite(e["loss"]) for e in logged)
    for key in keys:  # KTO logs chosen/rejected rewards only for steps whose batch has that kind
        values = [e[key] for e in logged if key in e]
        assert values and all(math.isfinite(v) for v in values), key
    assert [p for e in events for p in schema_problems(e)] == []
    evals = [e for e in events if e["type"] == "eval"]
    assert evals and math.isfinite(evals[-1]["eval_loss"])
    assert any(k.startswith("eval_") and k != "eval_loss" for k in evals[-1])


@pytest.mark.slow
@pytest.mark.parametrize("adapter", ["full", "qlora"])
def test_dpo_full_finetune_and_qlora(tmp_path, tiny_chatml_model_dir, shared_datasets, adapter):
    extra: dict[str, Any] = {"max_steps": 2, "learning_rate": 0.001}
    if adapter == "full":
        extra["adapter"] = None
    else:
        extra.update(adapter="qlora", load_in_4bit=True)
    events = train(
        write_pref_config(tmp_path, tiny_chatml_model_dir, shared_datasets / "dpo_en_demo.json", **extra)
    )
    logged = steps(events)
    assert len(logged) == 2 and all(math.isfinite(e["loss"]) for e in logged)
    assert logged[0]["rewards_margin"] == pytest.approx(0.0, abs=1e-4)  # policy == reference at the start


@pytest.mark.slow
def test_sigkill_then_resume_continues(tmp_path, tiny_chatml_model_dir, shared_datasets):
    config = write_pref_config(
        tmp_path, tiny_chatml_model_dir, shared_datasets / "dpo_en_demo.json", max_steps=6, save_steps=2
    )
    killed = run_cli(["train", str(config)], cwd=tmp_path, prelude=SIGKILL_AFTER_CHECKPOINT_4)
    assert killed.returncode == -9, killed.stderr[-2000:]
    out = tmp_path / "out"
    assert last_checkpoint(out).name == "checkpoint-4"
    resumed = run_cli(["train", str(config), "--resume"], cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    events = read_events(out)
    starts = [e for e in events if e["type"] == "run_started"]
    assert [s["resumed_from_step"] for s in starts] == [0, 4]
    after = [e for e in events[events.index(starts[1]) :] if e["type"] == "step"]
    assert [e["step"] for e in after] == [5, 6]
    assert events[-1]["type"] == "finished"
    # the result merges and chats like an SFT run's
    merged = run_cli(["merge", str(out)], cwd=tmp_path)
    assert merged.returncode == 0, merged.stderr[-2000:]
    assert (out / "merged" / "model.safetensors").exists()
    chat = run_cli(["chat", str(out), "--prompt", "hi", "--max-new-tokens", "4"], cwd=tmp_path)
    assert chat.returncode == 0 and chat.stdout.strip(), chat.stderr[-2000:]


@pytest.mark.slow
def test_dpo_two_cpu_processes_identical_weights(tmp_path, tiny_chatml_model_dir, shared_datasets):
    import os
    import subprocess

    from ftui.core.train.accelerate_command import accelerate_command
    from test_ddp import RANK_DIGEST, _free_port

    config_path = write_pref_config(
        tmp_path, tiny_chatml_model_dir, shared_datasets / "dpo_en_demo.json", max_steps=2
    )
    script = tmp_path / "ranked_ftui.py"
    script.write_text(RANK_DIGEST)
    command = accelerate_command(
        load_config(config_path).config,
        config_path,
        2,
        entry=[str(script)],
        cuda=False,
        main_process_port=_free_port(),
    )
    env = dict(os.environ, OMP_NUM_THREADS="1", CUDA_VISIBLE_DEVICES="")
    proc = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-4000:]
    out = tmp_path / "out"
    assert (out / "weights-rank0.sha256").read_text() == (out / "weights-rank1.sha256").read_text()
    events = read_events(out)
    started = [e for e in events if e["type"] == "run_started"]
    assert len(started) == 1 and started[0]["world_size"] == 2 and started[0]["method"] == "dpo"
    logged = steps(events)
    assert [e["step"] for e in logged] == [1, 2] and all(math.isfinite(e["rewards_margin"]) for e in logged)
    assert events[-1]["type"] == "finished"
