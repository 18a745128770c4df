"""Axolotl's own example configs (tests/data/axolotl_examples, Apache-2.0) open in ftui as a user would find.

Every file Axolotl 0.19's validate_config accepts opens with `ftui check` (the recorded verdicts), and so do
the archived ones Axolotl itself now refuses; methods ftui cannot train are listed as unsupported, never as
errors or unknown keys. The full run over all of Axolotl's examples/ is bench/axolotl/check_examples.py.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from ftui.core.config import check_config, load_config

EXAMPLES = Path(__file__).parent / "data" / "axolotl_examples"
VERDICTS = json.loads((EXAMPLES / "axolotl_verdicts.json").read_text())["results"]
FILES = sorted(VERDICTS)


@pytest.mark.parametrize("name", FILES)
def test_example_opens_when_it_is_a_training_config(name):
    report = check_config(EXAMPLES / name)
    if name.startswith("cloud/"):  # a cloud launcher's settings, not a training config: Axolotl refuses too
        assert not report.ok and [p.key for p in report.errors] == ["base_model", "datasets"]
        return
    assert report.ok, [p.text() for p in report.errors]
    # keys Axolotl knows are never "unknown"; `adam_eps` is in two of its examples but no Axolotl release
    # reads it (Axolotl ignores it silently; ftui suggests adam_epsilon)
    unknown = [p.key for p in report.warnings if "unknown key" in p.message]
    assert unknown in ([], ["adam_eps"]), unknown


def test_every_config_axolotl_accepts_opens():
    accepted = [name for name, verdict in VERDICTS.items() if verdict["ok"]]
    assert len(accepted) == 42
    refused = [name for name in accepted if not check_config(EXAMPLES / name).ok]
    assert refused == []


@pytest.mark.parametrize(
    ("name", "feature"),
    [
        ("llama-3/qlora-1b-gdpo.yaml", "preference/RL training (rl: gdpo)"),
        ("ebft/llama-1b-ebft-opencode.yaml", "preference/RL training (rl: ebft)"),
        ("gemma2/reward-model.yaml", "reward model training"),
        ("qwen2/prm.yaml", "process reward model training"),
        ("llama-3/3b-qat-nvfp4.yaml", "quantization-aware training (qat)"),
        ("llama-3/diffusion/pretrain-1b.yaml", "diffusion language-model training"),
        ("llama-3-vision/lora-11b.yaml", "vision/audio models (processor_type)"),
        ("nemotron-h/nano-30b-a3b-qlora-cp.yaml", "sequence/context parallelism"),
        ("distributed-parallel/llama-3_1-8b-hsdp-tp.yaml", "tensor parallelism"),
        ("expert_parallel/qwen3_30ba3b_ep_lora_4gpu.yaml", "expert parallelism"),
        ("llama-2/relora.yml", "ReLoRA"),
        ("llama-2/lisa.yml", "LISA layer sampling"),
        ("llama-2/gptq-lora.yml", "pre-quantized model loading (model_quantization_config)"),
        ("qwen2/muon-pretrain-fsdp2.yaml", "optimizer muon"),
        ("gemma3/gemma-3-1b-qlora.yml", "partial fine-tuning (unfrozen_parameters)"),
    ],
)
def test_methods_ftui_cannot_train_are_listed_as_unsupported(name, feature):
    report = check_config(EXAMPLES / name)
    assert report.ok
    assert feature in [u.feature for u in report.unsupported]


@pytest.mark.parametrize(
    "name",
    ["mistral/qlora.yml", "llama-3/lora-1b.yml", "qwen3/32b-qlora.yaml", "gemma4/31b-qlora.yaml",
     "falcon-h1/falcon-h1-1b-qlora.yaml", "phi/phi3-ft.yml", "archived/jeopardy-bot/config.yml"],
)  # fmt: skip
def test_plain_sft_configs_have_nothing_unsupported(name):
    """Nothing but what depends on the machine (Liger's Triton kernels need a CUDA GPU; this one has none)."""
    unsupported = check_config(EXAMPLES / name).unsupported
    assert [u for u in unsupported if u.feature != "Liger kernels on this machine"] == []


def test_todays_keys_are_acted_on():
    qwen = load_config(EXAMPLES / "qwen3.5/27b-qlora.yaml").config
    assert qwen.chat_template == "qwen3_5" and qwen.attention == "flash_attention_2"
    assert qwen.plugins and qwen.optimizer == "adamw_torch_4bit"
    pretrain = load_config(EXAMPLES / "streaming/pretrain.yaml").config
    assert pretrain.datasets == [] and pretrain.training_datasets[0].type == "completion"
    archived = load_config(EXAMPLES / "archived/mpt-7b/config.yml")
    assert archived.config.special_tokens is not None  # `tokens:` as a mapping: the old special_tokens
    assert any("old spelling of `special_tokens:`" in w for w in archived.warnings)


def test_check_json_for_every_example_is_one_object(tmp_path):
    """The CLI prints exactly one JSON object per file and exits 0/2 by `ok`."""
    for name in ("cloud/modal.yaml", "llama-3/instruct-dpo-lora-8b.yml"):
        result = subprocess.run(
            [sys.executable, "-m", "ftui.tui.cli", "check", str(EXAMPLES / name), "--json"],
            capture_output=True,
            text=True,
            timeout=120,
        )
        report = json.loads(result.stdout)
        assert set(report) == {"ok", "errors", "warnings", "ignored_keys", "unsupported"}
        assert result.returncode == (0 if report["ok"] else 2)
        assert report["ok"] == (report["errors"] == [])
