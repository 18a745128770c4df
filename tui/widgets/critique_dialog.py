"""Mark a generation good or bad and write why: the expert's spreadsheet row, made where the generation is
read (the monitor's eval samples, the chat). Dismisses with a core `Critique`, or None when cancelled; the
caller saves it (core's `add_critique`)."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static


class CritiqueDialog(ModalScreen):
    """Verdict (ctrl+g good, ctrl+b bad), a one-paragraph critique, Enter saves, Escape cancels."""

    DEFAULT_CSS = """
    CritiqueDialog { align: center middle; }
    CritiqueDialog > Vertical { width: 100; max-width: 95%; height: auto; max-height: 90%; padding: 1 2;
                                border: thick $accent; background: $surface; }
    CritiqueDialog #critique-sample { height: auto; max-height: 20; }
    CritiqueDialog #critique-verdict { height: 1; margin-top: 1; text-style: bold; }
    CritiqueDialog Horizontal { height: auto; margin-top: 1; }
    CritiqueDialog Button { margin-right: 2; }
    """
    BINDINGS = [
        Binding("ctrl+g", "verdict('good')", "Good", priority=True),
        Binding("ctrl+b", "verdict('bad')", "Bad", priority=True),
        Binding("escape", "cancel", "Cancel"),
    ]

    def __init__(
        self,
        prompt: str,
        generation: str,
        *,
        expected: str | None = None,
        step: int | None = None,
        source: str = "eval",
        verdict: str | None = None,
        critique: str = "",
    ) -> None:
        super().__init__()
        self.prompt, self.generation, self.expected = prompt, generation, expected
        self.step, self.source = step, source
        self.verdict = verdict
        self.initial_critique = critique

    def compose(self) -> ComposeResult:
        with Vertical():
            with VerticalScroll(id="critique-sample"):
                text = Text("prompt\n", style="bold")
                text.append(self.prompt.strip() + "\n\n")
                text.append("generation\n", style="bold")
                text.append(self.generation.strip() or "(empty)")
                if self.expected:
                    text.append("\n\nexpected\n", style="bold dim")
                    text.append(self.expected.strip(), style="dim")
                yield Static(text)
            yield Static("", id="critique-verdict")
            yield Input(
                self.initial_critique,
                placeholder="What is right or wrong, and why (Enter saves)",
                id="critique-text",
            )
            with Horizontal():
                yield Button("Good (ctrl+g)", id="good", variant="success")
                yield Button("Bad (ctrl+b)", id="bad", variant="error")
                yield Button("Save (Enter)", id="save", variant="primary")
                yield Button("Cancel (Esc)", id="cancel")

    def on_mount(self) -> None:
        self._show_verdict()
        self.query_one("#critique-text", Input).focus()

    def _show_verdict(self) -> None:
        shown = {
            "good": Text("verdict: ✓ good", style="bold green"),
            "bad": Text("verdict: ✗ bad", style="bold red"),
        }.get(self.verdict or "", Text("verdict: choose good (ctrl+g) or bad (ctrl+b)", style="yellow"))
        self.query_one("#critique-verdict", Static).update(shown)

    def action_verdict(self, verdict: str) -> None:
        self.verdict = verdict
        self._show_verdict()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        if event.button.id in ("good", "bad"):
            self.action_verdict(str(event.button.id))
        elif event.button.id == "save":
            self._save()
        else:
            self.action_cancel()

    @on(Input.Submitted, "#critique-text")
    def _submitted(self) -> None:
        self._save()

    def _save(self) -> None:
        from ftui.core.quality.critiques import Critique

        if self.verdict is None:
            self.notify("choose good (ctrl+g) or bad (ctrl+b) first", severity="warning")
            return
        self.dismiss(
            Critique(
                prompt=self.prompt,
                generation=self.generation,
                verdict=self.verdict,
                critique=self.query_one("#critique-text", Input).value.strip(),
                expected=self.expected,
                step=self.step,
                source=self.source,
            )
        )

    def action_cancel(self) -> None:
        self.dismiss(None)
