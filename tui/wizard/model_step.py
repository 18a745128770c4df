"""Model step: pick from the catalog or type a folder / .gguf / hub id; see memory and hardware."""

from __future__ import annotations

from ftui.tui.widgets.hardware_panel import HardwarePanel
from ftui.tui.widgets.memory_panel import EstimateView, MemoryPanel
from ftui.tui.wizard.model_info import CatalogRow
from ftui.tui.wizard.step import StepPane, is_stale
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import DataTable, Input, Label, Select, Static

DETECTED = "detected"
GPU_COUNT_HELP = (
    "GPUs to train on: more than 1 is saved as num_processes (ftui train runs accelerate launch with one "
    "process per GPU) and multiplies the effective batch"
)


class CatalogLoaded(Message):
    def __init__(self, rows: list[CatalogRow], error: str | None = None) -> None:
        super().__init__()
        self.rows, self.error = rows, error


class ModelStep(StepPane):
    step = "model"

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.rows: list[CatalogRow] = []

    def compose_step(self) -> ComposeResult:
        with Horizontal():
            with Vertical(id="model-left"):
                yield Input(placeholder="filter the catalog: name, family, size…", id="model-search")
                table = DataTable(id="catalog", cursor_type="row", zebra_stripes=True)
                table.loading = True
                yield table
                yield Label("Model: catalog id, local folder, .gguf file or hub id (owner/name)")
                yield Input(id="base-model", placeholder="HuggingFaceTB/SmolLM2-135M-Instruct")
                yield Static(id="model-status", classes="field-status")
            with Vertical(id="model-right", classes="side"):
                with Horizontal(id="gpu-choice"):
                    presets = [("this machine's GPUs", DETECTED)] + [
                        (n, n) for n in self.backend.gpu_preset_names()
                    ]
                    yield Select(presets, allow_blank=False, id="gpu-preset")
                    yield Input("1", type="integer", id="gpu-count", tooltip=GPU_COUNT_HELP)
                yield MemoryPanel(id="model-memory")
                yield HardwarePanel(id="hardware")

    def on_built(self) -> None:
        # after the first paint: the catalog thread would otherwise compete with it for the CPU
        self.call_after_refresh(self.set_timer, 0.3, self.load_catalog)

    @work(thread=True, exclusive=True, group="catalog", exit_on_error=False)
    def load_catalog(self) -> None:
        try:
            self.post_message(CatalogLoaded(self.backend.catalog_rows()))
        except Exception as err:  # noqa: BLE001 - shown, never a traceback
            self.post_message(CatalogLoaded([], self.backend.describe_error(err)))

    @on(CatalogLoaded)
    def _catalog_loaded(self, message: CatalogLoaded) -> None:
        self.rows = message.rows
        table = self.query_one("#catalog", DataTable)
        table.loading = False
        if not table.columns:
            table.add_columns("Model", "Size", "Family", "Type", "Ctx")
        if message.error:
            self.notify(message.error, title="Model catalog", severity="error")
        self._fill_table(self.query_one("#model-search", Input).value)

    def _fill_table(self, query: str) -> None:
        table = self.query_one("#catalog", DataTable)
        table.clear()
        words = query.lower().split()
        current = self.state.base_model.lower()
        for row in self.rows:
            if all(word in row.search_text for word in words):
                table.add_row(
                    row.name.split("/")[-1], row.size, row.family, row.kind, row.context, key=row.name
                )
        for index, row in enumerate(table.rows):
            if str(row.value).lower() == current:
                # once laid out, so the scroll that shows the cursor row is the same on every run
                self.call_after_refresh(table.move_cursor, row=index, animate=False, scroll=True)

    # --- state <-> widgets ------------------------------------------------------------------------------------
    def load_state(self) -> None:
        self.query_one("#base-model", Input).value = self.state.base_model
        preset = self.state.gpu_preset or DETECTED
        self.query_one("#gpu-preset", Select).value = preset
        self.query_one("#gpu-count", Input).value = str(self.state.gpu_count)
        self._show_status()

    def problems(self) -> list[str]:
        problem = self.backend.model_problem(self.state.base_model)
        return [f"model: {problem}"] if problem else []

    def derived_changed(self) -> None:
        self.query_one("#model-memory", MemoryPanel).show(self.wizard.estimate or EstimateView())
        self.query_one("#hardware", HardwarePanel).show(self.backend.hardware_view(self.wizard.hardware))
        self._show_status()

    def _show_status(self) -> None:
        status = self.query_one("#model-status", Static)
        problem = self.backend.model_problem(self.state.base_model)
        wizard = self.wizard
        if problem:
            text, bad = f"✗ {problem}", True
        elif wizard.facts_error:
            text, bad = f"⚠ {wizard.facts_error}", True
        elif wizard.facts is None:
            text, bad = "loading model facts…", False
        else:
            text, bad = "✓ " + self.backend.facts_summary(wizard.facts), False
        status.update(text)
        status.set_class(bad, "-invalid")

    # --- events -----------------------------------------------------------------------------------------------
    @on(Input.Changed, "#model-search")
    def _search(self, event: Input.Changed) -> None:
        self._fill_table(event.value)

    @on(DataTable.RowSelected, "#catalog")
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        name = str(event.row_key.value)
        self.query_one("#base-model", Input).value = name
        self._set_model(name)

    @on(Input.Submitted, "#base-model")
    @on(Input.Changed, "#base-model")
    def _model_typed(self, event: Input.Changed | Input.Submitted) -> None:
        self._set_model(event.value.strip())

    def _set_model(self, name: str) -> None:
        if name == self.state.base_model:
            return
        self.state.set("base_model", name)
        self.changed("base_model")

    @on(Select.Changed, "#gpu-preset")
    def _preset(self, event: Select.Changed) -> None:
        if is_stale(event):
            return
        value = None if event.value in (DETECTED, Select.NULL) else str(event.value)
        if value != self.state.gpu_preset:
            self.state.gpu_preset = value
            self.changed("gpu_preset")

    @on(Input.Changed, "#gpu-count")
    def _gpu_count(self, event: Input.Changed) -> None:
        if is_stale(event):
            return
        try:
            count = max(1, min(64, int(event.value)))
        except ValueError:
            return
        if count != self.state.gpu_count:
            self.state.gpu_count = count
            self.changed("gpu_count")
