"""Every run under a workspace folder: status, model, best/final loss, steps, duration, started.

Each run keeps its own incremental `RunState`, so refreshing the table every couple of seconds only reads
what was appended. Enter opens the monitor; space marks runs; `c` compares the marked runs' loss curves.
"""

from __future__ import annotations

import time
from pathlib import Path

from ftui.core.metrics import format_duration
from ftui.core.runs.listing import find_run_dirs, format_started, sort_key
from ftui.core.runs.state import RunState, RunSummary
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

STATUS_STYLES = {
    "running": "bold green",
    "starting": "green",
    "finished": "bold blue",
    "stopped": "yellow",
    "failed": "bold red",
    "died": "red",
}
RESCAN_S = 10.0
COLUMNS = ("", "status", "run", "model", "method", "best loss", "final loss", "steps", "duration", "started")


def _loss(value: float | None) -> str:
    return f"{value:.4f}" if value is not None else "-"


def summary_row(summary: RunSummary, marked: bool) -> tuple:
    steps = f"{summary.step}/{summary.total_steps}" if summary.total_steps else str(summary.step)
    return (
        "●" if marked else " ",
        Text(summary.status, style=STATUS_STYLES.get(summary.status, "")),
        summary.name,
        summary.model or "-",
        summary.method,
        _loss(summary.best_loss),
        _loss(summary.final_loss),
        steps,
        format_duration(summary.duration_s),
        format_started(summary.started),
    )


class RunsScreen(Screen):
    """The run history of a workspace."""

    DEFAULT_CSS = """
    RunsScreen #runs-title { height: 1; padding: 0 1; background: $panel; text-style: bold; }
    RunsScreen DataTable { height: 1fr; }
    RunsScreen #runs-detail { height: auto; max-height: 9; padding: 0 1; }
    """
    BINDINGS = [
        Binding("enter", "open", "Open", show=True),
        Binding("space", "mark", "Mark"),
        Binding("c", "compare", "Compare marked"),
        Binding("y", "copy_path", "Copy path"),
        Binding("f5", "rescan", "Rescan"),
        Binding("escape", "back", "Back"),
    ]

    def __init__(self, workspace: str | Path, *, refresh_interval: float = 2.0) -> None:
        super().__init__()
        self.workspace = Path(workspace)
        self.refresh_interval = refresh_interval
        self.states: dict[Path, RunState] = {}
        self.marked: set[Path] = set()
        self.order: list[Path] = []
        self._last_scan = 0.0

    def compose(self) -> ComposeResult:
        yield Static(Text(f"Runs in {self.workspace}"), id="runs-title")
        table: DataTable = DataTable(cursor_type="row", zebra_stripes=True, id="runs-table")
        yield table
        yield Static("", id="runs-detail")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for column in COLUMNS:
            table.add_column(column, key=column or "mark")
        self.action_rescan()
        self.set_interval(self.refresh_interval, self.refresh_table, name="runs-refresh")

    def action_rescan(self) -> None:
        self._discover()
        self.refresh_table()

    def _discover(self) -> None:
        self._last_scan = time.monotonic()
        for run_dir in find_run_dirs(self.workspace):
            self.states.setdefault(run_dir, RunState(run_dir))

    def refresh_table(self) -> None:
        if time.monotonic() - self._last_scan > RESCAN_S:  # runs started from elsewhere appear by themselves
            self._discover()
        for state in self.states.values():
            state.poll()  # one slice each: a huge finished run is read over several refreshes
        if any(state.pending for state in self.states.values()):
            self.set_timer(0.05, self.refresh_table)
        summaries = sorted((s.summary() for s in self.states.values()), key=sort_key)
        table = self.query_one(DataTable)
        cursor = table.cursor_row
        table.clear()
        self.order = []
        for summary in summaries:
            table.add_row(*summary_row(summary, summary.run_dir in self.marked), key=str(summary.run_dir))
            self.order.append(summary.run_dir)
        if summaries:
            table.move_cursor(row=min(cursor, len(summaries) - 1))
        else:
            self.query_one("#runs-detail", Static).update(
                Text(f"No runs found under {self.workspace} (a run folder holds events.jsonl).", style="dim")
            )
        self._show_detail()

    def _current(self) -> Path | None:
        table = self.query_one(DataTable)
        if not self.order or table.cursor_row < 0 or table.cursor_row >= len(self.order):
            return None
        return self.order[table.cursor_row]

    def on_data_table_row_highlighted(self) -> None:
        self._show_detail()

    def on_data_table_row_selected(self) -> None:
        self.action_open()

    def _show_detail(self) -> None:
        current = self._current()
        if current is None:
            return
        summary = self.states[current].summary()
        text = Text(str(current), style="dim")
        for dest in summary.destinations:
            text.append(f"\n{dest.line()}")
        if summary.error:
            text.append("\n" + summary.error, style="bold red")
        if self.marked:
            text.append(f"\n{len(self.marked)} marked for comparison (c)", style="")
        self.query_one("#runs-detail", Static).update(text)

    def action_open(self) -> None:
        from ftui.tui.monitor.screen import MonitorScreen

        current = self._current()
        if current is not None:
            self.app.push_screen(MonitorScreen(current))

    def action_mark(self) -> None:
        current = self._current()
        if current is None:
            return
        self.marked.symmetric_difference_update({current})
        self.refresh_table()

    def action_compare(self) -> None:
        from ftui.tui.monitor.compare import CompareScreen

        chosen = [p for p in self.order if p in self.marked]
        if len(chosen) < 2:
            self.notify("Mark two or more runs with space, then press c.", severity="warning")
            return
        self.app.push_screen(CompareScreen(chosen))

    def action_copy_path(self) -> None:
        current = self._current()
        if current is not None:
            self.app.copy_to_clipboard(str(current.resolve()))
            self.notify(str(current.resolve()), title="Copied run path")

    def action_back(self) -> None:
        if len(self.app.screen_stack) > 1:
            self.app.pop_screen()
