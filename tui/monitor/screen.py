"""The live monitor of one run: status banner, loss and LR charts, progress, throughput, memory, machine,
eval results, warnings and the log; actions to stop, kill, resume, chat, merge and copy the path.

It attaches to any run directory (running, finished, failed, stopped; launched here or elsewhere): a timer
polls the events file incrementally a few times a second and redraws only what changed.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Literal

from ftui.core.errors import UserError
from ftui.core.launch import kill_run, stop_run
from ftui.core.logtail import LogFollower
from ftui.core.runs.layout import LAUNCH_LOG
from ftui.core.runs.state import RunState
from ftui.tui.monitor.charts import LossChart, LrChart, RewardChart
from ftui.tui.monitor.destinations import DestinationsPanel
from ftui.tui.monitor.dialogs import ConfirmDialog
from ftui.tui.monitor.launches import merge_in_app, registry_of, resume_in_app
from ftui.tui.monitor.machine import SystemPanel
from ftui.tui.monitor.notices import notice_text
from ftui.tui.monitor.panels import (
    ErrorPanel,
    EvalPanel,
    ProgressPanel,
    StatusBanner,
    ThroughputPanel,
    WarningBar,
)
from ftui.tui.monitor.ranks import RanksPanel
from ftui.tui.monitor.system import SystemSample, SystemSampler
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Footer, Log, RichLog

MONITOR_CSS = """
MonitorScreen { layout: vertical; }
StatusBanner { height: 3; padding: 1 1; text-style: bold; background: $panel; }
WarningBar { height: auto; max-height: 2; padding: 0 1; background: $warning 30%; color: $text; display: none; }
StatusBanner.-running { background: $success 60%; }
StatusBanner.-starting { background: $primary 40%; }
StatusBanner.-finished { background: $primary; }
StatusBanner.-stopped { background: $warning 70%; color: $text; }
StatusBanner.-failed, StatusBanner.-died { background: $error; color: $text; }
#monitor-main { height: 1fr; }
#monitor-charts { width: 1fr; }
#loss-chart { height: 2fr; }
#lr-chart { height: 1fr; }
#reward-chart { height: 1fr; display: none; }
#monitor-side { width: 46; padding: 0 1; border-left: solid $panel-lighten-2; }
#monitor-side > * { margin-bottom: 1; }
EvalPanel { height: 1fr; overflow-y: auto; }
RanksPanel { height: auto; display: none; }
DestinationsPanel { height: auto; display: none; }
ErrorPanel { height: auto; max-height: 14; border: heavy $error; padding: 0 1; display: none; }
#monitor-bottom { height: 9; }
#monitor-log { width: 2fr; border-top: solid $panel-lighten-2; }
#monitor-notices { width: 1fr; border-top: solid $panel-lighten-2; }
MonitorScreen.-short StatusBanner { height: 1; padding: 0 1; }
MonitorScreen.-short WarningBar { max-height: 1; }
MonitorScreen.-short #monitor-bottom { height: 6; }
MonitorScreen.-short #monitor-side > * { margin-bottom: 0; }
MonitorScreen.-short ThroughputPanel Sparkline { height: 1; }
MonitorScreen.-narrow #monitor-side { width: 40; }
MonitorScreen.-wide #monitor-side { width: 60; }
"""

class MonitorScreen(Screen):
    """Watch one run directory; works for live and ended runs alike."""

    DEFAULT_CSS = MONITOR_CSS
    VERTICAL_BREAKPOINTS = [(0, "-short"), (36, "-tall")]  # compact chrome below 36 rows
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (110, "-normal"), (160, "-wide")]
    BINDINGS = [
        Binding("s", "stop", "Stop"),
        Binding("k", "kill", "Kill"),
        Binding("r", "resume", "Resume"),
        Binding("c", "chat", "Chat"),
        Binding("m", "merge", "Merge"),
        Binding("y", "copy_path", "Copy path"),
        Binding("g", "toggle_log_scale", "Log scale"),
        Binding("v", "review", "Review samples"),
        Binding("escape", "back", "Back"),
    ]

    def __init__(
        self,
        run_dir: str | Path,
        *,
        poll_interval: float = 0.25,
        sampler: Callable[[], SystemSample] | None = None,
        system_interval: float = 1.0,
        name: str | None = None,
    ) -> None:
        super().__init__(name=name)
        self.system_interval = system_interval
        self.run_dir = Path(run_dir)
        self.state = RunState(self.run_dir)
        self.poll_interval = poll_interval
        self._sampler = sampler
        self._log = LogFollower(self.run_dir / LAUNCH_LOG)
        self._notices_shown = 0
        self._last_status: str | None = None
        self.redraws = 0

    def compose(self) -> ComposeResult:
        yield StatusBanner(id="banner")
        yield WarningBar(id="warning-bar")
        with Horizontal(id="monitor-main"):
            with Vertical(id="monitor-charts"):
                yield LossChart(self.state, id="loss-chart")
                yield RewardChart(self.state, id="reward-chart")
                yield LrChart(self.state, id="lr-chart")
            with Vertical(id="monitor-side"):
                yield ProgressPanel(id="progress")
                yield DestinationsPanel(id="destinations")
                yield RanksPanel(id="ranks")
                yield ThroughputPanel(id="throughput")
                yield SystemPanel(id="system")
                yield EvalPanel(id="eval")
        yield ErrorPanel(id="error")
        with Horizontal(id="monitor-bottom"):
            yield Log(max_lines=500, id="monitor-log")
            yield RichLog(max_lines=200, wrap=True, id="monitor-notices")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#monitor-log", Log).border_title = "log"
        self.query_one("#monitor-notices", RichLog).border_title = "events"
        if self._sampler is None:
            self._sampler = SystemSampler().sample
        self.refresh_run()
        self.sample_system()
        self.set_interval(self.poll_interval, self.refresh_run, name="monitor-poll")
        self.set_interval(self.system_interval, self.sample_system, name="monitor-system")

    # --- polling -------------------------------------------------------------------------------------
    def refresh_run(self) -> None:
        """Read what was appended, then update only if something changed (data or status)."""
        changed = self.state.poll()
        if self.state.pending:  # a long finished run: keep catching up in slices, UI stays responsive
            self.call_later(self.refresh_run)
        lines = self._log.poll()
        if lines:
            self.query_one("#monitor-log", Log).write_lines(lines)
        status = self.state.status
        if not changed and status == self._last_status:
            return
        self._last_status = status
        self._update_widgets()

    def _update_widgets(self) -> None:
        state = self.state
        self.redraws += 1
        self.query_one(StatusBanner).update_from(state)
        self.query_one(WarningBar).update_from(state)
        self.query_one(ProgressPanel).update_from(state)
        self.query_one(DestinationsPanel).update_from(state)
        self.query_one(ThroughputPanel).update_from(state)
        self.query_one(EvalPanel).update_from(state)
        launched = registry_of(self.app).get(self.run_dir)
        self.query_one(ErrorPanel).update_from(state, launched.poll() if launched is not None else None)
        if not state.pending:  # charts once caught up
            self.query_one(LossChart).update_chart()
            self.query_one(LrChart).update_chart()
            rewards = self.query_one(RewardChart)
            rewards.display = state.method != "sft"
            if rewards.display:
                rewards.update_chart()
        notices = self.query_one("#monitor-notices", RichLog)
        new = state.notice_count - self._notices_shown
        for event in list(state.notices)[-new:] if new > 0 else []:
            notices.write(notice_text(event))
        self._notices_shown = state.notice_count
        self.refresh_bindings()

    def sample_system(self) -> None:
        if self._sampler is not None:
            self.query_one(SystemPanel).add_sample(self._sampler())
        self.query_one(RanksPanel).update_from(self.run_dir)  # a silent rank shows without new events

    # --- actions -------------------------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        status = self.state.status
        if action in ("stop", "kill"):
            return True if status in ("running", "starting") else None
        if action == "resume":
            return True if status in ("stopped", "died", "failed") else None
        if action == "merge":
            return True if status == "finished" else None
        return True

    def _signal_trainer(self, how: Literal["stop", "kill"]) -> bool:
        """Stop or kill (`how`) the trainer: through its handle when this app launched it, else by the
        run's pid file. Returns False (after telling the user why) when that failed."""
        launched = registry_of(self.app).get(self.run_dir)
        try:
            if launched is not None and launched.running:
                getattr(launched, how)()  # LaunchedRun.stop / LaunchedRun.kill
            else:
                {"stop": stop_run, "kill": kill_run}[how](self.run_dir)
        except UserError as err:
            self.notify(err.message, severity="error")
            return False
        return True

    def action_stop(self) -> None:
        if self._signal_trainer("stop"):
            self.notify(
                "Stopping: the trainer finishes its step, saves a checkpoint and exits.", title="Stop"
            )

    def action_kill(self) -> None:
        def answered(yes: bool | None) -> None:
            if yes and self._signal_trainer("kill"):
                self.notify("Killed. Resume later from the last complete checkpoint.", severity="warning")

        self.app.push_screen(
            ConfirmDialog(
                "Kill the trainer now? The current step is lost; the last checkpoint stays.", "Kill"
            ),
            answered,
        )

    def action_resume(self) -> None:
        try:
            resume_in_app(self.app, self.run_dir)
        except UserError as err:
            self.notify(err.message + (f"\n{err.hint}" if err.hint else ""), severity="error")
            return
        self.notify("Resuming from the last checkpoint.", title="Resume")

    def action_chat(self) -> None:
        from ftui.tui.chat import ChatScreen

        self.app.push_screen(ChatScreen(self.run_dir))

    def action_review(self) -> None:
        """Mark the eval samples good or bad with a critique (RUN_DIR/critiques.jsonl)."""
        from ftui.tui.monitor.review import SamplesScreen

        self.app.push_screen(SamplesScreen(self.run_dir))

    def action_merge(self) -> None:
        merge_in_app(self.app, self.run_dir)

    def action_copy_path(self) -> None:
        path = str(self.run_dir.resolve())
        self.app.copy_to_clipboard(path)
        self.notify(path, title="Copied run path")

    def action_toggle_log_scale(self) -> None:
        chart = self.query_one(LossChart)
        chart.set_log_scale(not chart.log_scale)

    def action_back(self) -> None:
        if len(self.app.screen_stack) > 1:
            self.app.pop_screen()
