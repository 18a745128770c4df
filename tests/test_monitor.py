"""Pilot tests of the monitor, runs and compare screens, driven by tests/fake_trainer.py."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import psutil
import pytest
from fake_trainer import write_history
from ftui.core.launch import launch_training
from ftui.tui.monitor import CompareScreen, MonitorApp, MonitorScreen, RunsScreen, registry_of
from ftui.tui.monitor.dialogs import ConfirmDialog, QuitDialog
from ftui.tui.monitor.panels import ErrorPanel, StatusBanner
from ftui.tui.monitor.system import SystemSample

pytestmark = pytest.mark.anyio
FAKE = str(Path(__file__).parent / "fake_trainer.py")
SIZE = (120, 40)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def fixed_sample() -> SystemSample:
    return SystemSample(cpu_percent=40.0, ram_percent=50.0, ram_used=8 << 30, ram_total=16 << 30)


def fake(run_dir: Path, *args: str) -> list[str]:
    return [sys.executable, FAKE, str(run_dir), *args]


async def wait_until(pilot, predicate, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        await pilot.pause(0.05)


def banner_text(app) -> str:
    return str(app.screen.query_one(StatusBanner).render())


class LaunchingApp(MonitorApp):
    """The standalone app, launching a fake trainer on mount as the wizard's Launch would."""

    def __init__(self, run_dir: Path, command: list[str]) -> None:
        super().__init__(sampler=fixed_sample, poll_interval=0.05)
        self.launch_dir = run_dir
        self.command = command
        self.launched = None

    def on_mount(self) -> None:
        from ftui.tui.monitor import launch_and_monitor

        screen = launch_and_monitor(self, self.launch_dir / "c.yml", self.launch_dir, command=self.command)
        screen.poll_interval = 0.05
        screen._sampler = fixed_sample
        self.launched = registry_of(self).get(self.launch_dir)


async def test_follows_a_live_run_across_a_partial_line_to_finished(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    app = LaunchingApp(run_dir, fake(run_dir, "--steps", "8", "--interval", "0.02", "--partial-at", "4"))
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, MonitorScreen) and app.screen.state.step == 3)
        screen = app.screen
        await wait_until(pilot, lambda: screen.state.reader._partial != b"")  # half of step 4 is on disk
        await pilot.pause(0.3)
        assert screen.state.step == 3 and screen.state.reader.bad_lines == 0
        assert "RUNNING" in banner_text(app)
        assert screen.query_one(StatusBanner).has_class("-running")
        redraws = screen.redraws
        await pilot.pause(0.5)  # nothing new on disk: no redraw
        assert screen.redraws == redraws
        (run_dir / "continue").touch()
        await wait_until(pilot, lambda: screen.state.status == "finished")
        await pilot.pause(0.1)
        assert "FINISHED" in banner_text(app)
        assert screen.state.step == 8 and len(screen.state.series.loss) == 8
        assert screen.state.reader.bad_lines == 0
        assert app.launched.wait(5) == 0
        assert screen.check_action("merge", ()) is True and screen.check_action("stop", ()) is None


async def test_failure_shows_error_traceback_and_hint(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    app = LaunchingApp(run_dir, fake(run_dir, "--fail-at", "3", "--interval", "0.01"))
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(
            pilot, lambda: isinstance(app.screen, MonitorScreen) and app.screen.state.status == "failed"
        )
        await pilot.pause(0.1)
        panel = app.screen.query_one(ErrorPanel)
        assert panel.display
        text = str(panel.render())
        assert "OutOfMemoryError" in text and "hint:" in text and "micro_batch_size" in text
        assert "forward_call" in text  # traceback tail
        assert app.screen.query_one(StatusBanner).has_class("-failed")
        assert app.launched.wait(5) == 1


async def test_stop_then_resume_and_kill_with_confirmation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_dir = tmp_path / "run"
    app = LaunchingApp(run_dir, fake(run_dir, "--steps", "50", "--pause-at", "2"))
    import ftui.tui.monitor.screen as screen_module
    from ftui.tui.monitor.launches import resume_in_app

    monkeypatch.setattr(
        screen_module,
        "resume_in_app",
        lambda a, d: resume_in_app(
            a, d, command=fake(run_dir, "--steps", "50", "--resume", "--pause-at", "3")
        ),
    )
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, MonitorScreen) and app.screen.state.step == 2)
        screen = app.screen
        await pilot.press("s")
        await wait_until(pilot, lambda: screen.state.status == "stopped")
        assert app.launched.wait(5) == 0
        assert "STOPPED" in banner_text(app)
        await pilot.pause(0.1)
        await pilot.press("r")
        await wait_until(pilot, lambda: screen.state.status == "running" and screen.state.step == 3)
        resumed = registry_of(app).get(run_dir)
        assert resumed is not app.launched and resumed.running
        await pilot.press("k")
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("y")
        await wait_until(pilot, lambda: screen.state.status == "died")
        assert resumed.wait(5) is not None
        assert not psutil.pid_exists(resumed.pid)


