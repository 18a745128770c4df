"""The activation model against the tensors autograd really saves (CPU, bf16 autocast like the Trainer).

`torch.autograd.graph.saved_tensors_hooks` sees every tensor kept for backward; summing their storages (once
each, parameters excluded) after a forward pass is exactly what the estimator's `saved` term predicts, plus
the fp32 log-softmax output the loss keeps. CPU SDPA saves the same tensors as the CUDA flash/efficient kernels
(q, k, v, output, log-sum-exp), so this checks every per-layer term except kernel-internal workspaces.
"""

from __future__ import annotations

import pytest
from ftui.core.memory import EstimateInput
from ftui.core.memory.activations import activation_memory
from ftui.core.models.facts import facts_from_config

VOCAB, BATCH, SEQ = 1000, 2, 128


def _config(model_type: str, **extra) -> dict:
    return dict(
        model_type=model_type,
        vocab_size=VOCAB,
        hidden_size=256,
        intermediate_size=704,
        num_hidden_layers=4,
        num_attention_heads=8,
        num_key_value_heads=4,
        tie_word_embeddings=False,
        max_position_embeddings=512,
        **extra,
    )


def _saved_bytes(model) -> int:
    import torch

    params = {p.untyped_storage().data_ptr() for p in model.parameters()}
    seen: dict[int, int] = {}

    def pack(tensor):
        storage = tensor.untyped_storage()
        if storage.data_ptr() not in params:
            seen[storage.data_ptr()] = max(seen.get(storage.data_ptr(), 0), storage.nbytes())
        return tensor

    torch.manual_seed(1)
    ids = torch.randint(0, VOCAB, (BATCH, SEQ))
    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        with torch.autocast("cpu", dtype=torch.bfloat16):
            model(input_ids=ids, labels=ids)
    return sum(seen.values())


def _estimated(config: dict, inp: EstimateInput) -> int:
    facts = facts_from_config(config, "tiny", "local")
    return activation_memory(facts, inp).saved + 4 * BATCH * SEQ * VOCAB  # + fp32 log-softmax output


def _build(config: dict, attention: str):
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM

    cfg = dict(config)
    model_type = cfg.pop("model_type")
    torch.manual_seed(0)
    hf = AutoConfig.for_model(model_type, **cfg)
    return AutoModelForCausalLM.from_config(hf, dtype=torch.bfloat16, attn_implementation=attention)


CASES = [
    ("llama", {}, None, (), False, "sdpa"),
    ("llama", {}, "lora", (), False, "sdpa"),
    ("llama", {}, "lora", ("q_proj", "v_proj"), False, "sdpa"),
    ("llama", {}, None, (), True, "sdpa"),
    ("llama", {}, "lora", (), True, "sdpa"),
    ("llama", {}, None, (), False, "eager"),
    ("qwen2", {}, "lora", ("o_proj", "down_proj"), False, "sdpa"),
    ("qwen3", {"head_dim": 32}, None, (), False, "sdpa"),
    ("qwen3", {"head_dim": 32}, "lora", (), False, "sdpa"),
    ("phi3", {"pad_token_id": 0}, "lora", (), False, "sdpa"),
    ("gemma2", {"head_dim": 32}, "lora", (), False, "eager"),
    ("gemma3_text", {"head_dim": 32}, "lora", (), False, "sdpa"),
]


@pytest.mark.parametrize("model_type,extra,adapter,targets,checkpointing,attention", CASES)
def test_saved_activations_match_autograd(model_type, extra, adapter, targets, checkpointing, attention):
    config = _config(model_type, **extra)
    model = _build(config, attention)
    if adapter:
        from peft import LoraConfig, get_peft_model

        model = get_peft_model(
            model, LoraConfig(r=8, target_modules=list(targets) if targets else "all-linear")
        )
    model.train()
    if checkpointing:
        model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
        if adapter:
            model.enable_input_require_grads()
    inp = EstimateInput(
        adapter=adapter,
        lora_r=8,
        lora_target_modules=targets,
        micro_batch_size=BATCH,
        sequence_len=SEQ,
        gradient_checkpointing=checkpointing,
        attention=attention,
    )
    measured = _saved_bytes(model)
    assert _estimated(config, inp) == pytest.approx(measured, rel=0.05)


@pytest.mark.slow
def test_qlora_saved_activations_with_fp32_residual_stream(tmp_path):
    import torch
    from peft import LoraConfig, get_peft_model, prepare_model_for_kbit_training
    from transformers import AutoModelForCausalLM, BitsAndBytesConfig

    config = _config("llama")
    _build(config, "sdpa").save_pretrained(tmp_path)
    quant = BitsAndBytesConfig(
        load_in_4bit=True,
        bnb_4bit_quant_type="nf4",
        bnb_4bit_use_double_quant=True,
        bnb_4bit_compute_dtype=torch.bfloat16,
    )
    model = AutoModelForCausalLM.from_pretrained(
        tmp_path, quantization_config=quant, dtype=torch.bfloat16, attn_implementation="sdpa"
    )
    model = prepare_model_for_kbit_training(model, use_gradient_checkpointing=False)
    model = get_peft_model(model, LoraConfig(r=8, target_modules="all-linear"))
    model.train()
    inp = EstimateInput(adapter="qlora", lora_r=8, micro_batch_size=BATCH, sequence_len=SEQ)
    assert _estimated(config, inp) == pytest.approx(_saved_bytes(model), rel=0.05)
