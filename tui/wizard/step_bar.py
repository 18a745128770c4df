"""The row of step tabs at the top of the wizard: where you are, which steps are valid, click to jump."""

from __future__ import annotations

from ftui.tui.wizard.state import STEP_TITLES, STEPS
from textual.widgets import Tab, Tabs


def step_label(index: int, step: str, valid: bool) -> str:
    mark = "✓" if valid else "✗"
    return f"{index + 1} {STEP_TITLES[step]} {mark}"


class StepBar(Tabs):
    """Tabs whose labels carry a validity mark; `TabActivated` tells the screen to switch steps."""

    DEFAULT_CSS = """
    StepBar Tab.-invalid { color: $error; }
    StepBar Tab.-valid { color: $success; }
    StepBar Tab.-active { color: $text; text-style: bold; }
    """

    def __init__(self) -> None:
        super().__init__(*(Tab(step_label(i, s, True), id=f"step-{s}") for i, s in enumerate(STEPS)))

    def set_validity(self, valid: dict[str, bool]) -> None:
        for index, step in enumerate(STEPS):
            tab = self.query_one(f"#step-{step}", Tab)
            ok = valid.get(step, True)
            tab.label = step_label(index, step, ok)
            tab.set_class(ok, "-valid")
            tab.set_class(not ok, "-invalid")
