"""The estimator's static components against real tensors of a tiny model on CPU (exact byte counts)."""

from __future__ import annotations

import pytest
from ftui.core.memory import EstimateInput
from ftui.core.memory.static import static_memory
from ftui.core.models.facts import facts_from_config

CONFIG = {
    "model_type": "llama",
    "architectures": ["LlamaForCausalLM"],
    "vocab_size": 300,
    "hidden_size": 128,
    "intermediate_size": 256,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "num_key_value_heads": 2,
    "tie_word_embeddings": False,
    "max_position_embeddings": 256,
}
FACTS = facts_from_config(CONFIG, "tiny", "local")


def _model(dtype_name: str = "fp32"):
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(0)
    cfg = {k: v for k, v in CONFIG.items() if k not in ("model_type", "architectures")}
    model = LlamaForCausalLM(LlamaConfig(**cfg))
    return model.to({"fp32": torch.float32, "bf16": torch.bfloat16}[dtype_name])


def _bytes(tensors) -> int:
    return sum(t.numel() * t.element_size() for t in tensors)


@pytest.fixture(scope="module")
def saved_tiny(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tiny-llama-memory")
    _model("fp32").save_pretrained(folder)
    return folder


@pytest.mark.parametrize("dtype", ["fp32", "bf16"])
def test_base_weight_bytes_equal_real_parameters(dtype):
    model = _model(dtype)
    static = static_memory(FACTS, EstimateInput(dtype=dtype))
    assert static.weights == _bytes(model.parameters())
    assert static.quantized_weights == 0


def _optimizer_state_bytes(optimizer) -> int:
    import torch

    total = 0
    for state in optimizer.state.values():
        for key, value in state.items():
            if torch.is_tensor(value) and key not in ("step", "qmap1", "qmap2") and value.numel() > 1:
                total += value.numel() * value.element_size()
    return total


def _one_step(model, optimizer) -> None:
    import torch

    ids = torch.randint(0, CONFIG["vocab_size"], (2, 16))
    model(input_ids=ids, labels=ids).loss.backward()
    optimizer.step()


@pytest.mark.parametrize("dtype", ["fp32", "bf16"])
def test_full_finetune_adamw_states_and_gradients(dtype):
    import torch

    model = _model(dtype)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4)
    _one_step(model, optimizer)
    static = static_memory(FACTS, EstimateInput(dtype=dtype, optimizer="adamw_torch"))
    assert static.optimizer_states == _optimizer_state_bytes(optimizer)
    assert static.gradients == _bytes(p.grad for p in model.parameters())
    assert static.trainable_params == sum(p.numel() for p in model.parameters())


def test_adamw_bnb_8bit_states_after_one_step():
    import bitsandbytes as bnb

    model = _model("fp32")
    optimizer = bnb.optim.AdamW8bit(model.parameters(), lr=1e-4)
    _one_step(model, optimizer)
    static = static_memory(FACTS, EstimateInput(dtype="fp32", optimizer="adamw_bnb_8bit"))
    assert static.optimizer_states == _optimizer_state_bytes(optimizer)


def test_adafactor_states_after_one_step():
    from transformers.optimization import Adafactor

    model = _model("fp32")
    optimizer = Adafactor(model.parameters(), lr=1e-3, relative_step=False, scale_parameter=False)
    _one_step(model, optimizer)
    static = static_memory(FACTS, EstimateInput(dtype="fp32", optimizer="adafactor"))
    assert static.optimizer_states == _optimizer_state_bytes(optimizer)


@pytest.mark.parametrize(
    "targets,target_linear", [(("q_proj", "v_proj"), False), ((), True), (("o_proj", "down_proj"), False)]
)
def test_lora_adapter_bytes_and_adamw_states(targets, target_linear):
    import torch
    from peft import LoraConfig, get_peft_model

    model = _model("bf16")
    lora = LoraConfig(r=8, lora_alpha=16, target_modules=list(targets) if targets else "all-linear")
    peft_model = get_peft_model(model, lora)
    trainable = [p for p in peft_model.parameters() if p.requires_grad]
    assert all(p.dtype == torch.float32 for p in trainable)  # PEFT's autocast_adapter_dtype
    optimizer = torch.optim.AdamW(trainable, lr=1e-4)
    _one_step(peft_model, optimizer)
    inp = EstimateInput(
        adapter="lora", lora_r=8, lora_target_modules=targets, lora_target_linear=target_linear
    )
    static = static_memory(FACTS, inp)
    assert static.adapters == _bytes(trainable)
    assert static.gradients == _bytes(p.grad for p in trainable)
    assert static.optimizer_states == _optimizer_state_bytes(optimizer)
    assert static.weights == _bytes(p for p in peft_model.parameters() if not p.requires_grad)


@pytest.mark.slow
def test_qlora_4bit_weight_bytes_through_bitsandbytes_on_cpu(saved_tiny):
    import torch
    from peft import prepare_model_for_kbit_training
    from transformers import AutoModelForCausalLM, BitsAndBytesConfig

    quant = BitsAndBytesConfig(
        load_in_4bit=True,
        bnb_4bit_quant_type="nf4",
        bnb_4bit_use_double_quant=True,
        bnb_4bit_compute_dtype=torch.bfloat16,
    )
    model = AutoModelForCausalLM.from_pretrained(saved_tiny, quantization_config=quant, dtype=torch.bfloat16)
    model = prepare_model_for_kbit_training(model, use_gradient_checkpointing=False)
    quantized = 0
    other = []
    for param in model.parameters():
        if param.__class__.__name__ == "Params4bit":
            state = param.quant_state
            quantized += _bytes([param, state.absmax])
            if state.nested:
                quantized += _bytes([state.state2.absmax])
        else:
            other.append(param)
    static = static_memory(FACTS, EstimateInput(adapter="qlora", dtype="bf16"))
    assert static.quantized_weights == quantized
    assert all(p.dtype == torch.float32 for p in other)  # prepare_model_for_kbit_training upcasts the rest
    assert static.weights == _bytes(other)
