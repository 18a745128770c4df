"""Estimator behaviour: structure, multi-GPU rules, verdicts, suggestions, config adapter."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from ftui.core.memory import EstimateInput, GpuTarget, breakdown, estimate_memory
from ftui.core.memory.activations import activation_memory
from ftui.core.models import catalog, lora_trainable_params

GIB = 1024**3
LLAMA8 = catalog()["meta-llama/Llama-3.1-8B"]
QWEN05 = catalog()["Qwen/Qwen2.5-0.5B"]
A100_40 = GpuTarget("A100 40G", 40960 * 1024**2)


def _inp(**kw) -> EstimateInput:
    base = dict(model=LLAMA8.name, sequence_len=2048, micro_batch_size=1)
    base.update(kw)
    return EstimateInput(**base)


def test_components_sum_to_total_and_serialize():
    result = estimate_memory(_inp(adapter="qlora", gradient_checkpointing=True), facts=LLAMA8, gpus=[A100_40])
    assert sum(result.components.values()) == result.total_bytes
    assert result.total_bytes - result.components["cuda_overhead"] == result.peak_allocated_bytes
    data = json.loads(json.dumps(result.to_dict()))
    assert data["params"] == 8_030_261_248
    assert data["per_gpu"][0]["status"] == "fits"


def test_re_estimating_reuses_the_cached_facts_and_fills_suggestions():
    """The wizard re-estimates on every keystroke; speed is measured in bench/inspection_speed.py."""
    inp = _inp(adapter="lora", micro_batch_size=8)
    first = estimate_memory(inp, facts=LLAMA8, gpus=[A100_40])
    for seq in range(1000, 1005):
        result = estimate_memory(inp.with_changes(sequence_len=seq), facts=LLAMA8, gpus=[A100_40])
        assert result.suggestions
    assert result.params == first.params


def test_estimator_never_imports_torch():
    code = (
        "import sys\n"
        "from ftui.core.memory import EstimateInput, estimate_memory, GpuTarget\n"
        "r = estimate_memory(EstimateInput(model='Qwen/Qwen2.5-7B', adapter='qlora'), gpus=[GpuTarget('x', 8 << 30)])\n"
        "print(r.total_bytes > 0, 'torch' in sys.modules, 'transformers' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split()
    assert out == ["True", "False", "False"]


def test_trainable_params_match_the_lora_count():
    inp = _inp(adapter="lora", lora_r=16, lora_target_modules=("q_proj", "v_proj"))
    result = breakdown(LLAMA8, inp)
    assert result.trainable_params == lora_trainable_params(LLAMA8, 16, ["q_proj", "v_proj"]) == 6_815_744
    assert result.components["trainable_params"] == 4 * 6_815_744  # fp32 adapters


def test_qlora_splits_quantized_and_16bit_weights():
    result = breakdown(LLAMA8, _inp(adapter="qlora"))
    quantized = result.components["base_weights_quantized"]
    linear_params = 8_030_261_248 - 2 * 128256 * 4096 - (2 * 32 + 1) * 4096
    assert 0.515 * linear_params < quantized < 0.517 * linear_params  # NF4 + double-quant scales
    assert result.components["base_weights"] == 4 * (8_030_261_248 - linear_params)  # fp32 after kbit prep


def test_orderings_that_must_hold():
    def total(**kw) -> int:
        return breakdown(LLAMA8, _inp(**kw)).total_bytes

    assert total(adapter="qlora") < total(adapter="lora") < total()
    assert total(adapter="lora", gradient_checkpointing=True) < total(adapter="lora")
    assert total(adapter="lora", sequence_len=1024) < total(adapter="lora", sequence_len=2048)
    assert total(optimizer="adamw_bnb_8bit") < total(optimizer="adamw_torch")
    assert total(optimizer="adamw_torch_fused") < total(optimizer="adamw_torch")  # no foreach temporaries
    assert total(adapter="lora", attention="eager") > total(adapter="lora", attention="flash")


def test_gradient_checkpointing_keeps_only_layer_inputs():
    inp = _inp(adapter="lora", micro_batch_size=2)
    plain = activation_memory(LLAMA8, inp)
    ckpt = activation_memory(LLAMA8, inp.with_changes(gradient_checkpointing=True))
    tokens = 2 * 2048
    assert ckpt.saved < plain.saved / 10
    assert ckpt.saved >= 32 * 2 * 4096 * tokens  # one bf16 hidden state per layer
    assert plain.logits_peak == ckpt.logits_peak == 12 * tokens * 128256


def test_fsdp_divides_weights_grads_and_optimizer_ddp_does_not():
    one = breakdown(LLAMA8, _inp(gradient_checkpointing=True)).components
    ddp = breakdown(LLAMA8, _inp(gradient_checkpointing=True, num_gpus=4)).components
    fsdp = breakdown(LLAMA8, _inp(gradient_checkpointing=True, num_gpus=4, sharding="fsdp")).components
    assert ddp["base_weights"] == one["base_weights"] and ddp["optimizer_states"] == one["optimizer_states"]
    assert ddp["multi_gpu_buffers"] == one["gradients"]  # DDP buckets: a flat copy of the gradients
    assert fsdp["base_weights"] == one["base_weights"] // 4
    assert fsdp["optimizer_states"] == one["optimizer_states"] // 4
    assert 0 < fsdp["multi_gpu_buffers"] < one["base_weights"] // 4


def test_zero_stages_shard_progressively():
    def comps(sharding):
        return breakdown(LLAMA8, _inp(num_gpus=8, sharding=sharding, gradient_checkpointing=True)).components

    z1, z2, z3 = comps("zero1"), comps("zero2"), comps("zero3")
    full = breakdown(LLAMA8, _inp(gradient_checkpointing=True)).components
    assert (
        z1["optimizer_states"] == full["optimizer_states"] // 8 and z1["base_weights"] == full["base_weights"]
    )
    assert z2["gradients"] == full["gradients"] // 8 and z2["base_weights"] == full["base_weights"]
    assert z3["base_weights"] == full["base_weights"] // 8


def test_paged_optimizer_states_are_reported_as_offloadable():
    result = breakdown(LLAMA8, _inp(optimizer="paged_adamw_8bit"))
    assert result.components["optimizer_states"] == 0
    assert result.offloaded["optimizer_states"] > 15 * GIB  # 2 uint8 states for 8B params
    assert any("paged" in note for note in result.notes)


def test_verdicts_thresholds():
    total = breakdown(QWEN05, _inp(model=QWEN05.name, adapter="lora")).total_bytes
    gpus = [
        GpuTarget("roomy", int(total / 0.5)),
        GpuTarget("tight", int(total / 0.95)),
        GpuTarget("small", total // 2),
    ]
    result = estimate_memory(_inp(model=QWEN05.name, adapter="lora"), facts=QWEN05, gpus=gpus, suggest=False)
    assert [v.status for v in result.per_gpu] == ["fits", "tight", "does_not_fit"]
    assert result.per_gpu[2].usage == pytest.approx(2.0, rel=1e-3)


def test_suggestions_are_ranked_and_re_estimated():
    inp = _inp(adapter="lora", micro_batch_size=4)
    result = estimate_memory(inp, facts=LLAMA8, gpus=[A100_40])
    assert result.per_gpu[0].status == "does_not_fit"
    assert result.suggestions and result.suggestions[0].fits
    assert "gradient checkpointing" in result.suggestions[0].title
    for suggestion in result.suggestions:
        changed = breakdown(LLAMA8, inp.with_changes(**suggestion.changes)).total_bytes
        assert suggestion.total_bytes == changed
        assert suggestion.saves_bytes == result.total_bytes - changed > 0
    fitting = [s.fits for s in result.suggestions]
    assert fitting == sorted(fitting, reverse=True)  # every fitting change before the others


def test_a_combination_is_offered_when_no_single_change_fits():
    small = GpuTarget("T4 16G", 15360 * 1024**2)
    inp = _inp(micro_batch_size=4, sequence_len=4096)  # full fine-tune of 8B on a T4
    result = estimate_memory(inp, facts=LLAMA8, gpus=[small])
    assert result.suggestions[0].title.startswith("combine:")
    assert result.suggestions[0].fits
    assert (
        breakdown(LLAMA8, inp.with_changes(**result.suggestions[0].changes)).total_bytes <= small.memory_bytes
    )


def test_no_suggestions_when_it_fits():
    result = estimate_memory(_inp(model=QWEN05.name, adapter="qlora"), facts=QWEN05, gpus=[A100_40])
    assert result.per_gpu[0].status == "fits" and result.suggestions == []


def test_from_config_reads_axolotl_keys(tmp_path):
    ds = tmp_path / "zero3.json"
    ds.write_text(json.dumps({"zero_optimization": {"stage": 3}}))
    config = {
        "base_model": "Qwen/Qwen2.5-7B",
        "adapter": "qlora",
        "load_in_4bit": True,
        "lora_r": 32,
        "lora_target_modules": ["q_proj", "v_proj"],
        "micro_batch_size": 2,
        "gradient_accumulation_steps": 4,
        "sequence_len": 4096,
        "sample_packing": True,
        "gradient_checkpointing": True,
        "flash_attention": True,
        "optimizer": "paged_adamw_8bit",
        "bf16": "auto",
        "deepspeed": str(ds),
        "num_processes": 2,
    }
    inp = EstimateInput.from_config(config)
    assert (inp.model, inp.adapter, inp.quant_bits, inp.lora_r) == ("Qwen/Qwen2.5-7B", "qlora", 4, 32)
    assert inp.lora_target_modules == ("q_proj", "v_proj") and not inp.targets_all_linear
    assert (inp.micro_batch_size, inp.gradient_accumulation_steps, inp.sequence_len) == (2, 4, 4096)
    assert inp.attention == "flash" and inp.dtype == "bf16" and inp.sharding == "zero3" and inp.num_gpus == 2
    assert EstimateInput.from_config({"fsdp": ["full_shard", "auto_wrap"]}).sharding == "fsdp"
    assert EstimateInput.from_config({"bf16": False, "fp16": True}).dtype == "fp16"
    assert EstimateInput.from_config({"bf16": False, "fp16": False}).dtype == "fp32"
    assert EstimateInput.from_config({}).targets_all_linear  # the trainer's "all-linear" default


def test_from_config_accepts_a_real_ftui_config():
    config_mod = pytest.importorskip("ftui.core.config")
    text = (
        "base_model: meta-llama/Llama-3.2-1B\n"
        "adapter: lora\n"
        "lora_r: 16\n"
        "lora_target_linear: true\n"
        "sequence_len: 1024\n"
        "micro_batch_size: 2\n"
        "gradient_checkpointing: true\n"
        "datasets:\n  - path: data.jsonl\n    type: alpaca\n"
    )
    loaded = config_mod.parse_config(text, "test.yml")
    inp = EstimateInput.from_config(loaded.config)
    assert (inp.model, inp.adapter, inp.lora_r, inp.sequence_len) == (
        "meta-llama/Llama-3.2-1B",
        "lora",
        16,
        1024,
    )
    assert inp.targets_all_linear and inp.gradient_checkpointing and inp.micro_batch_size == 2
    result = estimate_memory(inp, gpus=[A100_40])
    assert result.trainable_params == lora_trainable_params(catalog()[inp.model], 16, target_linear=True)


def test_multimodal_and_moe_models_estimate():
    gemma = breakdown(catalog()["google/gemma-3-4b-it"], _inp(model="google/gemma-3-4b-it", adapter="lora"))
    assert gemma.params == 4_300_079_472 and any("vision" in n for n in gemma.notes)
    mixtral = breakdown(catalog()["mistralai/Mixtral-8x7B-v0.1"], _inp(model="x", adapter="qlora"))
    assert mixtral.components["base_weights"] > 80 * 10**9  # fused experts stay 16-bit (upcast to fp32)


def test_estimate_for_config_is_what_the_trainer_records(monkeypatch):
    config_mod = pytest.importorskip("ftui.core.config")
    from ftui.core import hardware
    from ftui.core.memory import estimate_for_config

    monkeypatch.setattr(hardware, "detect_gpus", lambda: ([], None, "no NVML in tests"))
    text = "base_model: embedded\nadapter: lora\ndatasets:\n  - path: d.jsonl\n    type: alpaca\n"
    result = estimate_for_config(config_mod.parse_config(text, "t.yml").config)
    data = json.loads(json.dumps(result.to_dict()))
    assert data["model"] == "HuggingFaceTB/SmolLM2-135M-Instruct" and data["params"] == 134_515_008
    assert len(data["per_gpu"]) == 10 and data["suggestions"] == []  # no GPU: presets, no target
    result = estimate_for_config(config_mod.parse_config(text, "t.yml").config, gpu_names=["T4"])
    assert [v.gpu for v in result.per_gpu] == ["T4 16G"] and result.per_gpu[0].status == "fits"
