"""Modal questions: confirm a destructive action, and what to do with running trainers or merges on quit."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static

DIALOG_CSS = """
ConfirmDialog, QuitDialog, MergeQuitDialog { align: center middle; }
ConfirmDialog > Vertical, QuitDialog > Vertical, MergeQuitDialog > Vertical {
    width: 72; height: auto; padding: 1 2; border: thick $warning; background: $surface;
}
ConfirmDialog Horizontal, QuitDialog Horizontal, MergeQuitDialog Horizontal { height: auto; margin-top: 1; }
ConfirmDialog Button, QuitDialog Button, MergeQuitDialog Button { margin-right: 2; }
"""


class ConfirmDialog(ModalScreen[bool]):
    """Yes/no for actions that cannot be undone (kill)."""

    DEFAULT_CSS = DIALOG_CSS
    BINDINGS = [Binding("y", "answer(True)", "Yes"), Binding("n,escape", "answer(False)", "No")]

    def __init__(self, question: str, yes_label: str = "Yes") -> None:
        super().__init__()
        self.question = question
        self.yes_label = yes_label

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(self.question)
            with Horizontal():
                yield Button(self.yes_label, variant="error", id="yes")
                yield Button("Cancel", id="no")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, value: bool) -> None:
        self.dismiss(value)


class QuitDialog(ModalScreen[str]):
    """Quitting while trainers this app launched still run: keep them, stop them gracefully, or cancel."""

    DEFAULT_CSS = DIALOG_CSS
    BINDINGS = [
        Binding("k", "answer('keep')", "Keep running"),
        Binding("s", "answer('stop')", "Stop gracefully"),
        Binding("escape,c", "answer('cancel')", "Cancel"),
    ]

    def __init__(self, run_names: list[str]) -> None:
        super().__init__()
        self.run_names = run_names

    def compose(self) -> ComposeResult:
        names = ", ".join(self.run_names)
        with Vertical():
            yield Static(
                f"Training is still running: {names}.\n\n"
                "Keep it running in the background (watch it later with `ftui monitor`), or stop it "
                "gracefully (it saves a checkpoint; resume later)?"
            )
            with Horizontal():
                yield Button("Keep running (k)", variant="primary", id="keep")
                yield Button("Stop gracefully (s)", variant="warning", id="stop")
                yield Button("Cancel", id="cancel")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(str(event.button.id))

    def action_answer(self, value: str) -> None:
        self.dismiss(value)


class MergeQuitDialog(ModalScreen[str]):
    """Quitting while a merge started here still runs: keep waiting for it, or quit and cancel it."""

    DEFAULT_CSS = DIALOG_CSS
    BINDINGS = [
        Binding("w,escape", "answer('wait')", "Keep waiting"),
        Binding("c", "answer('cancel')", "Quit and cancel the merge"),
    ]

    def __init__(self, run_names: list[str]) -> None:
        super().__init__()
        self.run_names = run_names

    def compose(self) -> ComposeResult:
        names = ", ".join(self.run_names)
        with Vertical():
            yield Static(
                f"A merge is still running: {names}.\n\n"
                "Keep waiting for it (you are told when the merged model is saved), or quit and cancel it "
                "(run `ftui merge` on the run later)?"
            )
            with Horizontal():
                yield Button("Keep waiting (w)", variant="primary", id="wait")
                yield Button("Quit and cancel it (c)", variant="warning", id="cancel")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(str(event.button.id))

    def action_answer(self, value: str) -> None:
        self.dismiss(value)


class StoppingDialog(ModalScreen[None]):
    """Shown while waiting for trainers to checkpoint and exit; k kills them instead."""

    DEFAULT_CSS = DIALOG_CSS.replace("ConfirmDialog, QuitDialog", "StoppingDialog").replace(
        "ConfirmDialog > Vertical, QuitDialog > Vertical", "StoppingDialog > Vertical"
    )
    BINDINGS = [Binding("k", "kill", "Kill now")]

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("Stopping: waiting for the trainer to finish its step, save a checkpoint and exit…")
            yield Static("Press k to kill it now instead.", classes="dim")

    def action_kill(self) -> None:
        from ftui.tui.monitor.launches import registry_of

        for launched in registry_of(self.app).active():
            launched.kill()