async def test_quit_keep_running_leaves_the_trainer_alive(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    app = LaunchingApp(run_dir, fake(run_dir, "--steps", "50", "--pause-at", "1"))
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, MonitorScreen) and app.screen.state.step == 1)
        await pilot.press("q")
        assert isinstance(app.screen, QuitDialog)
        await pilot.press("q")  # asking twice does not stack dialogs
        assert len([s for s in app.screen_stack if isinstance(s, QuitDialog)]) == 1
        await pilot.press("k")
        await pilot.pause(0.2)
    launched = app.launched
    try:
        assert launched.running, "keep: the trainer must survive the TUI"
        assert psutil.Process(launched.pid).status() != psutil.STATUS_ZOMBIE
    finally:
        launched.stop()
        assert launched.wait(10) == 0  # reaped by us, no zombie
    assert not psutil.pid_exists(launched.pid)


async def test_quit_stop_gracefully_stops_and_reaps(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    app = LaunchingApp(run_dir, fake(run_dir, "--steps", "50", "--pause-at", "1"))
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, MonitorScreen) and app.screen.state.step == 1)
        await pilot.press("q")
        assert isinstance(app.screen, QuitDialog)
        await pilot.press("s")
        await wait_until(pilot, lambda: not app.is_running or app.launched.poll() is not None)
    launched = app.launched
    assert launched.poll() == 0
    assert not psutil.pid_exists(launched.pid)  # gone and reaped
    assert '"stopped"' in (run_dir / "events.jsonl").read_text()


async def test_quit_without_active_runs_does_not_ask(tmp_path: Path) -> None:
    run = write_history(tmp_path / "done", 10, 10, end="finished")
    app = MonitorApp(run, sampler=fixed_sample)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("q")
        await pilot.pause(0.1)
        assert not isinstance(app.screen, QuitDialog)
    assert app.return_code == 0


SLOW_MERGE = (
    "import os, sys, time; open(sys.argv[1], 'w').write(str(os.getpid())); print('merging', flush=True); "
    "time.sleep(60)"
)


async def test_quit_during_a_merge_asks_then_waits_or_cancels_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ftui.core import launch
    from ftui.tui.monitor.dialogs import MergeQuitDialog

    pid_file = tmp_path / "merge.pid"
    monkeypatch.setattr(
        launch, "merge_command", lambda run_dir: [sys.executable, "-c", SLOW_MERGE, str(pid_file)]
    )
    run = write_history(tmp_path / "done", 10, 10, end="finished")
    app = MonitorApp(run, sampler=fixed_sample)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause(0.2)
        await pilot.press("m")
        await wait_until(pilot, lambda: pid_file.is_file() and pid_file.read_text() != "")
        pid = int(pid_file.read_text())
        await pilot.press("q")
        assert isinstance(app.screen, MergeQuitDialog)
        await pilot.press("q")  # asking twice does not stack dialogs
        assert len([s for s in app.screen_stack if isinstance(s, MergeQuitDialog)]) == 1
        await pilot.press("w")  # keep waiting: the app and the merge go on
        await pilot.pause(0.2)
        assert isinstance(app.screen, MonitorScreen) and app.is_running
        assert psutil.pid_exists(pid) and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
        await pilot.press("q")
        assert isinstance(app.screen, MergeQuitDialog)
        await pilot.press(
            "c"
        )  # quit and cancel: the merge process is terminated and reaped, then the app exits
        await wait_until(pilot, lambda: not app.is_running)
    assert not psutil.pid_exists(pid)
    assert app.return_code == 0


