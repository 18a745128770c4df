"""A 100,000-step run redraws its loss and LR charts in < 50 ms of CPU with bounded stored points."""

from __future__ import annotations

import math
import statistics
import time
from pathlib import Path

import pytest
from ftui.core.runs import RunState
from ftui.tui.monitor.charts import LossChart, LrChart
from textual.app import App


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.mark.slow
@pytest.mark.anyio
async def test_100k_step_history_redraws_under_50ms(tmp_path: Path) -> None:
    state = RunState(tmp_path)
    state.apply({"type": "run_started", "total_steps": 100_000, "pid": 1, "time": 0.0})
    for step in range(1, 100_001):
        loss = 2.0 * math.exp(-step / 20_000) + 0.3 + 0.05 * math.sin(step)
        state.apply({"type": "step", "step": step, "loss": loss, "lr": 2e-4 * (1 - step / 100_000)})
        if step % 100 == 0:
            state.apply({"type": "eval", "step": step, "eval_loss": loss + 0.1})
    assert len(state.loss) == 100_000
    assert state.loss.stored_buckets() <= 1024 and state.lr.stored_buckets() <= 1024

    class Bench(App):
        def compose(self):
            yield LossChart(state)
            yield LrChart(state)

    app = Bench()
    cpu_ms = []
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause(0.1)
        loss, lr = app.query_one(LossChart), app.query_one(LrChart)
        for _ in range(10):
            state.version += 1
            start = time.process_time()  # CPU time: the 2 shared cores make wall time noisy
            assert loss.update_chart() and lr.update_chart()
            loss.render()
            lr.render()
            cpu_ms.append((time.process_time() - start) * 1000)
        assert loss.update_chart() is False  # nothing changed: no replot
    assert statistics.median(cpu_ms) < 50, cpu_ms
