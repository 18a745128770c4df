"""The run monitor, run history and run comparison screens (and the `ftui monitor` app).

Other parts of the TUI use: `MonitorScreen(run_dir)`, `RunsScreen(workspace)`, `CompareScreen(run_dirs)`,
`launch_and_monitor(app, config_path)` (start `ftui train` and watch it), `request_quit(app)` (quit, asking
first about merges and trainers the app launched that still run) and `MonitorApp`.
"""

from ftui.tui.monitor.app import MonitorApp
from ftui.tui.monitor.compare import CompareScreen
from ftui.tui.monitor.launches import launch_and_monitor, registry_of, request_quit
from ftui.tui.monitor.runs_screen import RunsScreen
from ftui.tui.monitor.screen import MonitorScreen

__all__ = [
    "CompareScreen",
    "MonitorApp",
    "MonitorScreen",
    "RunsScreen",
    "launch_and_monitor",
    "registry_of",
    "request_quit",
]
