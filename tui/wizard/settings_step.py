"""Settings step: every training setting as a validated field (reason shown inline), target modules from the
model's real linear layers, the effective batch, the memory panel, and a help line for the focused field."""

from __future__ import annotations

from typing import Any

from ftui.tui.widgets.memory_panel import EstimateView, MemoryPanel
from ftui.tui.wizard.settings_fields import (
    FIELD_BY_KEY,
    FIELDS,
    FieldSpec,
    format_value,
    get_pseudo,
    parse_value,
    set_pseudo,
)
from ftui.tui.wizard.step import StepPane, is_stale
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.events import DescendantFocus
from textual.widgets import Checkbox, Input, Label, Select, SelectionList, Static

TARGETS_HELP = (
    "which linear layers get LoRA adapters: all linear layers (Axolotl lora_target_linear) or a chosen set"
)


class SettingsStep(StepPane):
    step = "settings"

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.errors: dict[str, str] = {}
        self._loading = False
        self._module_names: list[str] = []

    def compose_step(self) -> ComposeResult:
        with Horizontal():
            with VerticalScroll(id="settings-form"):
                section = ""
                for spec in FIELDS:
                    if spec.section != section:
                        section = spec.section
                        yield Static(section, classes="section")
                    with Horizontal(classes="field-row", id=f"row-{spec.key}"):
                        yield Label(spec.label, classes="field-label")
                        yield self._control(spec)
                        yield Static("", id=f"err-{spec.key}", classes="field-error")
                    if spec.key == "lora_dropout":
                        yield from self._targets()
                    if spec.key == "gradient_accumulation_steps":
                        yield Static("", id="effective-batch", classes="field-note")
            with Vertical(id="settings-right", classes="side"):
                yield MemoryPanel(id="settings-memory")
                yield Static("", id="field-help")

    def _control(self, spec: FieldSpec):
        if spec.kind == "select":
            return Select(spec.options(self.backend), allow_blank=False, id=f"f-{spec.key}", compact=True)
        if spec.kind == "bool":
            return Checkbox("", id=f"f-{spec.key}", compact=True)
        kind = {"int": "integer", "float": "text", "text": "text"}[spec.kind]
        return Input(
            id=f"f-{spec.key}", type=kind, compact=True, placeholder="(not set)" if spec.optional else ""
        )

    def _targets(self) -> ComposeResult:
        with Horizontal(classes="field-row", id="row-targets"):
            yield Label("Target modules", classes="field-label")
            yield Checkbox("all linear layers", id="all-linear", compact=True)
        yield SelectionList[str](id="target-modules", compact=True)

    # --- state <-> widgets ----------------------------------------------------------------------------------------
    def load_state(self) -> None:
        self._loading = True
        try:
            values = self.state.values
            for spec in FIELDS:
                widget = self.query_one(f"#f-{spec.key}")
                value = get_pseudo(values, spec.key, self.backend)
                if value is None and not spec.optional:
                    value = self.backend.schema_default(spec.key)
                if isinstance(widget, Select):
                    options = spec.options(self.backend)
                    widget.value = value if value in {v for _, v in options} else options[0][1]
                elif isinstance(widget, Checkbox):
                    widget.value = bool(value)
                elif isinstance(widget, Input):
                    widget.value = format_value(value)
            self.query_one("#all-linear", Checkbox).value = bool(values.get("lora_target_linear"))
            self._fill_modules()
        finally:
            self._loading = False
        self.errors.clear()
        for key in FIELD_BY_KEY:
            self._show_error(key)
        self._adapter_visibility()
        self._show_effective_batch()

    def _fill_modules(self) -> None:
        names = self.backend.linear_module_names(self.wizard.facts)
        chosen = list(self.state.get("lora_target_modules") or [])
        names = names + [n for n in chosen if n not in names]
        selection = self.query_one("#target-modules", SelectionList)
        if names != self._module_names:
            self._module_names = names
            selection.clear_options()
            selection.add_options([(name, name, name in chosen) for name in names])
        selection.disabled = bool(self.state.get("lora_target_linear")) or self.state.get("adapter") is None

    def derived_changed(self) -> None:
        self.query_one("#settings-memory", MemoryPanel).show(self.wizard.estimate or EstimateView())
        was_loading, self._loading = self._loading, True
        try:
            self._fill_modules()
        finally:
            self._loading = was_loading
        self._show_effective_batch()

    def problems(self) -> list[str]:
        found = [f"{FIELD_BY_KEY[k].label}: {reason}" for k, reason in self.errors.items()]
        if (
            self.state.get("adapter")
            and not self.state.get("lora_target_linear")
            and not self.state.get("lora_target_modules")
        ):
            found.append("choose target modules or 'all linear layers'")
        return found + self.backend.config_problems(self.state, "settings")

    def _shown_value(self, key: str) -> Any:
        """What the control shows for `key` when the user has not touched it: the config's value, else the
        schema default (an echo of it must not write the default into the file)."""
        value = get_pseudo(self.state.values, key, self.backend)
        if value is None and not FIELD_BY_KEY[key].optional:
            value = self.backend.schema_default(key)
        return value

    # --- edits ----------------------------------------------------------------------------------------------------
    def _apply(self, key: str, value: Any) -> None:
        if key == "lora_r" and isinstance(value, int):
            old_r = self.state.get("lora_r")
            alpha = self.state.get("lora_alpha")
            if alpha is None or (isinstance(old_r, int) and alpha == 2 * old_r):
                self.state.set("lora_alpha", 2 * value)
                self._loading = True
                try:
                    self.query_one("#f-lora_alpha", Input).value = str(2 * value)
                finally:
                    self._loading = False
        set_pseudo(self.state.values, key, value)
        if key in ("adapter_kind", "quantization", "rl_method"):
            self.load_state()  # adapter and quantization change each other and what applies
        self.changed(key)

    def _show_error(self, key: str) -> None:
        reason = self.errors.get(key, "")
        self.query_one(f"#err-{key}", Static).update(f"✗ {reason}" if reason else "")
        self.query_one(f"#row-{key}").set_class(bool(reason), "-invalid")

    def _adapter_visibility(self) -> None:
        method, method_keys = self.backend.preference_method(self.state.values)
        for key, methods in method_keys.items():
            if key in FIELD_BY_KEY:
                self.query_one(f"#row-{key}").display = method in methods  # only the method's own
        lora = self.state.get("adapter") is not None
        for key in ("lora_r", "lora_alpha", "lora_dropout"):
            self.query_one(f"#row-{key}").disabled = not lora
        self.query_one("#row-targets").disabled = not lora

    def _show_effective_batch(self) -> None:
        state = self.state
        gpus = f" x {state.gpu_count} GPUs" if state.gpu_count > 1 else ""
        self.query_one("#effective-batch", Static).update(
            f"effective batch = {state.get('micro_batch_size', 1)} x {state.get('gradient_accumulation_steps', 1)}"
            f"{gpus} = {state.effective_batch} sequences per optimizer step"
        )

    @on(Input.Changed)
    def _input(self, event: Input.Changed) -> None:
        if self._loading or not (event.input.id or "").startswith("f-") or is_stale(event):
            return
        event.stop()
        key = event.input.id.removeprefix("f-")
        value, reason = parse_value(FIELD_BY_KEY[key], event.value)
        if reason:
            self.errors[key] = reason
        else:
            self.errors.pop(key, None)
        self._show_error(key)
        if reason is not None:
            self.changed(key)
        elif value != self._shown_value(key):
            self._apply(key, value)
        else:
            self.changed(key)  # the default shown for an unset key: nothing to write
        self._show_effective_batch()

    @on(Select.Changed)
    def _select(self, event: Select.Changed) -> None:
        if self._loading or not (event.select.id or "").startswith("f-") or event.value is Select.NULL:
            return
        if is_stale(event):
            event.stop()
            return
        event.stop()
        key = event.select.id.removeprefix("f-")
        if self._shown_value(key) != event.value:
            self._apply(key, event.value)

    @on(Checkbox.Changed)
    def _checkbox(self, event: Checkbox.Changed) -> None:
        if self._loading or is_stale(event):
            return
        event.stop()
        box_id = event.checkbox.id or ""
        if box_id == "all-linear":
            self.state.set("lora_target_linear", True if event.value else None)
            if event.value:
                self.state.set("lora_target_modules", None)
            else:
                self.state.set(
                    "lora_target_modules",
                    list(self.query_one("#target-modules", SelectionList).selected) or None,
                )
            self._fill_modules()
            self.changed("lora_target_linear")
        elif box_id.startswith("f-") and bool(self._shown_value(box_id.removeprefix("f-"))) != event.value:
            self._apply(box_id.removeprefix("f-"), event.value)

    @on(SelectionList.SelectedChanged, "#target-modules")
    def _targets_changed(self, event: SelectionList.SelectedChanged) -> None:
        if self._loading or self.state.get("lora_target_linear"):
            return
        self.state.set("lora_target_modules", list(event.selection_list.selected) or None)
        self.changed("lora_target_modules")

    @on(DescendantFocus)
    def _focus(self, event: DescendantFocus) -> None:
        widget_id = event.widget.id or ""
        if widget_id in ("all-linear", "target-modules"):
            text = TARGETS_HELP
        elif widget_id.startswith("f-") and widget_id.removeprefix("f-") in FIELD_BY_KEY:
            spec = FIELD_BY_KEY[widget_id.removeprefix("f-")]
            text = f"{spec.label}: {spec.help}"
        else:
            return
        self.query_one("#field-help", Static).update(text)
