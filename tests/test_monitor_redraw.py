"""A 100,000-step run keeps bounded chart points and replots only on change (speed: bench/monitor_redraw.py)."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from ftui.core.runs.state import RunState
from ftui.tui.monitor.charts import LossChart, LrChart
from textual.app import App


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.mark.slow
@pytest.mark.anyio
async def test_100k_step_history_keeps_bounded_points_and_replots_on_change(tmp_path: Path) -> None:
    state = RunState(tmp_path)
    state.apply({"type": "run_started", "total_steps": 100_000, "pid": 1, "time": 0.0})
    for step in range(1, 100_001):
        loss = 2.0 * math.exp(-step / 20_000) + 0.3 + 0.05 * math.sin(step)
        state.apply({"type": "step", "step": step, "loss": loss, "lr": 2e-4 * (1 - step / 100_000)})
        if step % 100 == 0:
            state.apply({"type": "eval", "step": step, "eval_loss": loss + 0.1})
    assert len(state.series.loss) == 100_000
    assert state.series.loss.stored_buckets() <= 1024 and state.series.lr.stored_buckets() <= 1024

    class Bench(App):
        def compose(self):
            yield LossChart(state)
            yield LrChart(state)

    app = Bench()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause(0.1)
        loss, lr = app.query_one(LossChart), app.query_one(LrChart)
        for _ in range(10):
            state.version += 1
            assert loss.update_chart() and lr.update_chart()
            loss.render()
            lr.render()
        assert loss.update_chart() is False  # nothing changed: no replot


@pytest.mark.anyio
@pytest.mark.parametrize("height", [5, 6, 7, 9, 20])
async def test_learning_rate_axis_labels_run_from_low_at_the_bottom_to_high_at_the_top(
    tmp_path: Path, height: int
) -> None:
    """plotext alone printed 0.000117 above 0.000200 on a warmup-then-decay schedule."""
    import re

    state = RunState(tmp_path)
    state.apply({"type": "run_started", "total_steps": 60, "pid": 1, "time": 0.0})
    for step in range(1, 24):
        lr = 2e-4 * step / 6 if step <= 6 else 2e-4 * 0.5 * (1 + math.cos(math.pi * (step - 6) / 54))
        state.apply({"type": "step", "step": step, "loss": 1.0, "lr": lr})

    class Bench(App):
        def compose(self):
            yield LrChart(state)

    app = Bench()
    async with app.run_test(size=(100, height)) as pilot:
        await pilot.pause(0.1)
        chart = app.query_one(LrChart)
        chart.update_chart()
        text = chart.plt.build()
    labels = [
        float(m)
        for m in re.findall(r"^\s*([0-9.]+(?:e-?\d+)?)\s*[┤│┌└]", re.sub(r"\x1b\[[0-9;]*m", "", text), re.M)
    ]
    assert f"now {state.series.lr.points()[1][-1]:.3g}" in text  # readable even with no room for an axis
    if height - 5 < 1:
        assert labels == [], text  # no plot rows: no axis labels (they came out in the wrong order)
        return
    assert len(labels) >= min(3, height - 5), text
    assert labels == sorted(labels, reverse=True), labels  # top to bottom: high to low
    assert math.isclose(labels[0], max(state.series.lr.points()[1]), rel_tol=1e-2)
