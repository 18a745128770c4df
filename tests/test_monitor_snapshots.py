"""SVG snapshots of the monitor (mid-run, failed) and the runs screen at 120x40, from fixed event data.

No wall-clock time appears in the pictures: elapsed/ETA come from the events, start times are fixed and
shown in UTC, machine readings come from a constant sampler read once (a sparkline of one value differs from
one of two equal values).
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from fake_trainer import write_history
from ftui.tui.monitor import MonitorApp
from ftui.tui.monitor.system import GpuSample, SystemSample

SIZE = (120, 40)


def fixed_sample() -> SystemSample:
    gpu = GpuSample(
        index=0, util_percent=96.0, temperature_c=71.0, power_w=287.0, mem_used=21 << 30, mem_total=80 << 30
    )
    return SystemSample(cpu_percent=38.0, ram_percent=46.0, ram_used=11 << 30, ram_total=24 << 30, gpus=[gpu])


def mid_run(root: Path) -> Path:
    """A live run (our own pid) at step 37 of 60 with a log."""
    run = write_history(root / "demo-run", 37, 60, t0=time.time())
    (run / "launch.log").write_text("".join(f"step {i}/60 loss {2.0 - i / 40:.4f}\n" for i in range(25, 38)))
    return run


def failed_run(root: Path) -> Path:
    run = write_history(root / "oom-run", 23, 60, end="failed")
    (run / "launch.log").write_text(
        "Traceback (most recent call last):\ntorch.OutOfMemoryError: CUDA out of memory\n"
    )
    return run


def workspace(root: Path) -> Path:
    write_history(root / "lora-r16", 60, 60, end="finished")
    failed_run(root)
    write_history(root / "lora-r8", 30, 60, end="stopped")
    return root


@pytest.fixture
def utc(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


async def _settle(pilot) -> None:
    await pilot.pause(0.3)


def test_monitor_mid_run(snap_compare, tmp_path: Path) -> None:
    app = MonitorApp(mid_run(tmp_path), sampler=fixed_sample, system_interval=3600)
    assert snap_compare(app, terminal_size=SIZE, run_before=_settle)


def test_monitor_failed(snap_compare, tmp_path: Path) -> None:
    app = MonitorApp(failed_run(tmp_path), sampler=fixed_sample, system_interval=3600)
    assert snap_compare(app, terminal_size=SIZE, run_before=_settle)


def test_runs_screen(snap_compare, tmp_path: Path, utc, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # relative paths in the picture
    app = MonitorApp(workspace=workspace(Path("runs")), sampler=fixed_sample, system_interval=3600)
    assert snap_compare(app, terminal_size=SIZE, run_before=_settle)


def test_compare_screen(snap_compare, tmp_path: Path, utc, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    app = MonitorApp(workspace=workspace(Path("runs")), sampler=fixed_sample, system_interval=3600)
    assert snap_compare(app, press=["space", "down", "space", "c"], terminal_size=SIZE, run_before=_settle)
