"""SVG snapshots of the quality view (a near duplicate beside its partner; the error state) and of the
critique dialog over the monitor's samples screen, at 120x40 with every worker finished."""

from __future__ import annotations

import pytest
from fake_trainer import write_history
from ftui.tui.monitor import MonitorApp
from ftui.tui.monitor.system import SystemSample
from ftui.tui.wizard import backend
from test_quality_view import quality_app
from tui_helpers import FIXED_HARDWARE, freeze_cursors, settle, settle_for_picture

SIZE = (120, 40)


@pytest.fixture(autouse=True)
def fixed_hardware(monkeypatch):
    monkeypatch.setattr(backend.Backend, "detect_hardware", lambda self: FIXED_HARDWARE)


async def open_view(pilot, presses=()) -> None:
    await settle_for_picture(pilot)
    await pilot.press("f6")
    await settle(pilot)
    for key in presses:
        await pilot.press(key)
    await pilot.pause(0.2)
    freeze_cursors(pilot.app)


@pytest.mark.slow
def test_quality_view_near_duplicate_pair(snap_compare, tmp_path, monkeypatch, smollm_dir):
    monkeypatch.chdir(tmp_path)

    async def run_before(pilot):
        await open_view(pilot, presses=("down",))

    assert snap_compare(quality_app(tmp_path), terminal_size=SIZE, run_before=run_before)


@pytest.mark.slow
def test_quality_view_cannot_read_the_data(snap_compare, tmp_path, monkeypatch, smollm_dir):
    monkeypatch.chdir(tmp_path)
    app = quality_app(tmp_path)
    (tmp_path / "empty").mkdir()
    app.state.set_dataset(path="empty")  # a folder without data files

    async def run_before(pilot):
        await open_view(pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_critique_dialog_over_samples(snap_compare, tmp_path):
    run = write_history(tmp_path / "demo-run", 10, 10, end="finished")
    sample = SystemSample(cpu_percent=10.0, ram_percent=20.0, ram_used=1 << 30, ram_total=8 << 30, gpus=[])

    async def run_before(pilot):
        await pilot.pause(0.3)
        await pilot.press("v")
        await pilot.pause(0.2)
        await pilot.press("b", *"wrong service")
        await pilot.pause(0.2)
        freeze_cursors(pilot.app)

    app = MonitorApp(run, sampler=lambda: sample, system_interval=3600)
    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)
