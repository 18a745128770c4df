"""The memory estimate for the wizard state, adapted to what the memory panel draws.

core/memory is pure Python (a few ms), so the screen calls this synchronously on every change and the panels
are current in the same frame. Verdicts are for the chosen GPU preset, else this machine's GPUs; with neither,
one line says which presets it would fit.
"""

from __future__ import annotations

from typing import Any

from ftui.tui.widgets.memory_panel import EstimateView, Verdict, gb
from ftui.tui.wizard.state import WizardState

STATUS = {"fits": "fits", "tight": "tight", "does_not_fit": "no"}


def _targets(state: WizardState, hardware: Any) -> list[Any]:
    from ftui.core.hardware import GPU_PRESETS
    from ftui.core.memory import GpuTarget

    if state.gpu_preset and state.gpu_preset in GPU_PRESETS:
        preset = GPU_PRESETS[state.gpu_preset]
        return [GpuTarget(preset.name, preset.memory_bytes)]
    if hardware is not None and hardware.gpus:
        return [GpuTarget(g.name, g.total_bytes) for g in hardware.gpus[: max(1, state.gpu_count)]]
    return []


def estimate(state: WizardState, facts: Any, hardware: Any) -> EstimateView:
    if facts is None:
        return EstimateView(note="loading model facts…")
    from ftui.core.hardware import GPU_PRESETS
    from ftui.core.memory import COMPONENT_LABELS, EstimateInput, estimate_memory
    from ftui.core.memory.advice import fits_on

    values = dict(state.values)
    values["num_processes"] = state.gpu_count
    try:
        inp = EstimateInput.from_config(values)
        targets = _targets(state, hardware)
        result = estimate_memory(inp, facts=facts, gpus=targets, suggest=bool(targets), size=gb)
    except (TypeError, ValueError, KeyError, ZeroDivisionError) as err:
        return EstimateView(note=f"no estimate until the settings are valid ({err})")
    per_gpu = f" per GPU (x{state.gpu_count})" if state.gpu_count > 1 else ""
    view = EstimateView(
        components=[(COMPONENT_LABELS.get(k, k), v) for k, v in result.components.items() if v > 0],
        total_bytes=result.total_bytes,
        params=result.params,
        trainable_params=result.trainable_params,
        verdicts=[
            Verdict(
                v.gpu + (f" x{state.gpu_count}" if state.gpu_count > 1 else ""),
                STATUS.get(v.status, v.status),
                v.memory_bytes,
            )
            for v in result.per_gpu
        ],
        suggestions=[
            f"{s.title} -> {gb(s.total_bytes)}" + (" (fits)" if s.fits else "") for s in result.suggestions
        ],
        tips=list(result.tips),
        note=per_gpu.strip(),
    )
    if not targets:
        fits = [p.name for p in GPU_PRESETS.values() if fits_on(result.total_bytes, p.name, p.memory_bytes)]
        where = (
            f"fits on {', '.join(fits[:4])}{'…' if len(fits) > 4 else ''}" if fits else "fits no preset GPU"
        )
        view.note = f"no GPU here: {where} (choose a GPU above for a verdict)" + (
            f"; {per_gpu.strip()}" if per_gpu else ""
        )
    return view
