"""Analytic parameter counts, Linear inventories and LoRA counts against real transformers/PEFT models."""

from __future__ import annotations

import pytest
from ftui.core.models import catalog, count_parameters, linear_module_names, lora_trainable_params
from ftui.core.models.facts import facts_from_config
from ftui.core.models.params import linear_layers, total_parameters

# Tiny random configs of every supported family (several shapes each: GQA/MHA, tied/untied, biases, head_dim).
TINY = {
    "llama": [
        dict(hidden_size=64, intermediate_size=96, num_attention_heads=4, num_key_value_heads=2),
        dict(
            hidden_size=48,
            intermediate_size=80,
            num_attention_heads=4,
            num_key_value_heads=4,
            head_dim=16,
            tie_word_embeddings=True,
            attention_bias=True,
            mlp_bias=True,
        ),
    ],
    "mistral": [dict(hidden_size=64, intermediate_size=128, num_attention_heads=8, num_key_value_heads=2)],
    "qwen2": [
        dict(hidden_size=64, intermediate_size=96, num_attention_heads=4, num_key_value_heads=2),
        dict(
            hidden_size=96,
            intermediate_size=64,
            num_attention_heads=6,
            num_key_value_heads=2,
            tie_word_embeddings=True,
        ),
    ],
    "qwen3": [
        dict(hidden_size=64, intermediate_size=96, num_attention_heads=4, num_key_value_heads=2, head_dim=24),
        dict(
            hidden_size=64,
            intermediate_size=96,
            num_attention_heads=8,
            num_key_value_heads=4,
            head_dim=16,
            tie_word_embeddings=True,
        ),
    ],
    "gemma2": [
        dict(hidden_size=64, intermediate_size=96, num_attention_heads=4, num_key_value_heads=2, head_dim=32)
    ],
    "gemma3_text": [
        dict(hidden_size=64, intermediate_size=96, num_attention_heads=4, num_key_value_heads=1, head_dim=32)
    ],
    "phi3": [
        dict(
            hidden_size=64, intermediate_size=96, num_attention_heads=4, num_key_value_heads=2, pad_token_id=0
        )
    ],
    "mixtral": [
        dict(
            hidden_size=64,
            intermediate_size=96,
            num_attention_heads=4,
            num_key_value_heads=2,
            num_local_experts=4,
            num_experts_per_tok=2,
        )
    ],
}
CASES = [(mt, i, cfg) for mt, cfgs in TINY.items() for i, cfg in enumerate(cfgs)]


def _config(model_type: str, overrides: dict) -> dict:
    return {
        "model_type": model_type,
        "vocab_size": 211,
        "num_hidden_layers": 2,
        "tie_word_embeddings": False,
        "max_position_embeddings": 256,
        **overrides,
    }


def _build(model_type: str, config: dict):
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM

    cfg = dict(config)
    cfg.pop("model_type")
    torch.manual_seed(0)
    return AutoModelForCausalLM.from_config(AutoConfig.for_model(model_type, **cfg))


@pytest.mark.parametrize("model_type,index,overrides", CASES, ids=[f"{c[0]}-{c[1]}" for c in CASES])
def test_tiny_model_counts_match_transformers(model_type, index, overrides):
    import torch

    config = _config(model_type, overrides)
    facts = facts_from_config(config, f"tiny-{model_type}", "local")
    model = _build(model_type, config)
    counts = count_parameters(facts)
    assert counts.total == model.num_parameters()
    linear = [(n, m) for n, m in model.named_modules() if isinstance(m, torch.nn.Linear)]
    body = [m for n, m in linear if not n.endswith("lm_head")]
    assert counts.linear_weights == sum(m.weight.numel() for m in body)
    assert set(linear_module_names(facts)) == {n.rsplit(".", 1)[-1] for n, _ in linear} - {"lm_head"}


