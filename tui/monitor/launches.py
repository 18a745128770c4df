"""Trainers and merges launched by this app, and quitting safely while they run.

The registry lives on the App (not on a screen: popping the monitor must not lose the handle), reaps exited
children on a timer so none stays a zombie, and `request_quit(app)` asks what to do with active ones.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from ftui.core.launch import LaunchedRun, launch_merge, launch_training, resume_run
from textual.app import App
from textual.worker import Worker

STOP_TIMEOUT_S = 600.0
MERGE_TERMINATE_S = 10.0  # a cancelled merge gets this long after SIGTERM before it is killed


class LaunchRegistry:
    """Handles of the trainers (and the merge workers) this app started, by run directory."""

    def __init__(self) -> None:
        self.runs: dict[Path, LaunchedRun] = {}
        self.merges: dict[Path, Worker] = {}

    def add(self, launched: LaunchedRun) -> LaunchedRun:
        self.runs[launched.run_dir.resolve()] = launched
        return launched

    def get(self, run_dir: str | Path) -> LaunchedRun | None:
        return self.runs.get(Path(run_dir).resolve())

    def reap(self) -> None:
        for launched in self.runs.values():
            launched.poll()

    def active(self) -> list[LaunchedRun]:
        return [r for r in self.runs.values() if r.running]

    def active_merges(self) -> dict[Path, Worker]:
        return {run_dir: worker for run_dir, worker in self.merges.items() if not worker.is_finished}


def registry_of(app: App) -> LaunchRegistry:
    """The app's registry, created (with its reaping timer) on first use."""
    registry = getattr(app, "_ftui_launches", None)
    if registry is None:
        registry = LaunchRegistry()
        app._ftui_launches = registry  # type: ignore[attr-defined]
        app.set_interval(1.0, registry.reap, name="ftui-reap")
    return registry


def launch_and_monitor(app: App, config_path: str | Path, run_dir: str | Path | None = None, **launch_kwargs):
    """Start `ftui train CONFIG` and push its monitor; returns the MonitorScreen."""
    from ftui.tui.monitor.screen import MonitorScreen

    launched = registry_of(app).add(launch_training(config_path, run_dir, **launch_kwargs))
    screen = MonitorScreen(launched.run_dir)
    app.push_screen(screen)
    return screen


def resume_in_app(app: App, run_dir: str | Path, **kwargs) -> LaunchedRun:
    return registry_of(app).add(resume_run(run_dir, **kwargs))


def request_quit(app: App) -> None:
    """Quit now, or first ask: whether to wait for a running merge or cancel it, then whether to keep or stop
    the trainers this app launched that still run."""
    from ftui.tui.monitor.dialogs import MergeQuitDialog, QuitDialog, StoppingDialog

    if isinstance(app.screen, (QuitDialog, StoppingDialog, MergeQuitDialog)):  # already asking or stopping
        return
    merges = registry_of(app).active_merges()
    if merges:

        def merge_answered(choice: str | None) -> None:
            if choice == "cancel":
                app.run_worker(_cancel_merges_then_quit(app), group="ftui-quit", exclusive=True)

        app.push_screen(MergeQuitDialog([run_dir.name for run_dir in merges]), merge_answered)
        return
    active = registry_of(app).active()
    if not active:
        app.exit()
        return

    def answered(choice: str | None) -> None:
        if choice == "keep":
            app.exit()
        elif choice == "stop":
            app.run_worker(_stop_all_then_exit(app), group="ftui-quit", exclusive=True)

    app.push_screen(QuitDialog([r.run_dir.name for r in active]), answered)


async def _stop_all_then_exit(app: App) -> None:
    from ftui.tui.monitor.dialogs import StoppingDialog

    registry = registry_of(app)
    active = registry.active()
    for launched in active:
        launched.stop()
    await app.push_screen(StoppingDialog())
    deadline = time.monotonic() + STOP_TIMEOUT_S
    while any(r.running for r in active):  # `running` polls, which reaps
        if time.monotonic() > deadline:
            for launched in active:
                launched.kill()
        await asyncio.sleep(0.1)
    app.exit()


async def _cancel_merges_then_quit(app: App) -> None:
    """Cancel the running merges, wait until their processes are gone, then quit as usual (which still asks
    about running trainers)."""
    merges = list(registry_of(app).active_merges().values())
    for worker in merges:
        worker.cancel()
    while not all(worker.is_finished for worker in merges):  # each worker terminates and reaps its process
        await asyncio.sleep(0.05)
    request_quit(app)


def merge_in_app(app: App, run_dir: str | Path) -> None:
    """Run `ftui merge RUN_DIR` as a subprocess (core/launch.py) in an app worker; notify when it ends.
    The worker is registered, so quitting while it runs asks first."""
    run_dir = Path(run_dir)
    worker = app.run_worker(_merge(app, run_dir), group="ftui-merge", exclusive=True)
    registry_of(app).merges[run_dir.resolve()] = worker


async def _merge(app: App, run_dir: Path) -> None:
    app.notify(f"Merging the adapter of {run_dir.name}…", title="Merge")
    merge = launch_merge(run_dir)
    try:
        while (code := merge.poll()) is None:
            await asyncio.sleep(0.05)
    finally:
        if merge.running:  # cancelled (quit, or a second merge replaced this one)
            merge.stop()
            deadline = time.monotonic() + MERGE_TERMINATE_S
            while merge.running and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
            if merge.running:
                merge.kill()
                merge.wait()
    if code == 0:
        app.notify(f"Merged model saved (see {merge.log_path}).", title="Merge done")
    else:
        tail = merge.log_path.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-1:]
        app.notify(f"Merge failed (exit {code}): {' '.join(tail)}", title="Merge failed", severity="error")
