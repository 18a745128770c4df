"""Compare runs: their loss curves overlaid on one chart, with a summary row each."""

from __future__ import annotations

from pathlib import Path

from ftui.core.runs.state import RunState
from ftui.tui.monitor.charts import SERIES_COLORS, CompareChart
from ftui.tui.monitor.runs_screen import COLUMNS, summary_row
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer


class CompareScreen(Screen):
    """Two or more runs on the same axes (EMA by default; `e` toggles raw, `g` log scale)."""

    DEFAULT_CSS = """
    CompareScreen CompareChart { height: 1fr; }
    CompareScreen DataTable { height: auto; max-height: 12; }
    """
    BINDINGS = [
        Binding("e", "toggle_smoothing", "EMA/raw"),
        Binding("g", "toggle_log_scale", "Log scale"),
        Binding("escape", "back", "Back"),
    ]

    def __init__(self, run_dirs: list[str | Path], *, poll_interval: float = 1.0) -> None:
        super().__init__()
        self.states = [RunState(Path(d)) for d in run_dirs]
        self.poll_interval = poll_interval

    def compose(self) -> ComposeResult:
        yield CompareChart(self.states, id="compare-chart")
        yield DataTable(cursor_type="row", id="compare-table")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for column in ("colour", *COLUMNS[1:]):
            table.add_column(column, key=column)
        self.refresh_runs(force=True)
        self.set_interval(self.poll_interval, self.refresh_runs, name="compare-poll")

    def refresh_runs(self, force: bool = False) -> None:
        for state in self.states:
            state.poll()  # one slice each; more soon if a long run is still being read
        if any(state.pending for state in self.states):
            self.set_timer(0.05, self.refresh_runs)
        changed = [state.version for state in self.states]
        if not force and changed == getattr(self, "_versions", None):
            return
        self._versions = changed
        table = self.query_one(DataTable)
        table.clear()
        for index, state in enumerate(self.states):
            color = SERIES_COLORS[index % len(SERIES_COLORS)]
            table.add_row(Text("━━", style=color), *summary_row(state.summary(), False)[1:])
        self.query_one(CompareChart).update_chart()

    def action_toggle_smoothing(self) -> None:
        chart = self.query_one(CompareChart)
        chart.smoothed = not chart.smoothed
        chart.update_chart()

    def action_toggle_log_scale(self) -> None:
        chart = self.query_one(CompareChart)
        chart.log_scale = not chart.log_scale
        chart.update_chart()

    def action_back(self) -> None:
        if len(self.app.screen_stack) > 1:
            self.app.pop_screen()