@pytest.mark.slow
@pytest.mark.parametrize(
    "hub_id",
    [
        "meta-llama/Meta-Llama-3-8B",
        "mistralai/Mistral-7B-v0.1",
        "google/gemma-3-4b-it",
        "mistralai/Mixtral-8x7B-v0.1",
        "Qwen/Qwen3-1.7B",
    ],
)
def test_big_catalog_models_on_the_meta_device(hub_id):
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM

    facts = catalog()[hub_id]
    cfg = facts.to_config_dict()
    model_type = cfg.pop("model_type")
    with torch.device("meta"):
        model = AutoModelForCausalLM.from_config(AutoConfig.for_model(model_type, **cfg))
    assert model.num_parameters() == count_parameters(facts).total


def test_published_totals_for_llama3_and_mistral():
    assert count_parameters(catalog()["meta-llama/Meta-Llama-3-8B"]).total == 8_030_261_248
    assert count_parameters(catalog()["mistralai/Mistral-7B-v0.1"]).total == 7_241_732_096


def test_unknown_architecture_falls_back_to_a_cached_meta_count(tmp_path, monkeypatch):
    monkeypatch.setenv("FTUI_CACHE", str(tmp_path))
    config = {
        "model_type": "gpt2",
        "n_embd": 32,
        "n_layer": 2,
        "n_head": 4,
        "vocab_size": 100,
        "n_positions": 64,
    }
    facts = facts_from_config(config, "tiny-gpt2", "local")
    facts.extra["config"] = config
    assert not facts.known_architecture
    expected = _build("gpt2", config).num_parameters()
    assert total_parameters(facts) == expected
    assert (tmp_path / "param_counts.json").exists()
    assert str(expected) in (tmp_path / "param_counts.json").read_text()


LORA_CASES = [
    ("llama", 0, 8, ["q_proj", "v_proj"], False),
    ("llama", 1, 4, ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"], False),
    ("qwen2", 0, 16, None, True),
    ("qwen3", 0, 8, ["o_proj", "down_proj"], False),
    ("gemma2", 0, 8, None, True),
    ("gemma3_text", 0, 4, ["q_proj", "k_proj"], True),
    ("phi3", 0, 8, ["qkv_proj", "o_proj"], False),
    ("phi3", 0, 2, None, True),
    ("mixtral", 0, 8, None, True),
    ("mistral", 0, 8, ["q_proj", "v_proj", "lm_head"], False),
]


@pytest.mark.parametrize("model_type,index,r,targets,target_linear", LORA_CASES)
def test_lora_count_equals_peft(model_type, index, r, targets, target_linear):
    import torch
    from peft import LoraConfig, get_peft_model

    config = _config(model_type, TINY[model_type][index])
    facts = facts_from_config(config, "tiny", "local")
    model = _build(model_type, config)
    if target_linear:  # Axolotl's lora_target_linear: every Linear except lm_head
        names = {n.rsplit(".", 1)[-1] for n, m in model.named_modules() if isinstance(m, torch.nn.Linear)}
        peft_targets = sorted((names - {"lm_head"}) | set(targets or []))
    else:
        peft_targets = targets
    peft_model = get_peft_model(model, LoraConfig(r=r, lora_alpha=2 * r, target_modules=peft_targets))
    trainable, _ = peft_model.get_nb_trainable_parameters()
    assert lora_trainable_params(facts, r, targets, target_linear) == trainable


def test_lora_counts_for_catalog_models_are_plausible():
    facts = catalog()["meta-llama/Llama-3.1-8B"]
    # r=16 on q,k,v,o,gate,up,down of Llama-3-8B: 41,943,040 (the figure PEFT prints for this model)
    assert lora_trainable_params(facts, 16, target_linear=True) == 41_943_040
    assert lora_trainable_params(facts, 8, ["q_proj", "v_proj"]) == 3_407_872


def test_gemma3_multimodal_inventory_includes_the_vision_tower():
    facts = catalog()["google/gemma-3-4b-it"]
    parts = {layer.part for layer in linear_layers(facts)}
    assert parts == {"text", "vision", "head"}
    assert "fc1" not in linear_module_names(facts)  # the TUI lists the decoder's layers
