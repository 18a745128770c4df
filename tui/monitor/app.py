"""`ftui monitor`: a small app that reuses the monitor, runs and compare screens.

`MonitorApp(run_dir=...)` opens one run's monitor; `MonitorApp(workspace=...)` opens the runs list (with
neither, a subclass pushes its own first screen).
Quitting asks what to do with trainers launched from this app that still run (resume launches them).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ftui.tui.monitor.launches import request_quit
from ftui.tui.monitor.runs_screen import RunsScreen
from ftui.tui.monitor.screen import MonitorScreen
from ftui.tui.monitor.system import SystemSample
from textual.app import App
from textual.binding import Binding
from textual.screen import Screen


class MonitorApp(App[int]):
    TITLE = "ftui monitor"
    BINDINGS = [Binding("q", "quit", "Quit"), Binding("ctrl+q", "quit", "Quit", show=False)]

    def __init__(
        self,
        run_dir: str | Path | None = None,
        workspace: str | Path | None = None,
        *,
        sampler: Callable[[], SystemSample] | None = None,
        poll_interval: float = 0.25,
        system_interval: float = 1.0,
    ) -> None:
        super().__init__()
        self.system_interval = system_interval
        self.run_dir = Path(run_dir) if run_dir else None
        self.workspace = Path(workspace) if workspace else None
        self.sampler = sampler
        self.poll_interval = poll_interval

    def get_default_screen(self) -> Screen:
        """The run's monitor or the runs list is the base screen, so Back never reveals an empty one."""
        if self.run_dir is not None:
            return MonitorScreen(
                self.run_dir,
                sampler=self.sampler,
                poll_interval=self.poll_interval,
                system_interval=self.system_interval,
            )
        if self.workspace is not None:
            return RunsScreen(self.workspace)
        return Screen()

    async def action_quit(self) -> None:
        request_quit(self)
