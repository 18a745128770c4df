"""Data step: choose the data (file tree, path, hub id), see its format and bad rows, pick the template and
masking settings, and watch the token mask of any example change as you edit them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ftui.tui.wizard.data_edits import AUTO, DataEdits
from ftui.tui.wizard.data_info import ScanView
from ftui.tui.wizard.mask_panel import MaskPanel
from ftui.tui.wizard.previews import StatsView
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.timer import Timer
from textual.widgets import Button, Checkbox, DirectoryTree, Input, Label, Select, Static

DATA_SUFFIXES = {".json", ".jsonl", ".csv", ".parquet", ".arrow", ".txt"}
SKIP_DIRS = {"node_modules", "__pycache__", "site-packages", "outputs", "wandb"}


class DataTree(DirectoryTree):
    """A DirectoryTree that lists folders and data files only (no hidden or build folders)."""

    def on_mount(self) -> None:
        if not Path(self.path).name:  # "." has no name: say where it is relative to
            self.root.set_label(str(self.path))

    def filter_paths(self, paths):
        return [
            p for p in paths
            if not p.name.startswith(".") and p.name not in SKIP_DIRS
            and (p.is_dir() or p.suffix.lower() in DATA_SUFFIXES)
        ]  # fmt: skip


class Scanned(Message):
    def __init__(self, key: tuple, scan: ScanView) -> None:
        super().__init__()
        self.key, self.scan = key, scan


class StatsReady(Message):
    def __init__(self, key: tuple, stats: StatsView) -> None:
        super().__init__()
        self.key, self.stats = key, stats


class DataStep(DataEdits):
    step = "data"

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.scan: ScanView | None = None
        self.scan_key: tuple = ()
        self.row = 0
        self._preview_key: tuple = ()
        self._stats_key: tuple = ()
        self._scan_timer: Timer | None = None
        self._stats_timer: Timer | None = None
        self._loading = False
        self._template_options: list[tuple[str, str]] = []

    def compose_step(self) -> ComposeResult:
        self._template_options = self.backend.template_options(None, self.state)
        with Horizontal():
            with Vertical(id="data-left"):
                yield DataTree(self.backend.browse_root(self.state), id="data-tree")
                yield Label("Data file or folder")
                yield Input(id="data-path", placeholder="data/train.jsonl")
                yield Label("…or a Hugging Face dataset id")
                yield Input(id="data-hub", placeholder="owner/dataset")
                yield Static("choose a data file", id="scan-status", classes="field-status")
                yield Button("Data quality… (F6)", id="open-quality", compact=True)
            with Vertical(id="data-right"):
                types = [("auto-detect", AUTO)] + [(name, name) for name in self.backend.dataset_types()]
                with Horizontal(classes="data-controls"):
                    yield Label("Template ", classes="control-label")
                    yield Select(self._template_options, allow_blank=False, id="template", compact=True)
                    yield Label("  Format ", classes="control-label")
                    yield Select(types, allow_blank=False, id="data-type", compact=True)
                with Horizontal(classes="data-controls"):
                    yield Label("Roles to train ", classes="control-label")
                    yield Input(id="roles", placeholder="assistant", compact=True)
                    yield Label("  Sequence len ", classes="control-label")
                    yield Input(id="data-seq-len", type="integer", compact=True)
                    yield Checkbox("train on inputs", id="train-on-inputs", compact=True)
                yield Static("", id="template-warning")
                yield MaskPanel(id="mask")

    # --- state <-> widgets ------------------------------------------------------------------------------------
    def load_state(self) -> None:
        self._loading = True
        try:
            path = str(self.state.dataset.get("path") or "")
            is_local = not path or self.backend.is_local_path(self.state, path)
            self.query_one("#data-path", Input).value = path if is_local else ""
            self.query_one("#data-hub", Input).value = "" if is_local else path
            self._fill_templates()
            data_type = self.backend.dataset_type_value(self.state)
            select = self.query_one("#data-type", Select)
            offered = [(name, name) for name in self.backend.dataset_types()]
            if data_type and data_type not in dict(offered).values():  # a legacy type the file names
                select.set_options([("auto-detect", AUTO), *offered, (data_type, data_type)])
            select.value = data_type or AUTO
            roles = self.state.dataset.get("roles_to_train") or []
            self.query_one("#roles", Input).value = ", ".join(roles)
            seq = self.state.get("sequence_len", self.backend.schema_default("sequence_len"))
            self.query_one("#data-seq-len", Input).value = str(seq)
            self.query_one("#train-on-inputs", Checkbox).value = bool(self.state.get("train_on_inputs"))
        finally:
            self._loading = False
        self._show_scan()  # a scan may have finished before this step was built
        self.schedule_scan(delay=0)

    def _fill_templates(self) -> None:
        select = self.query_one("#template", Select)
        options = self.backend.template_options(self.wizard.facts, self.state)
        value = self.backend.template_value(self.state, self.wizard.facts)
        if options != self._template_options:
            self._template_options = options
            select.set_options(options)
        if value in {v for _, v in options}:
            select.value = value

    def problems(self) -> list[str]:
        found = []
        if not self.state.dataset.get("path"):
            found.append("choose a data file, folder or hub dataset")
        elif self.scan is not None and self.scan.error:
            found.append(self.scan.error)
        elif self.scan is not None and self.scan.bad_rows:
            found.append(f"{self.scan.bad_count} bad rows (listed under the file)")
        seq = self.state.get("sequence_len", self.backend.schema_default("sequence_len"))
        if not isinstance(seq, int) or seq < 16:
            found.append("sequence_len must be a whole number >= 16")
        return found

    def derived_changed(self) -> None:
        self._fill_templates()
        warning = self.backend.template_warning(self.state, self.wizard.facts)
        widget = self.query_one("#template-warning", Static)
        widget.update(f"⚠ {warning}" if warning else "")
        widget.display = bool(warning)
        self.refresh_preview()

    # --- scanning (worker) -------------------------------------------------------------------------------------
    def schedule_scan(self, delay: float = 0.3) -> None:
        if self._scan_timer is not None:
            self._scan_timer.stop()
            self._scan_timer = None
        if delay <= 0:
            self.call_after_refresh(self._start_scan)
        else:
            self._scan_timer = self.set_timer(delay, self._start_scan)

    def _start_scan(self) -> None:
        key = self.backend.scan_key(self.state)
        if key == self.scan_key and self.scan is not None:
            return
        self.scan_key, self.scan, self.row = key, None, 0
        self._preview_key = ()
        if not self.state.dataset.get("path"):
            self._show_scan()
            return
        if self.built:
            self.query_one("#scan-status", Static).update("reading the data…")
            self.query_one("#mask", MaskPanel).show_message("reading the data…")
        self.scan_worker(key)

    @work(thread=True, exclusive=True, group="scan", exit_on_error=False)
    def scan_worker(self, key: tuple) -> None:
        self.post_message(Scanned(key, self.backend.scan_dataset(self.state)))

    @on(Scanned)
    def _scanned(self, message: Scanned) -> None:
        if message.key != self.scan_key:
            return
        self.scan = message.scan
        self._show_scan()
        self.changed("scan")

    def _show_scan(self) -> None:
        if not self.built:
            return
        status = self.query_one("#scan-status", Static)
        if self.scan is None:
            status.update("choose a data file" if not self.state.dataset.get("path") else "reading the data…")
            status.set_class(False, "-invalid")
            return
        status.update(self.backend.scan_summary(self.scan))
        status.set_class(bool(self.scan.error or self.scan.bad_rows), "-invalid")

    # --- token preview (synchronous: < 50 ms) and dataset stats (worker) ------------------------------------------
    def refresh_preview(self, force: bool = False) -> None:
        panel = self.query_one("#mask", MaskPanel)
        tokenizer = self.wizard.tokenizer
        if self.scan is None or self.scan.error or not self.scan.examples:
            if self.scan is not None and (self.scan.error or not self.scan.examples):
                panel.show_message(self.scan.error or "no rows to show")
                self._preview_key = ()  # the message replaced the preview: draw it again next time
            return
        if tokenizer is None:
            panel.show_message(self.wizard.tokenizer_error or "loading the tokenizer…")
            self._preview_key = self._stats_key = ()  # the same tokenizer (same id) may come back: redraw
            return
        key = (self.backend.preview_key(self.state), id(tokenizer), self.row, self.scan_key)
        if key == self._preview_key and not force:
            return
        self._preview_key = key
        preview = self.backend.preview(self.state, tokenizer, self.scan, self.row)
        panel.show_preview(preview, len(self.scan.examples), self.row)
        self.schedule_stats()

    def schedule_stats(self) -> None:
        tokenizer = self.wizard.tokenizer
        key = (self.backend.preview_key(self.state), id(tokenizer), self.scan_key)
        if key == self._stats_key:
            return
        self._stats_key = key
        self.query_one("#mask", MaskPanel).show_dataset_stats(None)
        if self._stats_timer is not None:
            self._stats_timer.stop()
        # the tokenizer of this preview: the screen may drop its own (model reload) before the timer fires
        self._stats_timer = self.set_timer(0.3, lambda: self.stats_worker(key, tokenizer))

    @work(thread=True, exclusive=True, group="stats", exit_on_error=False)
    def stats_worker(self, key: tuple, tokenizer: Any) -> None:
        from textual.worker import get_current_worker

        worker = get_current_worker()
        stats = self.backend.dataset_stats(
            self.state, tokenizer, self.scan, cancelled=lambda: worker.is_cancelled
        )
        if not worker.is_cancelled:
            self.post_message(StatsReady(key, stats))

    @on(StatsReady)
    def _stats_ready(self, message: StatsReady) -> None:
        if message.key == self._stats_key:
            self.query_one("#mask", MaskPanel).show_dataset_stats(message.stats)

    @on(MaskPanel.RowRequested)
    def _row(self, message: MaskPanel.RowRequested) -> None:
        self.row = message.index
        self.refresh_preview()

    # --- the quality view (its own screen: tui/wizard/quality) ----------------------------------------------
    @on(Button.Pressed, "#open-quality")
    def _quality_pressed(self) -> None:
        self.action_quality()

    def action_quality(self) -> None:
        from ftui.tui.wizard.quality import QualityScreen

        if not self.state.dataset.get("path"):
            self.notify("choose a data file first", severity="warning")
            return

        def curated(path: Path | None) -> None:
            if path is not None:  # the config now trains on the curated copy
                self.query_one("#data-path", Input).value = self.backend.display_path(self.state, path)

        self.app.push_screen(QualityScreen(self.state, self.wizard.tokenizer), curated)
