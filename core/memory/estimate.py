"""`breakdown`: peak GPU memory of one training step, by component, per GPU.

The peak is the largest of three moments of a step (docs/memory.md):
- end of forward / start of backward: all saved activations + the logits and loss buffers;
- inside backward: activations still alive + one layer's working set (+ its recompute under checkpointing);
- optimizer step: all gradients + optimizer states + the optimizer's temporaries (activations are gone).
Weights, trainable adapters and optimizer states are present at all three. Pure arithmetic: ~0.2 ms.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import Any

from ftui.core.memory.activations import ActivationMemory, activation_memory
from ftui.core.memory.constants import ALLOCATOR_FRAGMENTATION, CUDA_CONTEXT_BYTES, DTYPE_BYTES
from ftui.core.memory.inputs import EstimateInput
from ftui.core.memory.static import StaticMemory, static_memory
from ftui.core.models.facts import ModelFacts
from ftui.core.models.params import linear_layers

# Display order and labels of the components.
COMPONENT_LABELS: dict[str, str] = {
    "base_weights_quantized": "base weights, 4/8-bit (Linear layers)",
    "base_weights": "base weights, 16/32-bit",
    "trainable_params": "trainable adapters (LoRA A/B, fp32)",
    "gradients": "gradients",
    "optimizer_states": "optimizer states",
    "optimizer_step_temp": "optimizer step temporaries",
    "activations": "activations (saved for backward)",
    "logits_and_loss": "logits and loss buffers",
    "layer_working_set": "one layer's backward working set",
    "attention_mask": "attention mask",
    "multi_gpu_buffers": "multi-GPU buffers (DDP buckets / FSDP gathers)",
    "reference_model": "reference model (preference tuning)",
    "cuda_overhead": "CUDA context + allocator fragmentation",
}


@dataclass
class GpuVerdict:
    gpu: str
    memory_bytes: int
    status: str  # "fits", "tight", "does_not_fit"
    usage: float  # estimated total / GPU memory


@dataclass
class Suggestion:
    title: str
    changes: dict[str, Any]
    total_bytes: int
    saves_bytes: int
    fits: bool | None  # on the target GPU; None when there is no target


@dataclass
class MemoryEstimate:
    input: EstimateInput
    model: str
    params: int
    trainable_params: int
    components: dict[str, int]  # per GPU, bytes; sums to total_bytes
    total_bytes: int
    peak_allocated_bytes: int  # what torch.cuda.max_memory_allocated should show (total minus overhead)
    peak_phase: str  # "forward_end", "backward", "optimizer_step"
    activations_bytes: int  # saved activations at the end of forward, whatever the peak phase
    offloaded: dict[str, int] = field(default_factory=dict)  # paged optimizer states (can spill to CPU RAM)
    notes: list[str] = field(default_factory=list)
    per_gpu: list[GpuVerdict] = field(default_factory=list)
    suggestions: list[Suggestion] = field(default_factory=list)
    tips: list[str] = field(
        default_factory=list
    )  # worth doing even when it fits ("enable cut_cross_entropy")

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "input": asdict(self.input),
            "params": self.params,
            "trainable_params": self.trainable_params,
            "components": dict(self.components),
            "total_bytes": self.total_bytes,
            "peak_allocated_bytes": self.peak_allocated_bytes,
            "peak_phase": self.peak_phase,
            "activations_bytes": self.activations_bytes,
            "offloaded": dict(self.offloaded),
            "notes": list(self.notes),
            "per_gpu": [asdict(v) for v in self.per_gpu],
            "suggestions": [asdict(s) for s in self.suggestions],
            "tips": list(self.tips),
        }


def _shard(value: int, inp: EstimateInput, stages: tuple[str, ...]) -> int:
    sharded = inp.sharding in stages or (inp.sharding == "hybrid" and "fsdp" in stages)
    return value // inp.shard_count if inp.shard_count > 1 and sharded else value


def _multi_gpu_buffers(facts: ModelFacts, inp: EstimateInput, static: StaticMemory) -> int:
    if inp.num_gpus <= 1:
        return 0
    if inp.sharding in ("fsdp", "zero3", "hybrid"):
        # Two decoder layers gathered at once (current + prefetch) and the root unit (embeddings, lm_head).
        p = DTYPE_BYTES[inp.dtype]
        layer_params = sum(layer.weight_params for layer in linear_layers(facts) if layer.part == "text")
        per_layer = layer_params // max(facts.num_layers, 1)
        embeddings = facts.vocab_size * facts.hidden_size * (1 if facts.tied_embeddings else 2)
        return 2 * per_layer * p + embeddings * p
    return static.gradients  # DDP / ZeRO-1/2 bucket a flat copy of the gradients for all-reduce


def breakdown(facts: ModelFacts, inp: EstimateInput) -> MemoryEstimate:
    """The breakdown for one GPU of `inp.num_gpus` (no verdicts or suggestions: see `estimate_memory`)."""
    from ftui.core.memory import preference

    static = static_memory(facts, inp)
    step_input = preference.activation_input(inp)
    acts = activation_memory(facts, step_input)
    acts = replace(acts, logits_peak=preference.logits_bytes(facts, step_input, acts.logits_peak))
    quantized = _shard(static.quantized_weights, inp, ("fsdp", "zero3"))
    weights = _shard(static.weights, inp, ("fsdp", "zero3"))
    adapters = _shard(static.adapters, inp, ("fsdp", "zero3"))
    gradients = _shard(static.gradients, inp, ("fsdp", "zero3", "zero2"))
    states = _shard(static.optimizer_states, inp, ("fsdp", "zero3", "zero2", "zero1"))
    step_temp = _shard(static.optimizer_step_temp, inp, ("fsdp", "zero3", "zero2", "zero1"))
    offloaded: dict[str, int] = {}
    if static.optimizer_paged or inp.offload_optimizer:
        offloaded["optimizer_states"] = states  # paged, or on the CPU (DeepSpeed offload, FSDP offload)
        states = 0
        step_temp = 0 if not static.optimizer_paged else step_temp
    if inp.offload_params:  # DeepSpeed offload_param / FSDP offload_params: the shards live on the CPU
        offloaded["base_weights"] = weights + quantized + adapters
        weights = quantized = adapters = 0
    buffers = _multi_gpu_buffers(facts, inp, static)
    phases = _phases(inp, static, acts, gradients, step_temp)
    phase = max(phases, key=lambda name: sum(phases[name].values()))
    components = {
        "base_weights_quantized": quantized,
        "base_weights": weights,
        "trainable_params": adapters,
        "optimizer_states": states,
        "multi_gpu_buffers": buffers,
        "reference_model": preference.reference_bytes(static, inp),
    }
    components.update(phases[phase])
    allocated = sum(components.values())
    components["cuda_overhead"] = CUDA_CONTEXT_BYTES + int(ALLOCATOR_FRAGMENTATION * allocated)
    ordered = {name: components.get(name, 0) for name in COMPONENT_LABELS}
    notes = _notes(facts, inp, static, phase, acts.saved)
    return MemoryEstimate(
        input=inp,
        model=facts.name,
        params=static.params,
        trainable_params=static.trainable_params,
        components=ordered,
        total_bytes=sum(ordered.values()),
        peak_allocated_bytes=allocated,
        peak_phase=phase,
        activations_bytes=acts.saved,
        offloaded=offloaded,
        notes=notes,
    )


def _phases(
    inp: EstimateInput, static: StaticMemory, acts: ActivationMemory, gradients: int, step_temp: int
) -> dict[str, dict[str, int]]:
    """What is live besides the weights and optimizer states at the end of the forward pass, during the
    backward pass and at the optimizer step (the peak is the largest of the three)."""
    grads_during_backward = gradients if inp.gradient_accumulation_steps > 1 else 0
    lm_grad = 0 if grads_during_backward else _shard(static.lm_head_gradient, inp, ("fsdp", "zero3", "zero2"))
    recompute = acts.per_layer if inp.gradient_checkpointing else 0
    return {
        "forward_end": {
            "gradients": grads_during_backward + lm_grad,
            "activations": acts.saved,
            "logits_and_loss": acts.logits_peak,
            "attention_mask": acts.mask,
        },
        "backward": {
            "gradients": grads_during_backward + lm_grad,
            "activations": acts.saved + recompute,
            "layer_working_set": acts.working,
            "attention_mask": acts.mask,
        },
        "optimizer_step": {"gradients": gradients, "optimizer_step_temp": step_temp},
    }


def _notes(facts: ModelFacts, inp: EstimateInput, static: StaticMemory, phase: str, saved: int) -> list[str]:
    from ftui.core.memory.preference import note

    notes = [line] if (line := note(inp)) else []
    if phase == "optimizer_step":
        notes.append(
            f"the peak is at the optimizer step; activations ({saved / 1024**3:.2f} GB) are freed by then"
        )
    if inp.offload_optimizer or inp.offload_params:
        notes.append(
            "offloaded to CPU RAM (DeepSpeed/FSDP offload), not counted: "
            + ", ".join(
                n
                for n, on in (("optimizer", inp.offload_optimizer), ("parameters", inp.offload_params))
                if on
            )
        )
    if static.optimizer_paged:
        notes.append(
            "paged optimizer states live in CUDA unified memory and can spill to CPU RAM (not counted)"
        )
    if inp.quant_bits and not inp.is_lora:
        notes.append("a quantized base model can only be trained with an adapter (lora/qlora)")
    if facts.vision is not None:
        notes.append("includes the frozen vision tower of this multimodal checkpoint")
    if not inp.sample_packing:
        notes.append("assumes every row is sequence_len tokens; shorter padded batches use less")
    if facts.params_published is None and not facts.known_architecture:
        notes.append(f"unknown architecture {facts.model_type!r}: per-layer terms follow a Llama-like layout")
    return notes
