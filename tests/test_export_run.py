"""`ftui export` on real run folders: the demo's LoRA run (SmolLM2-135M, merged in memory) and the CLI's errors.

The demo run is the shipped demo config trained for two steps: a real model with real weights, so greedy
generations are a meaningful check (a random tiny model's flat logits make greedy ties).
"""

from __future__ import annotations

import json

import pytest
import yaml
from ftui.core.paths import templates_dir
from test_train_support import run_cli

DEMO_PROMPTS = [
    "Show me error logs from checkout in the last hour",
    "What is the p95 latency of the payments service today?",
    "How many traces from the search service took longer than 2 seconds?",
]


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    """The demo config (embedded SmolLM2-135M-Instruct, LoRA) trained for two steps, not merged."""
    from ftui.core.config import load_config
    from ftui.core.train.runner import run_training

    folder = tmp_path_factory.mktemp("demo")
    config = yaml.safe_load((templates_dir() / "configs" / "demo.yml").read_text(encoding="utf-8"))
    config["datasets"][0]["path"] = str(templates_dir() / "demo" / "observability_queries.jsonl")
    config.update(
        max_steps=2,
        val_set_size=0,
        eval_assertions=None,
        output_dir=str(folder / "demo-run"),
        dataset_prepared_path=str(folder / "prepared"),
        sequence_len=256,
    )
    path = folder / "demo.yml"
    path.write_text(json.dumps(config), encoding="utf-8")
    result = run_training(load_config(path).config, config_dir=folder, quiet=True)
    assert result.status == "finished"
    run = folder / "demo-run"
    assert (run / "adapter_config.json").exists() and not (run / "merged").exists()
    return run


def _chat_ids(tokenizer, prompt: str):
    import torch

    text = tokenizer.apply_chat_template([{"role": "user", "content": prompt}], tokenize=False,
                                         add_generation_prompt=True)  # fmt: skip
    return torch.tensor([tokenizer(text, add_special_tokens=False)["input_ids"]])


def _merged_fp16(run):
    """The run's LoRA merged into the base in fp32, every weight rounded to fp16: what the f16 file holds."""
    import torch
    from ftui.core.merge import load_merged

    model, tokenizer, _ = load_merged(run, dtype="float32")
    with torch.no_grad():
        for param in model.parameters():
            param.copy_(param.half().float())
    return model.eval(), tokenizer


@pytest.mark.slow
def test_cli_exports_the_demo_run_merged_in_memory(demo_run):
    from test_export_gguf import _greedy, _load_gguf, _relative_error

    done = run_cli(["export", str(demo_run), "--gguf"], cwd=demo_run.parent)
    assert done.returncode == 0, done.stderr
    path = demo_run / "export" / "demo-run-f16.gguf"
    assert done.stdout.strip() == str(path) and path.exists()
    assert "merging the adapter" in done.stderr and not (demo_run / "merged").exists()
    modelfile = (demo_run / "export" / "Modelfile").read_text(encoding="utf-8")
    assert "FROM ./demo-run-f16.gguf" in modelfile and 'PARAMETER stop "<|im_end|>"' in modelfile

    reference, tokenizer = _merged_fp16(demo_run)
    exported = _load_gguf(path)
    for prompt in DEMO_PROMPTS:
        ids = _chat_ids(tokenizer, prompt)
        assert _relative_error(reference, exported, ids) < 1e-3, prompt
        assert _greedy(exported, ids, 24) == _greedy(reference, ids, 24), prompt


@pytest.mark.slow
def test_q8_0_export_of_the_demo_run_stays_close(demo_run, tmp_path):
    from ftui.core.export.gguf_file import export_gguf
    from test_export_gguf import _load_gguf, _relative_error

    result = export_gguf(demo_run, "q8_0", out_dir=tmp_path, say=lambda _m: None)
    exported = _load_gguf(result.path)
    f16_size = sum(p.numel() for p in exported.parameters()) * 2
    assert result.path.stat().st_size < 0.6 * f16_size  # 8.5 bits a weight, not 16
    reference, tokenizer = _merged_fp16(demo_run)
    for prompt in DEMO_PROMPTS:  # measured: see docs/export.md
        assert _relative_error(reference, exported, _chat_ids(tokenizer, prompt)) < 5e-2, prompt


def test_missing_run_folder_is_one_clear_message(tmp_path):
    done = run_cli(["export", str(tmp_path / "nope"), "--gguf"], cwd=tmp_path)
    assert done.returncode != 0 and "run folder not found" in done.stderr
    assert "Traceback" not in done.stderr


def test_unknown_quant_and_missing_format_are_refused_by_the_parser(tmp_path):
    done = run_cli(["export", str(tmp_path), "--gguf", "--quant", "q3_k"], cwd=tmp_path)
    assert done.returncode == 2 and "invalid choice" in done.stderr and "q8_0" in done.stderr
    done = run_cli(["export", str(tmp_path)], cwd=tmp_path)
    assert done.returncode == 2 and "--gguf" in done.stderr


@pytest.mark.slow
def test_unsupported_architecture_names_the_supported_ones(tmp_path):
    import torch
    from transformers import GPT2Config, GPT2LMHeadModel

    torch.manual_seed(0)
    GPT2LMHeadModel(GPT2Config(n_embd=64, n_layer=2, n_head=4, vocab_size=100)).save_pretrained(
        tmp_path / "run"
    )
    done = run_cli(["export", str(tmp_path / "run"), "--gguf"], cwd=tmp_path)
    assert done.returncode != 0 and "GPT2LMHeadModel" in done.stderr
    assert "LlamaForCausalLM" in done.stderr and "Gemma3ForCausalLM" in done.stderr
    assert "Traceback" not in done.stderr and not (tmp_path / "run" / "export").exists()


def test_export_help_imports_no_torch(tmp_path):
    code = (
        "import sys\nfrom ftui.tui.cli import main\ntry:\n    main(['export', '--help'])\nexcept SystemExit:\n    pass\n"
        "print('heavy' if {'torch', 'transformers', 'gguf'} & set(sys.modules) else 'light')\n"
    )
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path)
    assert done.stdout.strip().endswith("light") and "--quant" in done.stdout
