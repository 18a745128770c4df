"""The training-memory estimator (docs/memory.md). Importing it never imports torch.

inp = EstimateInput.from_config(config)           # or EstimateInput(model=..., adapter="qlora", ...)
result = estimate_memory(inp, gpus=[...])           # breakdown + verdict per GPU + suggestions
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ftui.core.memory.advice import GpuTarget, suggestions, tips, verdict
from ftui.core.memory.estimate import (
    COMPONENT_LABELS,
    GpuVerdict,
    MemoryEstimate,
    Suggestion,
    breakdown,
)
from ftui.core.memory.inputs import EstimateInput
from ftui.core.models.facts import ModelFacts

__all__ = [
    "COMPONENT_LABELS",
    "EstimateInput",
    "GpuTarget",
    "GpuVerdict",
    "MemoryEstimate",
    "Suggestion",
    "breakdown",
    "detected_or_preset_gpus",
    "estimate_for_config",
    "estimate_memory",
]


def estimate_memory(
    inp: EstimateInput,
    facts: ModelFacts | None = None,
    gpus: list[GpuTarget] | None = None,
    target: GpuTarget | None = None,
    suggest: bool = True,
    size: Callable[[int], str] | None = None,
) -> MemoryEstimate:
    """Breakdown for `inp`, a verdict for each GPU in `gpus`, and suggestions when `target`
    (default: the first of `gpus`) is tight or too small. `facts` defaults to `get_model_facts(inp.model)`;
    `size` formats the bytes in `tips` (default GiB)."""
    if facts is None:
        from ftui.core.models.lookup import get_model_facts

        facts = get_model_facts(inp.model)
    result = breakdown(facts, inp)
    gpus = list(gpus or [])
    result.per_gpu = [verdict(result.total_bytes, gpu) for gpu in gpus]
    target = target or (gpus[0] if gpus else None)
    if suggest and target is not None and verdict(result.total_bytes, target).status != "fits":
        result.suggestions = suggestions(inp, lambda changed: breakdown(facts, changed), target)
    result.tips = tips(inp, lambda changed: breakdown(facts, changed), **({"size": size} if size else {}))
    return result


def detected_or_preset_gpus(names: list[str] | None = None) -> tuple[list[GpuTarget], bool]:
    """GPUs to judge against: the named presets, else this machine's GPUs, else every preset.
    The flag says whether the first GPU is a real target (named or detected) rather than the preset list."""
    from ftui.core.hardware import GPU_PRESETS, detect_gpus, find_preset

    if names:
        return [GpuTarget(p.name, p.memory_bytes) for p in map(find_preset, names)], True
    gpus, _, _ = detect_gpus()
    if gpus:
        return [GpuTarget(g.name, g.total_bytes) for g in gpus], True
    return [GpuTarget(p.name, p.memory_bytes) for p in GPU_PRESETS.values()], False


def estimate_for_config(config: Any, gpu_names: list[str] | None = None) -> MemoryEstimate:
    """The estimate for a config as the trainer and `ftui estimate CONFIG` use it."""
    base_dir = getattr(config, "_base_dir", None)
    from ftui.core.models.lookup import get_model_facts

    inp = EstimateInput.from_config(config)
    facts = get_model_facts(inp.model, base_dir=base_dir)
    gpus, real = detected_or_preset_gpus(gpu_names)
    return estimate_memory(inp, facts=facts, gpus=gpus, suggest=real)
