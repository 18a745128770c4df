"""The memory estimate for the state, adapted to what the memory panel draws (pure Python, < 20 ms)."""

from __future__ import annotations

from typing import Any

from ftui.tui.widgets.memory_panel import EstimateView
from ftui.tui.wizard.state import WizardState


def estimate(state: WizardState, facts: Any, hardware: Any) -> EstimateView:
    if facts is None:
        return EstimateView(note="loading model facts…")
    return EstimateView(note="memory estimator not available yet")