async def test_attach_to_finished_run_started_elsewhere(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = write_history(tmp_path / "done", 40, 40, end="finished")
    copied: list[str] = []
    app = MonitorApp(run, sampler=fixed_sample)
    monkeypatch.setattr(app, "copy_to_clipboard", copied.append)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause(0.2)
        screen = app.screen
        assert isinstance(screen, MonitorScreen)
        assert screen.state.status == "finished" and screen.state.step == 40
        assert "FINISHED" in banner_text(app)
        assert screen.check_action("stop", ()) is None and screen.check_action("resume", ()) is None
        await pilot.press("y")
        assert copied == [str(run.resolve())]
        await pilot.press("g")
        assert screen.query_one("#loss-chart").log_scale
        await pilot.press("escape")  # the standalone monitor is the base screen: Back keeps it
        assert app.screen is screen


async def test_runs_screen_lists_opens_and_compares(tmp_path: Path) -> None:
    write_history(tmp_path / "a-finished", 20, 20, end="finished")
    write_history(tmp_path / "b-failed", 8, 20, end="failed")
    write_history(tmp_path / "c-stopped", 12, 20, end="stopped")
    app = MonitorApp(workspace=tmp_path, sampler=fixed_sample)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause(0.2)
        screen = app.screen
        assert isinstance(screen, RunsScreen)
        statuses = {s.name: s.status for s in (state.summary() for state in screen.states.values())}
        assert statuses == {"a-finished": "finished", "b-failed": "failed", "c-stopped": "stopped"}
        assert screen.query_one("DataTable").row_count == 3
        await pilot.press("space", "down", "space", "c")
        await pilot.pause(0.2)
        assert isinstance(app.screen, CompareScreen)
        assert len(app.screen.states) == 2
        assert all(len(s.series.loss) > 0 for s in app.screen.states)
        await pilot.press("escape")
        await pilot.press("enter")
        await pilot.pause(0.2)
        assert isinstance(app.screen, MonitorScreen)


async def test_compare_needs_two_runs(tmp_path: Path) -> None:
    write_history(tmp_path / "only", 5, 5, end="finished")
    app = MonitorApp(workspace=tmp_path, sampler=fixed_sample)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause(0.1)
        await pilot.press("c")
        await pilot.pause(0.1)
        assert isinstance(app.screen, RunsScreen)


def test_monitor_command_lists_runs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from ftui.tui.cli import main

    write_history(tmp_path / "r1", 5, 5, end="finished")
    assert main(["monitor", "--list", "--workspace", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "finished" in out and "r1" in out and "5/5" in out
    assert main(["monitor", str(tmp_path / "missing")]) == 1
    assert "run folder not found" in capsys.readouterr().err


def test_launch_keeps_stdin_detached(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    launched = launch_training(
        tmp_path / "c.yml", run_dir, command=fake(run_dir, "--steps", "1", "--interval", "0")
    )
    try:
        fd0 = Path(f"/proc/{launched.pid}/fd/0")
        if fd0.exists():
            assert "null" in str(fd0.resolve())
    finally:
        assert launched.wait(10) == 0


async def test_wizard_app_quit_asks_about_its_running_trainer(tmp_path: Path) -> None:
    """FtuiApp (the wizard) launches through launch_and_monitor and quits through request_quit."""
    from ftui.tui.app import FtuiApp
    from ftui.tui.monitor import launch_and_monitor

    run_dir = tmp_path / "run"
    app = FtuiApp()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause(0.3)
        screen = launch_and_monitor(
            app, tmp_path / "c.yml", run_dir, command=fake(run_dir, "--steps", "50", "--pause-at", "1")
        )
        await wait_until(pilot, lambda: screen.state.step == 1)
        await app.action_quit()
        await pilot.pause(0.1)
        assert isinstance(app.screen, QuitDialog)
        await pilot.press("s")
        await wait_until(pilot, lambda: registry_of(app).get(run_dir).poll() is not None)
    launched = registry_of(app).get(run_dir)
    assert launched.poll() == 0 and not psutil.pid_exists(launched.pid)


async def test_trainer_that_exits_before_any_event_shows_died_with_its_exit_code(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    command = [sys.executable, "-c", "import sys; print('error: bad config', file=sys.stderr); sys.exit(2)"]
    app = LaunchingApp(run_dir, command)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(
            pilot, lambda: isinstance(app.screen, MonitorScreen) and app.screen.state.status == "died"
        )
        await pilot.pause(0.3)
        text = str(app.screen.query_one(ErrorPanel).render())
        assert "exited with code 2 before it started" in text
        log = app.screen.query_one("#monitor-log")
        assert any("error: bad config" in line for line in log.lines)


async def test_quit_stop_can_kill_a_trainer_that_ignores_sigterm(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    stubborn = [
        sys.executable,
        "-c",
        "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); print('up', flush=True); time.sleep(60)",
    ]
    app = LaunchingApp(run_dir, stubborn)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: "up" in (run_dir / "launch.log").read_text())
        await pilot.press("q")
        assert isinstance(app.screen, QuitDialog)
        await pilot.press("s")
        from ftui.tui.monitor.dialogs import StoppingDialog

        await wait_until(pilot, lambda: isinstance(app.screen, StoppingDialog))
        await pilot.pause(0.3)
        assert app.launched.running  # SIGTERM ignored: still waiting
        await pilot.press("k")
        await wait_until(pilot, lambda: app.launched.poll() is not None)
    assert app.launched.poll() == -9
    assert not psutil.pid_exists(app.launched.pid)


async def test_runs_screen_picks_up_new_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import ftui.tui.monitor.runs_screen as runs_module

    monkeypatch.setattr(runs_module, "RESCAN_S", 0.0)
    write_history(tmp_path / "first", 5, 5, end="finished")
    app = MonitorApp(workspace=tmp_path, sampler=fixed_sample)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause(0.1)
        screen = app.screen
        assert screen.query_one("DataTable").row_count == 1
        write_history(tmp_path / "second", 2, 5, end="stopped")
        screen.refresh_table()
        assert screen.query_one("DataTable").row_count == 2
