"""The quality screen: counts per kind (space drops or keeps a kind), the length histograms, the flagged rows
(space flips one row), the selected row in full (a duplicate beside its partner, differences highlighted),
and `w` to write the curated dataset and point the config at it.

The audit runs in a thread worker that posts progress; the list is a Line API widget, so a 100k-row dataset
with many flagged rows stays responsive.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ftui.tui.wizard.quality import adapter
from ftui.tui.wizard.quality.flag_list import FlagList
from ftui.tui.wizard.quality.model import QualityModel
from ftui.tui.wizard.quality.views import AuditFinished, AuditProgress, highlighted, histogram_text
from ftui.tui.wizard.state import WizardState
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Footer, ProgressBar, Static

QUALITY_CSS = """
QualityScreen #quality-status { height: auto; max-height: 4; padding: 0 1; background: $panel; text-style: bold; }
QualityScreen #quality-progress { height: 1; padding: 0 1; }
QualityScreen #quality-main { height: 1fr; }
QualityScreen #quality-left { width: 46; border-right: solid $panel-lighten-2; }
QualityScreen #quality-kinds { height: auto; max-height: 14; }
QualityScreen #quality-histogram { height: auto; padding: 0 1; }
QualityScreen #quality-right { width: 1fr; }
QualityScreen #quality-list { height: 1fr; min-height: 5; border-bottom: solid $panel-lighten-2; }
QualityScreen #quality-detail { height: 2fr; }
QualityScreen .quality-pane { width: 1fr; padding: 0 1; }
QualityScreen #quality-partner { display: none; border-left: solid $panel-lighten-2; }
QualityScreen.-pair #quality-partner { display: block; }
"""


class QualityScreen(Screen):
    """Audit the wizard's data and curate it; dismisses with the curated file's path (or None)."""

    DEFAULT_CSS = QUALITY_CSS
    BINDINGS = [
        Binding("space", "toggle", "Keep/drop"),
        Binding("w", "write", "Write curated dataset"),
        Binding("a", "audit", "Audit again"),
        Binding("tab", "focus_next", "Switch list", show=False),
        Binding("escape", "back", "Back"),
    ]

    def __init__(self, state: WizardState, tokenizer: Any = None) -> None:
        super().__init__()
        self.state = state
        self.tokenizer = tokenizer
        self.model: QualityModel | None = None
        self.texts: dict[int, str] = {}
        self.kind_names = list(adapter.kinds())
        self.written: Path | None = None

    def compose(self) -> ComposeResult:
        yield Static("quality · auditing…", id="quality-status")
        yield ProgressBar(total=100, show_eta=False, id="quality-progress")
        with Horizontal(id="quality-main"):
            with Vertical(id="quality-left"):
                yield DataTable(id="quality-kinds", cursor_type="row", zebra_stripes=False)
                yield Static("", id="quality-histogram")
            with Vertical(id="quality-right"):
                yield FlagList(id="quality-list")
                with Horizontal(id="quality-detail"):
                    with VerticalScroll(classes="quality-pane", id="quality-row"):
                        yield Static("", id="quality-row-text")
                    with VerticalScroll(classes="quality-pane", id="quality-partner"):
                        yield Static("", id="quality-partner-text")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#quality-kinds", DataTable)
        table.add_columns("drop", "kind", "rows")
        self.action_audit()

    # --- the audit (worker) -----------------------------------------------------------------------------
    def action_audit(self) -> None:
        self.query_one("#quality-status", Static).update("quality · auditing…")
        self.query_one("#quality-progress", ProgressBar).update(progress=0)
        self.query_one("#quality-progress", ProgressBar).display = True
        self.audit_worker()

    @work(thread=True, exclusive=True, group="quality-audit", exit_on_error=False)
    def audit_worker(self) -> None:
        from textual.worker import get_current_worker

        worker = get_current_worker()
        try:
            result = adapter.run_audit(
                self.state,
                self.tokenizer,
                lambda rows, fraction: self.post_message(AuditProgress(rows, fraction)),
                lambda: worker.is_cancelled,
            )
        except Exception as err:  # noqa: BLE001 - shown in the view, never a traceback
            self.post_message(AuditFinished(None, adapter.describe_error(err)))
            return
        if result is not None and not worker.is_cancelled:
            self.post_message(AuditFinished(result))

    @on(AuditProgress)
    def _progress(self, message: AuditProgress) -> None:
        if message.fraction is not None:
            self.query_one("#quality-progress", ProgressBar).update(progress=100 * message.fraction)
        self.query_one("#quality-status", Static).update(f"quality · auditing… {message.rows:,} rows read")

    @on(AuditFinished)
    def _finished(self, message: AuditFinished) -> None:
        self.query_one("#quality-progress", ProgressBar).display = False
        status = self.query_one("#quality-status", Static)
        if message.result is None:
            status.update(Text(f"quality · cannot audit: {message.error}", style="bold red"))
            return
        self.model = QualityModel(message.result.report)
        self.texts = message.result.texts
        self._fill_kinds()
        self._fill_histogram()
        self._fill_list()
        self._update_status(message.result.note)
        self.query_one("#quality-list", FlagList).focus()

    # --- drawing ----------------------------------------------------------------------------------------
    def _update_status(self, note: str = "") -> None:
        model = self.model
        rows = len(model.report.rows)
        text = (
            f"quality · {rows:,} rows · {len(model.report.flags):,} flagged · {model.drop_count():,} to drop"
        )
        if note:
            text += f" · {note}"
        self.query_one("#quality-status", Static).update(text)

    def _fill_kinds(self) -> None:
        table = self.query_one("#quality-kinds", DataTable)
        cursor = table.cursor_row
        table.clear()
        counts = self.model.report.counts()
        table.add_row("", "all flagged rows", f"{len(self.model.report.flags):,}", key="*")
        for kind in self.kind_names:
            skipped = kind in self.model.report.skipped
            mark = "✗" if kind in self.model.dropped_kinds else " "
            shown = "skipped" if skipped else f"{counts.get(kind, 0):,}"
            table.add_row(mark, kind, shown, key=kind)
        if cursor is not None and cursor < table.row_count:
            table.move_cursor(row=cursor)

    def _fill_histogram(self) -> None:
        report = self.model.report
        unit = report.unit
        data = adapter.length_histograms(report)
        widget = self.query_one("#quality-histogram", Static)
        text = histogram_text(f"prompt ({unit})", data["prompt_length"])
        text.append("\n")
        text.append_text(histogram_text(f"response ({unit})", data["response_length"]))
        widget.update(text)

    def _describe(self, row: int) -> tuple[bool, str, str]:
        report = self.model.report
        flag = report.flags.get(row)
        place = f"{report.files[report.rows.file[row]].display}:{report.rows.line[row]}"
        if flag is None:
            return self.model.dropped(row), place, ""
        kind = flag.kinds[0]
        detail = ", ".join(flag.kinds)
        reason = flag.reasons.get(kind, "")
        if flag.partner is not None and kind in ("exact_duplicate", "near_duplicate"):
            reason = f"repeats line {report.where(flag.partner, report.rows.file[row])} {reason}".strip()
        return self.model.dropped(row), place, f"{detail}  {reason}".strip()

    def _fill_list(self) -> None:
        self.query_one("#quality-list", FlagList).set_rows(self.model.rows(), self._describe)
        self._show_row(self.query_one("#quality-list", FlagList).current)

    def _show_row(self, row: int | None) -> None:
        left = self.query_one("#quality-row-text", Static)
        right = self.query_one("#quality-partner-text", Static)
        if row is None or self.model is None:
            left.update(Text("no flagged rows" if self.model else "", style="dim"))
            self.set_class(False, "-pair")
            return
        report = self.model.report
        flag = report.flags.get(row)
        text = self.texts.get(row, "")
        header = Text(f"{self._describe(row)[1]}\n", style="bold")
        for kind in flag.kinds if flag else []:
            header.append(
                f"{kind}: {flag.reasons.get(kind, adapter.kinds().get(kind, ''))}\n", style="yellow"
            )
        partner = flag.partner if flag else None
        if partner is None:
            self.set_class(False, "-pair")
            left.update(header + Text(text))
            return
        other = self.texts.get(partner, "")
        ours, theirs = adapter.differences(text, other)
        left.update(header + highlighted(text, ours, "bold white on dark_red"))
        where = f"{report.files[report.rows.file[partner]].display}:{report.rows.line[partner]}"
        right.update(
            Text(f"kept: {where}\n\n", style="bold") + highlighted(other, theirs, "bold white on dark_green")
        )
        self.set_class(True, "-pair")

    # --- events -----------------------------------------------------------------------------------------
    @on(FlagList.Highlighted)
    def _highlighted(self, message: FlagList.Highlighted) -> None:
        self._show_row(message.row)

    @on(DataTable.RowHighlighted, "#quality-kinds")
    def _kind_highlighted(self, message: DataTable.RowHighlighted) -> None:
        if self.model is None:
            return
        key = message.row_key.value
        kind = None if key == "*" else key
        if kind != self.model.filter_kind:
            self.model.filter_kind = kind
            self._fill_list()

    def action_toggle(self) -> None:
        if self.model is None:
            return
        table = self.query_one("#quality-kinds", DataTable)
        if table.has_focus:
            kind = self.model.filter_kind
            if kind is None:
                return
            self.model.toggle_kind(kind)
            self._fill_kinds()
        else:
            row = self.query_one("#quality-list", FlagList).current
            if row is None:
                return
            self.model.toggle_row(row)
        self.query_one("#quality-list", FlagList).refresh()
        self._update_status()

    def action_write(self) -> None:
        if self.model is None:
            return
        self.write_worker(adapter.curated_path(self.model.report))

    @work(thread=True, exclusive=True, group="quality-write", exit_on_error=False)
    def write_worker(self, out: Path) -> None:
        model = self.model
        try:
            result = adapter.write_curated(
                model.report, set(model.dropped_kinds), model.keep, model.drop, out
            )
        except adapter.Refused as err:
            self.app.call_from_thread(self.notify, err.message, title="Cannot write", severity="error")
            return
        self.app.call_from_thread(self._written, out, result)

    def _written(self, out: Path, result: Any) -> None:
        self.written = out
        self.notify(
            f"kept {result.kept:,} rows, dropped {result.dropped:,}; the config now uses "
            f"{adapter.relative_to_config(self.state, out)}",
            title="Curated dataset written",
        )
        self.dismiss(out)

    def action_back(self) -> None:
        self.dismiss(None)
