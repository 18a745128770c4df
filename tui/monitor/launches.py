"""Trainers launched by this app, and quitting safely while they run.

The registry lives on the App (not on a screen: popping the monitor must not lose the handle), reaps exited
children on a timer so none stays a zombie, and `request_quit(app)` asks what to do with active ones.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from ftui.core.launch import LaunchedRun, launch_training, resume_run
from textual.app import App

STOP_TIMEOUT_S = 600.0


class LaunchRegistry:
    """Handles of the trainers this app started, by run directory."""

    def __init__(self) -> None:
        self.runs: dict[Path, LaunchedRun] = {}

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
    """Quit now, or first ask whether to keep or stop the trainers this app launched that still run."""
    from ftui.tui.monitor.dialogs import QuitDialog, StoppingDialog

    if isinstance(app.screen, (QuitDialog, StoppingDialog)):  # already asking or stopping
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


def merge_in_app(app: App, run_dir: str | Path) -> None:
    """Run `ftui merge RUN_DIR` as a subprocess in an app worker; notify when it ends (log in merge.log)."""
    app.run_worker(_merge(app, Path(run_dir)), group="ftui-merge", exclusive=True)


async def _merge(app: App, run_dir: Path) -> None:
    import sys

    log_path = run_dir / "merge.log"
    app.notify(f"Merging the adapter of {run_dir.name}…", title="Merge")
    with open(log_path, "ab") as log:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "ftui.tui.cli",
            "merge",
            str(run_dir),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=log,
            stderr=asyncio.subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            code = await process.wait()
        finally:
            if process.returncode is None:
                process.terminate()
                await process.wait()
    if code == 0:
        app.notify(f"Merged model saved (see {log_path}).", title="Merge done")
    else:
        tail = log_path.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-1:]
        app.notify(f"Merge failed (exit {code}): {' '.join(tail)}", title="Merge failed", severity="error")
