"""SVG screenshots of the run monitor (mid-run, failed), the runs list and the compare screen.

    python screenshots/monitor_screenshots.py [OUT_DIR]

`save_monitor_screenshots(out_dir)` is what screenshots/make_screenshots.py calls. The runs are synthetic
(tests/fake_trainer.py's deterministic event histories) so the pictures are reproducible.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SIZE = (120, 40)


def _fixed_sample():
    from ftui.tui.monitor.system import GpuSample, SystemSample

    gpu = GpuSample(
        index=0, util_percent=96.0, temperature_c=71.0, power_w=287.0, mem_used=21 << 30, mem_total=80 << 30
    )
    return SystemSample(cpu_percent=38.0, ram_percent=46.0, ram_used=11 << 30, ram_total=24 << 30, gpus=[gpu])


async def _shoot(app, path: Path, keys: tuple[str, ...] = ()) -> Path:
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause(0.4)
        if keys:
            await pilot.press(*keys)
            await pilot.pause(0.4)
        app.save_screenshot(filename=path.name, path=str(path.parent))
    return path


def save_monitor_screenshots(out_dir: str | Path) -> list[Path]:
    """Write monitor-running.svg, monitor-failed.svg, runs.svg and compare.svg into `out_dir`."""
    sys.path.insert(0, str(REPO / "tests"))
    from fake_trainer import write_history
    from ftui.tui.monitor import MonitorApp

    out = Path(out_dir).resolve()
    out.mkdir(parents=True, exist_ok=True)
    saved: list[Path] = []
    previous = os.getcwd()
    with tempfile.TemporaryDirectory() as tmp:
        os.chdir(tmp)
        try:
            runs = Path("runs")
            live = write_history(runs / "smollm2-lora-r16", 37, 60, t0=time.time())
            (live / "launch.log").write_text(
                "".join(f"step {i}/60 loss {2.0 - i / 40:.4f}\n" for i in range(25, 38))
            )
            failed = write_history(runs / "qwen-7b-qlora", 23, 60, end="failed")
            write_history(runs / "smollm2-lora-r8", 60, 60, end="finished")
            write_history(runs / "smollm2-full", 30, 60, end="stopped")

            def app(**kwargs):
                return MonitorApp(sampler=_fixed_sample, system_interval=3600, **kwargs)

            saved.append(asyncio.run(_shoot(app(run_dir=live), out / "monitor-running.svg")))
            saved.append(asyncio.run(_shoot(app(run_dir=failed), out / "monitor-failed.svg")))
            saved.append(asyncio.run(_shoot(app(workspace=runs), out / "runs.svg")))
            saved.append(
                asyncio.run(_shoot(app(workspace=runs), out / "compare.svg", ("space", "down", "space", "c")))
            )
        finally:
            os.chdir(previous)
    return saved


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parent
    for written in save_monitor_screenshots(target):
        print(written)
