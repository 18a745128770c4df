"""`ftui merge`: the merged model gives the same logits as base + adapter (LoRA and QLoRA runs)."""

from __future__ import annotations

import json

import pytest
from ftui.core.config import load_config
from ftui.core.errors import UserError
from test_train_support import write_config


def _train(folder, model_dir, **overrides):
    from ftui.core.train.runner import run_training

    config = write_config(folder, model_dir, max_steps=3, learning_rate=0.05, lora_dropout=0.0, **overrides)
    result = run_training(load_config(config).config, config_dir=folder, quiet=True)
    assert result.status == "finished"
    return folder / "out"


def _logits(model, ids):
    import torch

    with torch.no_grad():
        return model(input_ids=ids).logits


@pytest.mark.slow
@pytest.mark.parametrize("adapter", ["lora", "qlora"])
def test_merged_model_matches_base_plus_adapter(tmp_path, tiny_chatml_model_dir, adapter):
    import torch
    from ftui.core.merge import merge_run
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    extra = {"load_in_4bit": True} if adapter == "qlora" else {}
    run_dir = _train(tmp_path, tiny_chatml_model_dir, adapter=adapter, **extra)
    merged_dir = merge_run(run_dir, tmp_path / "merged")
    assert (merged_dir / "model.safetensors").exists() and (merged_dir / "tokenizer.json").exists()
    assert not (merged_dir / "adapter_config.json").exists()
    config = json.loads((merged_dir / "config.json").read_text())
    assert "quantization_config" not in config  # merged into the de-quantized base, saved unquantized

    ids = torch.tensor([[1, 20, 300, 4000, 5, 66, 777]])
    base = AutoModelForCausalLM.from_pretrained(tiny_chatml_model_dir, dtype=torch.float32)
    reference = _logits(PeftModel.from_pretrained(base, run_dir).eval(), ids)
    merged = AutoModelForCausalLM.from_pretrained(merged_dir, dtype=torch.float32).eval()
    torch.testing.assert_close(_logits(merged, ids), reference, rtol=1e-4, atol=1e-4)
    plain = AutoModelForCausalLM.from_pretrained(tiny_chatml_model_dir, dtype=torch.float32).eval()
    assert not torch.allclose(_logits(plain, ids), reference, atol=1e-4)  # the adapter did change something


@pytest.mark.slow
def test_merge_refuses_a_full_finetune(tmp_path, tiny_chatml_model_dir):
    from ftui.core.merge import merge_run

    run_dir = _train(tmp_path, tiny_chatml_model_dir, adapter=None)
    with pytest.raises(UserError, match="nothing to merge"):
        merge_run(run_dir)


def test_merge_missing_run_is_a_user_error(tmp_path):
    from ftui.core.merge import merge_run

    with pytest.raises(UserError):
        merge_run(tmp_path / "nope")
    with pytest.raises(UserError, match="no trained model"):
        merge_run(tmp_path)
