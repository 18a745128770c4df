"""How long the monitor takes to redraw a 100,000-step run, and how much it keeps in memory.

    python bench/monitor_redraw.py [--steps 100000]

Writes a synthetic events.jsonl (steps + an eval every 100 steps), follows it with `RunState` (incremental,
512 KiB slices as the monitor does), then times a full loss + LR chart redraw at 120x40 (downsample to the
width and build the plotext picture) in a headless Textual app. Target: redraw < 50 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path


def write_events(run_dir: Path, steps: int) -> int:
    lines = [json.dumps({"type": "run_started", "v": 1, "time": time.time(), "total_steps": steps, "pid": 1})]
    for step in range(1, steps + 1):
        loss = 2.0 * math.exp(-step / (steps / 5)) + 0.3 + 0.05 * math.sin(step)
        lines.append(
            json.dumps(
                {
                    "type": "step",
                    "v": 1,
                    "time": 0.0,
                    "step": step,
                    "total_steps": steps,
                    "epoch": step / steps,
                    "loss": loss,
                    "lr": 2e-4 * (1 - step / steps),
                    "tokens_per_s": 1500.0,
                    "elapsed_s": step * 0.5,
                    "eta_s": (steps - step) * 0.5,
                    "rss": 1 << 30,
                }
            )
        )
        if step % 100 == 0:
            lines.append(
                json.dumps({"type": "eval", "v": 1, "time": 0.0, "step": step, "eval_loss": loss + 0.1})
            )
    text = "\n".join(lines) + "\n"
    (run_dir / "events.jsonl").write_text(text)
    return len(text)


async def measure_redraw(run_dir: Path, repeats: int) -> list[float]:
    from ftui.core.runs.state import RunState
    from ftui.tui.monitor.charts import LossChart, LrChart
    from textual.app import App

    state = RunState(run_dir)
    while True:
        state.poll()
        if not state.pending:
            break

    class Bench(App):
        def compose(self):
            yield LossChart(state, id="loss")
            yield LrChart(state, id="lr")

    timings, cpu = [], []
    app = Bench()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause(0.1)
        loss, lr = app.query_one(LossChart), app.query_one(LrChart)
        for _ in range(repeats):
            state.version += 1  # force: as if a new step arrived
            start, start_cpu = time.perf_counter(), time.process_time()
            loss.update_chart()
            lr.update_chart()
            loss.render()
            lr.render()
            timings.append((time.perf_counter() - start) * 1000)
            cpu.append((time.process_time() - start_cpu) * 1000)
    return timings, cpu


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from ftui.core.runs.state import RunState

    with tempfile.TemporaryDirectory() as tmp:
        run_dir = Path(tmp)
        size = write_events(run_dir, args.steps)
        start = time.perf_counter()
        state = RunState(run_dir)
        slices, worst = 0, 0.0
        while True:
            t = time.perf_counter()
            state.poll()
            worst = max(worst, time.perf_counter() - t)
            slices += 1
            if not state.pending:
                break
        catch_up = time.perf_counter() - start
        tracemalloc.start()  # memory measured on a second pass (tracing slows parsing several times)
        traced = RunState(run_dir)
        while True:
            traced.poll()
            if not traced.pending:
                break
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        xs, _ = state.series.loss.points()
        print(f"events file: {size / 1e6:.1f} MB, {args.steps} steps")
        print(
            f"catch-up read: {catch_up:.2f} s in {slices} slices of <= 512 KiB (slowest {worst * 1000:.0f} ms)"
        )
        print(
            f"stored loss points: {len(xs)} (buckets {state.series.loss.stored_buckets()}, width {state.series.loss.width})"
        )
        print(f"peak traced memory while reading: {peak / 1e6:.1f} MB")
        timings, cpu = asyncio.run(measure_redraw(run_dir, args.repeats))
        print(
            f"redraw loss+lr charts at 120x40: wall median {statistics.median(timings):.1f} ms, "
            f"max {max(timings):.1f} ms; CPU median {statistics.median(cpu):.1f} ms, max {max(cpu):.1f} ms "
            f"over {len(timings)} redraws (target < 50 ms)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
