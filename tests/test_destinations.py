"""Where a run logged and pushed, as the monitor, the runs list, `ftui monitor --list` and the wizard's
Review step show it: read from run_started (trackers, hub) and pushed/warning events written through the
product's EventWriter; the Review step asks core (`ftui check`'s lines), not its own rule."""

from __future__ import annotations

from pathlib import Path

import pytest
from fake_trainer import started_event
from ftui.core.events import EventWriter
from ftui.core.runs.state import RunState
from ftui.tui.monitor import MonitorApp, RunsScreen
from ftui.tui.monitor.destinations import DestinationsPanel
from ftui.tui.monitor.system import SystemSample
from tui_helpers import make_project, settle

SIZE = (120, 40)
pytestmark = pytest.mark.anyio
T0 = 1_700_000_000.0


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def write_run(run_dir: Path, *, pushed: bool, failed_push: bool = False) -> Path:
    writer = EventWriter(run_dir)
    started = started_event(4, 999_999, T0)
    started["trackers"] = [
        {"tracker": "tensorboard", "where": str(run_dir / "runs" / "Dec02_host")},
        {
            "tracker": "wandb",
            "where": str(run_dir / "wandb" / "offline-run-x"),
            "mode": "offline",
            "run_id": "x",
        },
    ]
    started["hub"] = {"repo": "me/tiny", "strategy": "end", "private": True, "token": True}
    writer.emit("run_started", **{k: v for k, v in started.items() if k not in ("type", "v", "time")})
    writer.emit("step", step=4, total_steps=4, loss=1.0)
    if failed_push:
        writer.emit("warning", kind="hub", step=4, message="cannot reach http://127.0.0.1:9", hint="later")
    if pushed:
        writer.emit(
            "pushed",
            step=4,
            repo="me/tiny",
            url="https://hub.example/me/tiny",
            commit="abc",
            what="model",
            files=5,
        )
    writer.emit(
        "finished", step=4, final_loss=1.0, best_eval_loss=None, output_dir=str(run_dir), elapsed_s=3.0
    )
    writer.close()
    return run_dir


def test_the_run_state_says_where_it_logged_and_pushed(tmp_path):
    run = write_run(tmp_path / "r", pushed=True)
    lines = [d.line() for d in RunState(run).read_all().destinations]
    assert lines == [
        f"TensorBoard: {run / 'runs' / 'Dec02_host'}",
        f"Weights & Biases (offline): {run / 'wandb' / 'offline-run-x'}",
        "Hub: https://hub.example/me/tiny (model at step 4)",
    ]
    failed = write_run(tmp_path / "f", pushed=False, failed_push=True)
    assert RunState(failed).read_all().destinations[-1].where == (
        "me/tiny: not pushed (cannot reach http://127.0.0.1:9)"
    )


def test_monitor_list_has_logged_and_pushed_columns(tmp_path, capsys):
    from ftui.tui.cli import main

    write_run(tmp_path / "r", pushed=True)
    assert main(["monitor", "--list", "--workspace", str(tmp_path)]) == 0
    header, row = capsys.readouterr().out.splitlines()[:2]
    assert header.split()[-2:] == ["LOGGED", "PUSHED"]
    assert row.split()[-2:] == ["tensorboard,wandb", "https://hub.example/me/tiny"]


def fixed_sample() -> SystemSample:
    return SystemSample(cpu_percent=40.0, ram_percent=50.0, ram_used=8 << 30, ram_total=16 << 30)


async def test_monitor_and_runs_list_show_the_places(tmp_path):
    run = write_run(tmp_path / "r", pushed=True)
    app = MonitorApp(run_dir=run, sampler=fixed_sample)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause(0.3)
        panel = app.screen.query_one(DestinationsPanel)
        text = str(panel.render())
        assert panel.display and "https://hub.example/me/tiny" in text and "offline-run-x" in text
        notices = "\n".join(str(line) for line in app.screen.query_one("#monitor-notices").lines)
        assert "pushed model to https://hub.example/me/tiny" in notices
    app = MonitorApp(workspace=tmp_path, sampler=fixed_sample)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause(0.3)
        assert isinstance(app.screen, RunsScreen)
        detail = str(app.screen.query_one("#runs-detail").render())
        assert "Hub: https://hub.example/me/tiny" in detail and "TensorBoard: " in detail


async def test_a_run_without_trackers_shows_no_panel(tmp_path):
    run = tmp_path / "plain"
    writer = EventWriter(run)
    started = started_event(2, 999_999, T0)
    writer.emit("run_started", **{k: v for k, v in started.items() if k not in ("type", "v", "time")})
    writer.close()
    app = MonitorApp(run_dir=run, sampler=fixed_sample)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause(0.3)
        assert not app.screen.query_one(DestinationsPanel).display


async def test_review_step_shows_the_trackers_and_hub_core_chose(
    tmp_path, monkeypatch, tiny_chatml_model_dir
):
    from ftui.core.config import load_config
    from ftui.core.config.summary import tracking_lines
    from ftui.tui.app import FtuiApp, load_state

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path))  # no wandb login here: core picks offline
    monkeypatch.delenv("WANDB_API_KEY", raising=False)
    monkeypatch.delenv("WANDB_MODE", raising=False)
    monkeypatch.delenv("HF_TOKEN", raising=False)
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    make_project(tmp_path)
    config = tmp_path / "c.yml"
    config.write_text(
        f"base_model: {tiny_chatml_model_dir}\nadapter: lora\ndatasets:\n  - path: data/alpaca.jsonl\n"
        "    type: alpaca\noutput_dir: ./outputs/x\nreport_to: [tensorboard, wandb]\nwandb_project: p\n"
        "hub_model_id: me/x\nhub_strategy: every_save\n"
    )
    expected = tracking_lines(load_config(config).config)
    assert any("TensorBoard" in line for line in expected) and any("me/x" in line for line in expected)
    app = FtuiApp(load_state(config), start_step="review")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        text = str(app.screen.query_one("#review-warnings").render())
    assert "This launch logs and pushes:" in text
    assert "Weights & Biases (offline): outputs/x/wandb" in text
    assert "hub: pushes to me/x (the account's default visibility), at every checkpoint" in text
    assert "no Hugging Face token here to push to me/x" in text  # the warning core gives `ftui check`
