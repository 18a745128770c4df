"""Review a run's eval samples: every generation the trainer logged (newest eval first), marked good or bad
with a critique into RUN_DIR/critiques.jsonl (the expert's spreadsheet; `ftui data critiques` exports it)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ftui.tui.widgets.critique_dialog import CritiqueDialog
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer, OptionList, Static
from textual.widgets.option_list import Option

MARKS = {"good": ("✓ ", "bold green"), "bad": ("✗ ", "bold red")}


def eval_samples(run_dir: Path) -> list[dict[str, Any]]:
    """Each logged sample with its eval step, newest eval first."""
    from ftui.core.events import read_events

    samples = []
    for event in reversed([e for e in read_events(run_dir) if e.get("type") == "eval"]):
        step = event.get("step") if isinstance(event.get("step"), int) else None
        for sample in event.get("samples") or []:
            if isinstance(sample, dict) and isinstance(sample.get("generated"), str):
                samples.append({**sample, "step": step, "prompt": str(sample.get("prompt") or "")})
    return samples


def _one_line(value: Any, width: int) -> str:
    text = " ".join(str(value or "").split())
    return text if len(text) <= width else text[: width - 1] + "…"


class SamplesScreen(Screen):
    """Enter opens the critique of the highlighted sample; g and b open it with the verdict chosen."""

    DEFAULT_CSS = """
    SamplesScreen #samples-status { height: 1; padding: 0 1; background: $panel; text-style: bold; }
    SamplesScreen OptionList { height: 1fr; }
    """
    BINDINGS = [
        Binding("g", "mark('good')", "Good"),
        Binding("b", "mark('bad')", "Bad"),
        Binding("enter", "mark('')", "Critique"),  # the list's own Enter (OptionSelected) does the same
        Binding("escape", "back", "Back"),
    ]

    def __init__(self, run_dir: str | Path) -> None:
        super().__init__()
        self.run_dir = Path(run_dir)
        self.samples = eval_samples(self.run_dir)
        self.critiques: dict[str, Any] = {}

    def compose(self) -> ComposeResult:
        yield Static("", id="samples-status")
        yield OptionList(id="samples")
        yield Footer()

    def on_mount(self) -> None:
        self._reload()
        self.query_one(OptionList).focus()

    def _reload(self) -> None:
        from ftui.core.errors import UserError
        from ftui.core.quality.critiques import read_critiques

        try:
            self.critiques = {c.id: c for c in read_critiques(self.run_dir)}
        except UserError as err:
            self.notify(err.message, severity="error")
        options = self.query_one(OptionList)
        highlighted = options.highlighted
        options.clear_options()
        for i, sample in enumerate(self.samples):
            critique = self.critiques.get(self._sample_id(sample))
            mark, style = MARKS.get(critique.verdict if critique else "", ("· ", "dim"))
            line = Text(mark, style=style)
            line.append(f"[{sample['step']}] " if sample["step"] is not None else "", style="dim")
            line.append(_one_line(sample["prompt"], 50), style="bold")
            line.append("  → " + _one_line(sample["generated"], 60))
            if critique and critique.critique:
                line.append("  " + _one_line(critique.critique, 40), style="italic dim")
            options.add_option(Option(line, id=str(i)))
        if self.samples:
            options.highlighted = (
                highlighted if highlighted is not None and highlighted < len(self.samples) else 0
            )
        marked = sum(1 for s in self.samples if self._sample_id(s) in self.critiques)
        status = f"eval samples · {self.run_dir.name} · {len(self.samples)} generations, {marked} reviewed"
        if not self.samples:
            status += " · none logged yet (set eval_table_size and val_set_size)"
        self.query_one("#samples-status", Static).update(status)

    @staticmethod
    def _sample_id(sample: dict[str, Any]) -> str:
        from ftui.core.quality.critiques import critique_id

        return critique_id(sample["prompt"], sample["generated"], sample["step"])

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.action_mark("")

    def action_mark(self, verdict: str) -> None:
        index = self.query_one(OptionList).highlighted
        if index is None or index >= len(self.samples):
            return
        sample = self.samples[index]
        old = self.critiques.get(self._sample_id(sample))
        dialog = CritiqueDialog(
            sample["prompt"],
            sample["generated"],
            expected=sample.get("expected"),
            step=sample["step"],
            source="eval",
            verdict=verdict or (old.verdict if old else None),
            critique=old.critique if old else "",
        )
        self.app.push_screen(dialog, self._save)

    def _save(self, critique: Any) -> None:
        if save_critique(self, self.run_dir, critique):
            self._reload()

    def action_back(self) -> None:
        if len(self.app.screen_stack) > 1:
            self.app.pop_screen()


def save_critique(screen: Screen, run_dir: Path, critique: Any) -> bool:
    """Append a critique from the dialog (None: cancelled) to RUN_DIR/critiques.jsonl and say where; chat and
    the samples review both save this way."""
    from ftui.core.errors import UserError
    from ftui.core.quality.critiques import add_critique

    if critique is None:
        return False
    try:
        path = add_critique(run_dir, critique)
    except UserError as err:
        screen.notify(err.message, severity="error")
        return False
    screen.notify(f"{critique.verdict}: saved to {path}", title="Critique")
    return True
