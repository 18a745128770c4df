"""Pure helpers of the monitor's panels and charts: memory vs estimate, ticks, event lines."""

from __future__ import annotations

import math
from pathlib import Path

from ftui.core.runs.state import RunState
from ftui.tui.monitor.charts import _log_ticks, step_ticks
from ftui.tui.monitor.machine import estimate_bytes, memory_text
from ftui.tui.monitor.notices import notice_text

GIB = 1 << 30


def _state(tmp_path: Path, step: dict, estimate: dict | None) -> RunState:
    state = RunState(tmp_path)
    state.apply({"type": "run_started", "estimate": estimate, "pid": 1, "time": 0.0})
    state.apply({"type": "step", "step": 1, **step})
    return state


def test_gpu_memory_against_the_estimators_peak_and_total(tmp_path: Path) -> None:
    estimate = {"total_bytes": 20 * GIB, "peak_allocated_bytes": 16 * GIB}
    state = _state(
        tmp_path, {"mem_allocated": 10 * GIB, "mem_peak": 17 * GIB, "mem_reserved": 18 * GIB}, estimate
    )
    text = memory_text(state)
    assert "peak 17.0 GiB  est. 16.0 GiB (106%)" in text.plain
    assert "reserved 18.0 GiB  est. 20.0 GiB (90%)" in text.plain
    over = [span for span in text.spans if span.style == "bold red"]
    assert over, "over the estimate is shown in red"


def test_cpu_memory_is_rss(tmp_path: Path) -> None:
    state = _state(tmp_path, {"mem_allocated": None, "rss": GIB}, {"total_bytes": 4 * GIB})
    assert memory_text(state).plain == "memory RSS 1.0 GiB  est. 4.0 GiB (25%)"
    assert "est." not in memory_text(_state(tmp_path, {"rss": GIB}, None)).plain


def test_estimate_bytes_picks_the_first_key_present() -> None:
    assert (
        estimate_bytes({"total_bytes": 5, "peak_allocated_bytes": 3}, ("peak_allocated_bytes", "total_bytes"))
        == 3
    )
    assert estimate_bytes({"error": "no facts"}) is None
    assert estimate_bytes(None) is None


def test_ticks() -> None:
    assert step_ticks(37) == [0, 9, 18, 28, 37]
    assert step_ticks(2) == [0, 1, 2]
    positions, labels = _log_ticks(math.log10(0.5), math.log10(2.0))
    assert len(positions) == 5 and labels[0] == "0.5" and labels[-1] == "2"


def test_notice_lines() -> None:
    warning = notice_text({"type": "warning", "step": 7, "kind": "nan", "message": "loss is [nan]"})
    assert warning.plain == "[7] ⚠ nan: loss is [nan]" and warning.style == "bold yellow"
    assert (
        notice_text({"type": "checkpoint", "step": 10, "path": "/x/checkpoint-10"}).plain
        == "[10] checkpoint checkpoint-10"
    )
    assert (
        "resumed from 20"
        in notice_text({"type": "run_started", "total_steps": 40, "resumed_from_step": 20}).plain
    )


def test_pass_rate_names_the_base_model_measured_at_step_zero(tmp_path: Path) -> None:
    from ftui.tui.monitor.panels import EvalPanel

    state = RunState(tmp_path)
    state.apply(
        {"type": "eval", "step": 0, "eval_loss": None, "assertion_pass_rate": 0.2, "assertion_total": 10}
    )
    state.apply(
        {"type": "eval", "step": 5, "eval_loss": 1.5, "assertion_pass_rate": 0.7, "assertion_total": 10}
    )
    panel = EvalPanel()
    captured = []
    panel.update = captured.append  # type: ignore[method-assign]
    panel.update_from(state)
    assert "pass rate 70% of 10  (base model 20%)" in captured[-1].plain
