"""The Data step's edits: each control's change written into the wizard state (the step itself, with its
layout, scans and previews, is `data_step.DataStep`, a subclass)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ftui.tui.wizard.step import StepPane, is_stale
from textual import on
from textual.widgets import Checkbox, DirectoryTree, Input, Select

AUTO = "auto"  # the Format picker's "auto-detect": no `type:` in the entry


class DataEdits(StepPane):
    """Handlers for the Data step's controls; `_loading` is set while `load_state` fills them."""

    _loading: bool = False

    def schedule_scan(self, delay: float = 0.3) -> None:
        """Re-read the data after an edit that changes which rows are read (DataStep)."""

    # --- edits -------------------------------------------------------------------------------------------------
    def _edit(self, key: str, **changes: Any) -> None:
        if self._loading:
            return
        self.state.set_dataset(**changes)
        self.changed(key)

    @on(DirectoryTree.FileSelected, "#data-tree")
    def _file_chosen(self, event: DirectoryTree.FileSelected) -> None:
        self.query_one("#data-path", Input).value = self.backend.display_path(self.state, Path(event.path))

    @on(Input.Changed, "#data-path")
    def _path_typed(self, event: Input.Changed) -> None:
        self._source_typed(event, other="#data-hub")

    @on(Input.Changed, "#data-hub")
    def _hub_typed(self, event: Input.Changed) -> None:
        self._source_typed(event, other="#data-path")

    def _source_typed(self, event: Input.Changed, *, other: str) -> None:
        """A local path or a hub id was typed: it becomes the dataset path, unless this field was just
        cleared while the `other` one still names a source."""
        if is_stale(event):
            return
        if self._loading or (not event.value and self.query_one(other, Input).value):
            return
        self._edit("datasets", path=event.value.strip())
        self.schedule_scan()

    @on(Select.Changed, "#data-type")
    def _type_chosen(self, event: Select.Changed) -> None:
        if is_stale(event):
            return
        if (
            self._loading
            or event.value == self.backend.dataset_type_value(self.state)
            or (event.value == AUTO and self.backend.dataset_type_value(self.state) is None)
        ):
            return
        self.backend.set_dataset_type(self.state, None if event.value == AUTO else str(event.value))
        self.changed("datasets")
        self.schedule_scan(delay=0)

    @on(Select.Changed, "#template")
    def _template_chosen(self, event: Select.Changed) -> None:
        if is_stale(event):
            return
        if self._loading or event.value is Select.NULL:
            return
        if event.value != self.backend.template_value(self.state, self.wizard.facts):
            self.backend.set_template(self.state, str(event.value))
            self.changed("chat_template")

    @on(Checkbox.Changed, "#train-on-inputs")
    def _train_on_inputs(self, event: Checkbox.Changed) -> None:
        if is_stale(event):
            return
        if not self._loading and event.value != bool(self.state.get("train_on_inputs")):
            self.state.set("train_on_inputs", event.value)
            self.changed("train_on_inputs")

    @on(Input.Changed, "#roles")
    def _roles(self, event: Input.Changed) -> None:
        if is_stale(event):
            return
        roles = [r.strip() for r in event.value.replace(",", " ").split() if r.strip()]
        if (roles or None) == (self.state.dataset.get("roles_to_train") or None):
            return  # what is shown already (an empty list in the file stays as it is)
        self._edit("datasets", roles_to_train=roles or None)

    @on(Input.Changed, "#data-seq-len")
    def _seq_len(self, event: Input.Changed) -> None:
        if is_stale(event):
            return
        if self._loading:
            return
        try:
            value: Any = int(event.value)
        except ValueError:
            value = event.value
        if value == self.state.get("sequence_len", self.backend.schema_default("sequence_len")):
            return  # the value shown already (an echo of load_state): nothing to write
        self.state.set("sequence_len", value)
        self.changed("sequence_len")
