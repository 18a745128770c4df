"""Catalog, facts resolution and exact parameter counts (no weights, no network)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from ftui.core.errors import UserError
from ftui.core.models import catalog, count_parameters, get_model_facts, linear_module_names
from ftui.core.models.catalog import close_catalog_names

REQUIRED_IDS = [
    "meta-llama/Llama-3.2-1B",
    "meta-llama/Llama-3.2-1B-Instruct",
    "meta-llama/Llama-3.2-3B",
    "meta-llama/Llama-3.2-3B-Instruct",
    "meta-llama/Llama-3.1-8B",
    "meta-llama/Llama-3.1-8B-Instruct",
    "meta-llama/Llama-3.1-70B",
    "meta-llama/Llama-3.1-70B-Instruct",
    "mistralai/Mistral-7B-v0.1",
    "mistralai/Mistral-7B-v0.3",
    "mistralai/Mixtral-8x7B-v0.1",
    *[f"Qwen/Qwen2.5-{s}{i}" for s in ("0.5B", "1.5B", "7B", "14B", "32B", "72B") for i in ("", "-Instruct")],
    *[f"Qwen/Qwen3-{s}" for s in ("0.6B", "1.7B", "4B", "8B", "14B", "32B")],
    "google/gemma-2-2b",
    "google/gemma-2-9b",
    "google/gemma-2-27b",
    "google/gemma-3-1b-pt",
    "google/gemma-3-4b-it",
    "google/gemma-3-12b-it",
    "google/gemma-3-27b-it",
    "microsoft/Phi-3-mini-4k-instruct",
    "microsoft/Phi-3.5-mini-instruct",
    *[f"HuggingFaceTB/SmolLM2-{s}{i}" for s in ("135M", "360M", "1.7B") for i in ("", "-Instruct")],
    "TinyLlama/TinyLlama-1.1B-Chat-v1.0",
]


def test_catalog_has_every_required_model_with_a_cited_config():
    models = catalog()
    missing = [hub_id for hub_id in REQUIRED_IDS if hub_id not in models]
    assert not missing
    for hub_id, facts in models.items():
        assert facts.citation == f"https://huggingface.co/{hub_id}/blob/main/config.json"
        assert facts.hidden_size % 64 == 0 or facts.hidden_size in (576, 896, 960, 1152)
        assert facts.num_heads % facts.num_kv_heads == 0
        assert facts.chat_template in ("llama3", "mistral", "chatml", "gemma", "phi3", "tokenizer_default")
        assert facts.family_label


def test_catalog_facts_spot_checks():
    m = catalog()
    assert m["meta-llama/Llama-3.1-8B-Instruct"].instruct and not m["meta-llama/Llama-3.1-8B"].instruct
    assert m["meta-llama/Llama-3.2-1B"].tied_embeddings and not m["meta-llama/Llama-3.1-8B"].tied_embeddings
    mixtral = m["mistralai/Mixtral-8x7B-v0.1"]
    assert (mixtral.num_experts, mixtral.experts_per_token) == (8, 2)
    assert m["google/gemma-3-4b-it"].vision is not None and m["google/gemma-3-1b-pt"].vision is None
    assert (
        m["mistralai/Mistral-7B-v0.3"].vocab_size == 32768
        and m["mistralai/Mistral-7B-v0.1"].vocab_size == 32000
    )
    assert m["Qwen/Qwen2.5-7B-Instruct"].max_positions == 32768
    assert m["microsoft/Phi-3.5-mini-instruct"].head_dim == 96


def test_analytic_counts_equal_published_totals():
    checked = 0
    for hub_id, facts in catalog().items():
        if facts.params_published is not None:
            assert count_parameters(facts).total == facts.params_published, hub_id
            checked += 1
    assert checked >= 60
    assert count_parameters(catalog()["meta-llama/Meta-Llama-3-8B"]).total == 8_030_261_248
    assert count_parameters(catalog()["mistralai/Mistral-7B-v0.1"]).total == 7_241_732_096


def test_catalog_loads_without_torch():
    code = (
        "import sys, time; t = time.perf_counter()\n"
        "from ftui.core.models import get_model_facts, count_parameters\n"
        "f = get_model_facts('Qwen/Qwen2.5-7B-Instruct'); count_parameters(f)\n"
        "print(time.perf_counter() - t, 'torch' in sys.modules, 'transformers' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split()
    assert out[1:] == ["False", "False"]


def test_embedded_default_resolves_offline():
    facts = get_model_facts("embedded")
    assert facts.source == "embedded" and facts.name == "HuggingFaceTB/SmolLM2-135M-Instruct"
    assert count_parameters(facts).total == 134_515_008


def test_catalog_ids_ignore_case():
    assert get_model_facts("qwen/qwen2.5-0.5b").name == "Qwen/Qwen2.5-0.5B"


def test_local_folder_reads_config_json(tmp_path: Path):
    config = {
        "architectures": ["Qwen2ForCausalLM"],
        "model_type": "qwen2",
        "hidden_size": 64,
        "intermediate_size": 96,
        "num_hidden_layers": 3,
        "num_attention_heads": 4,
        "num_key_value_heads": 2,
        "vocab_size": 1000,
        "tie_word_embeddings": True,
        "max_position_embeddings": 4096,
    }
    (tmp_path / "config.json").write_text(json.dumps(config))
    facts = get_model_facts(str(tmp_path))
    assert facts.source == "local" and facts.model_type == "qwen2" and facts.head_dim == 16
    assert facts.attention_bias and facts.tied_embeddings and facts.max_positions == 4096
    assert linear_module_names(facts)[:4] == ["q_proj", "k_proj", "v_proj", "o_proj"]


def test_gguf_metadata_matches_the_catalog():
    from ftui.core.models.embedded import embedded_gguf_path

    gguf_path = embedded_gguf_path()
    facts = get_model_facts(str(gguf_path))
    expected = catalog()["HuggingFaceTB/SmolLM2-135M-Instruct"]
    assert facts.source == "gguf"
    for field in ("hidden_size", "num_layers", "num_heads", "num_kv_heads", "head_dim", "intermediate_size"):
        assert getattr(facts, field) == getattr(expected, field), field
    assert (facts.vocab_size, facts.tied_embeddings) == (49152, True)
    assert count_parameters(facts).total == 134_515_008
    assert get_model_facts(str(gguf_path)) is facts  # cached: the wizard asks on every keystroke


def test_hub_id_downloads_config_when_online(monkeypatch, tmp_path):
    import huggingface_hub

    config = {
        "architectures": ["MistralForCausalLM"],
        "model_type": "mistral",
        "hidden_size": 128,
        "intermediate_size": 256,
        "num_hidden_layers": 2,
        "num_attention_heads": 4,
        "num_key_value_heads": 2,
        "vocab_size": 500,
    }
    (tmp_path / "config.json").write_text(json.dumps(config))
    calls = []

    def download(repo_id, filename):
        calls.append((repo_id, filename))
        return str(tmp_path / filename)

    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("TRANSFORMERS_OFFLINE", raising=False)
    monkeypatch.setattr(huggingface_hub, "try_to_load_from_cache", lambda repo_id, filename: None)
    monkeypatch.setattr(huggingface_hub, "hf_hub_download", download)
    facts = get_model_facts("someone/tiny-mistral-online")
    assert facts.source == "hub" and facts.model_type == "mistral" and facts.num_kv_heads == 2
    assert calls == [("someone/tiny-mistral-online", "config.json")]
    assert not facts.tied_embeddings  # transformers' default for Mistral when the key is absent


def test_unknown_model_lists_close_catalog_names():
    with pytest.raises(UserError) as err:
        get_model_facts("llama-3.1-8b")
    assert "unknown model" in err.value.message
    assert "meta-llama/Llama-3.1-8B" in err.value.hint
    assert "Qwen/Qwen3-8B" in close_catalog_names("qwen3-8b")


def test_hub_id_not_cached_offline_is_a_clear_error(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(UserError) as err:
        get_model_facts("someone/not-a-catalog-model-7b")
    assert "not available offline" in err.value.message
    assert "huggingface-cli download" in err.value.hint


def test_missing_path_is_a_user_error():
    with pytest.raises(UserError, match="not found"):
        get_model_facts("./no/such/model.gguf")
