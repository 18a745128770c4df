"""`ftui estimate` through the real CLI entry point."""

from __future__ import annotations

import json

import pytest
from ftui.core import hardware
from ftui.core.memory import EstimateInput, breakdown
from ftui.core.models import catalog
from ftui.tui.cli import main


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(["estimate", *argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def no_gpu(monkeypatch):
    monkeypatch.setattr(hardware, "detect_gpus", lambda: ([], None, "no NVML in tests"))


def test_table_with_verdict_and_suggestions(capsys):
    code, out, _ = _run(
        capsys,
        "--model",
        "meta-llama/Llama-3.1-8B",
        "--adapter",
        "lora",
        "--seq",
        "2048",
        "--batch",
        "4",
        "--gpu",
        "A100 40G",
    )
    assert code == 0
    assert "activations (saved for backward)" in out and "total peak" in out
    assert "A100 40G" in out and "does NOT fit" in out
    assert "suggestions for A100 40G" in out and "gradient checkpointing" in out
    assert "20.97 M trainable" in out


def test_json_has_the_documented_keys_and_matches_the_library(capsys):
    code, out, _ = _run(
        capsys,
        "--model",
        "Qwen/Qwen2.5-7B",
        "--adapter",
        "qlora",
        "--seq",
        "2048",
        "--batch",
        "4",
        "--gpus",
        "2",
        "--optimizer",
        "adamw_bnb_8bit",
        "--gradient-checkpointing",
        "--gpu",
        "L4 24G",
        "--gpu",
        "H100",
        "--json",
    )
    assert code == 0
    data = json.loads(out)
    for key in ("params", "trainable_params", "components", "total_bytes", "per_gpu", "suggestions"):
        assert key in data
    inp = EstimateInput(
        model="Qwen/Qwen2.5-7B",
        adapter="qlora",
        load_in_4bit=False,
        sequence_len=2048,
        micro_batch_size=4,
        num_gpus=2,
        sharding="ddp",
        optimizer="adamw_bnb_8bit",
        gradient_checkpointing=True,
    )
    expected = breakdown(catalog()["Qwen/Qwen2.5-7B"], inp)
    assert data["total_bytes"] == expected.total_bytes and data["components"] == expected.components
    assert data["params"] == 7_615_616_512
    assert [v["gpu"] for v in data["per_gpu"]] == ["L4 24G", "H100 80G"]
    assert sum(data["components"].values()) == data["total_bytes"]


def test_config_file_and_flag_overrides(capsys, tmp_path):
    config = tmp_path / "cfg.yml"
    config.write_text(
        "base_model: HuggingFaceTB/SmolLM2-360M-Instruct\n"
        "adapter: lora\n"
        "lora_r: 16\n"
        "lora_target_modules: [q_proj, v_proj]\n"
        "sequence_len: 1024\n"
        "micro_batch_size: 2\n"
        "datasets:\n  - path: data.jsonl\n    type: alpaca\n"
    )
    code, out, _ = _run(capsys, str(config), "--json", "--gpu", "T4")
    assert code == 0
    data = json.loads(out)
    assert data["input"]["micro_batch_size"] == 2 and data["input"]["lora_r"] == 16
    assert data["trainable_params"] == 16 * 32 * ((960 + 960) + (960 + 320))
    code, out, _ = _run(capsys, str(config), "--json", "--gpu", "T4", "--batch", "8", "--adapter", "none")
    data = json.loads(out)
    assert data["input"]["micro_batch_size"] == 8 and data["input"]["adapter"] is None
    assert data["trainable_params"] == data["params"] == 361_821_120


def test_unknown_model_is_a_clear_error_without_traceback(capsys):
    code, out, err = _run(capsys, "--model", "qwen2.5-7b-instruct")
    assert code == 1 and out == ""
    assert "unknown model" in err and "Qwen/Qwen2.5-7B-Instruct" in err and "Traceback" not in err


def test_unknown_gpu_preset_lists_the_presets(capsys):
    code, _, err = _run(capsys, "--model", "embedded", "--gpu", "Voodoo 2")
    assert code == 1 and "unknown GPU preset" in err and "H100 80G" in err


def test_nothing_to_estimate(capsys):
    code, _, err = _run(capsys)
    assert code == 1 and "give a CONFIG file or --model" in err


def test_without_a_gpu_all_presets_are_judged(capsys, no_gpu):
    code, out, _ = _run(capsys, "--model", "embedded", "--json")
    data = json.loads(out)
    assert code == 0 and len(data["per_gpu"]) == 10 and data["suggestions"] == []
    assert data["model"] == "HuggingFaceTB/SmolLM2-135M-Instruct"
    code, out, _ = _run(capsys, "--model", "embedded")
    assert "no GPU detected" in out


def test_list_models_and_gpus(capsys):
    code, out, _ = _run(capsys, "--list-models")
    assert code == 0 and "mistralai/Mixtral-8x7B-v0.1" in out and "46.70 B" in out
    code, out, _ = _run(capsys, "--list-gpus")
    assert code == 0 and "H200 141G" in out and "CPU:" in out
