"""Modal questions: confirm a destructive action, and what to do with running trainers or merges on quit."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static


class Dialog(ModalScreen):
    """Shared look of ftui's modal questions (the type selector also matches every subclass)."""

    DEFAULT_CSS = """
    Dialog { align: center middle; }
    Dialog > Vertical { width: 72; height: auto; padding: 1 2; border: thick $warning; background: $surface; }
    Dialog Horizontal { height: auto; margin-top: 1; }
    Dialog Button { margin-right: 2; }
    """


class ConfirmDialog(Dialog):
    """Yes/no for actions that cannot be undone (kill)."""

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


class ChoiceDialog(Dialog):
    """A question about running processes; dismisses with the id of the chosen button (keys in BINDINGS)."""

    QUESTION = ""  # with {names}: the runs concerned
    CHOICES: tuple[tuple[str, str, str], ...] = ()  # (id, label, button variant)

    def __init__(self, run_names: list[str]) -> None:
        super().__init__()
        self.run_names = run_names

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(self.QUESTION.format(names=", ".join(self.run_names)))
            with Horizontal():
                for choice_id, label, variant in self.CHOICES:
                    yield Button(label, variant=variant, id=choice_id)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(str(event.button.id))

    def action_answer(self, value: str) -> None:
        self.dismiss(value)


class QuitDialog(ChoiceDialog):
    """Quitting while trainers this app launched still run: keep them, stop them gracefully, or cancel."""

    BINDINGS = [
        Binding("k", "answer('keep')", "Keep running"),
        Binding("s", "answer('stop')", "Stop gracefully"),
        Binding("escape,c", "answer('cancel')", "Cancel"),
    ]
    QUESTION = (
        "Training is still running: {names}.\n\n"
        "Keep it running in the background (watch it later with `ftui monitor`), or stop it "
        "gracefully (it saves a checkpoint; resume later)?"
    )
    CHOICES = (
        ("keep", "Keep running (k)", "primary"),
        ("stop", "Stop gracefully (s)", "warning"),
        ("cancel", "Cancel", "default"),
    )


class MergeQuitDialog(ChoiceDialog):
    """Quitting while a merge started here still runs: keep waiting for it, or quit and cancel it."""

    BINDINGS = [
        Binding("w,escape", "answer('wait')", "Keep waiting"),
        Binding("c", "answer('cancel')", "Quit and cancel the merge"),
    ]
    QUESTION = (
        "A merge is still running: {names}.\n\n"
        "Keep waiting for it (you are told when the merged model is saved), or quit and cancel it "
        "(run `ftui merge` on the run later)?"
    )
    CHOICES = (
        ("wait", "Keep waiting (w)", "primary"),
        ("cancel", "Quit and cancel it (c)", "warning"),
    )


class StoppingDialog(Dialog):
    """Shown while waiting for trainers to checkpoint and exit; k kills them instead."""

    BINDINGS = [Binding("k", "kill", "Kill now")]

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("Stopping: waiting for the trainer to finish its step, save a checkpoint and exit…")
            yield Static("Press k to kill it now instead.", classes="dim")

    def action_kill(self) -> None:
        from ftui.tui.monitor.launches import registry_of

        for launched in registry_of(self.app).active():
            launched.kill()
