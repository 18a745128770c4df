"""Model-side facts for the wizard: catalog rows, model validation, facts, hardware, and the memory estimate
turned into what the panels draw. Everything here is cheap except `load_facts`/`detect_hardware` (workers)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from ftui.core.errors import UserError
from ftui.core.units import format_count
from ftui.tui.widgets.hardware_panel import GpuView, HardwareView


@dataclass(frozen=True)
class CatalogRow:
    name: str
    size: str
    family: str
    kind: str  # base / instruct
    context: str
    search_text: str


def describe_error(err: BaseException) -> str:
    if isinstance(err, UserError):
        return err.message + (f" ({err.hint})" if err.hint else "")
    return f"{type(err).__name__}: {err}"


def catalog_rows() -> list[CatalogRow]:
    from ftui.core.models import catalog

    rows = []
    for name, facts in catalog().items():
        params = facts.params_published
        size = format_count(params, short=True) if params else "?"
        kind = "inst" if facts.instruct else "base"
        family = facts.family_label or facts.model_type
        context = (
            f"{facts.max_positions // 1024}K" if facts.max_positions >= 1024 else str(facts.max_positions)
        )
        text = " ".join((name, size, family, kind, context)).lower()
        rows.append(CatalogRow(name, size, family, kind, context, text))
    return rows


@lru_cache(maxsize=256)
def model_problem(name: str) -> str | None:
    """Why `name` cannot be a model reference (cheap: no download, no conversion), or None when it can."""
    from ftui.core.models.source import resolve_model

    if not name.strip():
        return "enter a model (catalog id, folder, .gguf file or hub id)"
    try:
        resolve_model(name, materialize=False)
    except UserError as err:
        return err.message
    return None


def load_facts(name: str) -> Any:
    from ftui.core.models import get_model_facts

    return get_model_facts(name)


def facts_summary(facts: Any) -> str:
    kind = "instruct" if facts.instruct else "base"
    params = f"{format_count(facts.params_published)} params, " if facts.params_published else ""
    family = facts.family_label or facts.model_type
    return (
        f"{facts.name}: {family} {kind}, {params}{facts.num_layers} layers, hidden {facts.hidden_size}, "
        f"context {facts.max_positions}"
    )


def linear_module_names(facts: Any) -> list[str]:
    if facts is None:
        return []
    from ftui.core.models import linear_module_names as names

    return list(names(facts))


def detect_hardware() -> Any:
    from ftui.core.hardware import detect_hardware as detect

    return detect()


def hardware_view(hardware: Any) -> HardwareView | None:
    if hardware is None:
        return None
    return HardwareView(
        gpus=[GpuView(g.name, g.free_bytes, g.total_bytes) for g in hardware.gpus],
        cpu_cores=hardware.cpu_cores,
        ram_total_bytes=hardware.ram_total_bytes,
        ram_available_bytes=hardware.ram_available_bytes,
        accelerator_note="Apple MPS available" if getattr(hardware, "mps", False) else "",
    )


def gpu_preset_names() -> list[str]:
    from ftui.core.hardware import GPU_PRESETS

    return list(GPU_PRESETS)
