"""The memory panel: a stacked bar and table of the estimate's components, the total, a verdict per GPU,
and the top suggestions. It only draws what it is given (`EstimateView`); the screen recomputes that
synchronously on every change, so the panel is current within the same frame.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ftui.core.units import format_count
from ftui.core.units import gib as gb
from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.widgets import Static

# One colour per component, in the order the estimator lists them; readable on dark and light backgrounds.
PALETTE = ("#4EA1D3", "#8E7CC3", "#E9A23B", "#5CB85C", "#D9534F", "#3FB8AF", "#C27BA0", "#999999")
VERDICT_STYLE = {"fits": "bold green", "tight": "bold yellow", "no": "bold red"}
VERDICT_TEXT = {"fits": "fits", "tight": "tight (>90%)", "no": "does not fit"}


@dataclass
class Verdict:
    gpu: str  # "NVIDIA A100 80GB" or a preset name, with the count when > 1
    verdict: str  # fits / tight / no
    capacity_bytes: int


@dataclass
class EstimateView:
    """What the panel shows. `note` replaces the body while facts load or when no estimate is possible."""

    components: list[tuple[str, int]] = field(default_factory=list)
    total_bytes: int = 0
    verdicts: list[Verdict] = field(default_factory=list)
    suggestions: list[str] = field(default_factory=list)
    tips: list[str] = field(default_factory=list)  # from core: same training, less memory
    params: int | None = None
    trainable_params: int | None = None
    note: str = ""


def stacked_bar(components: list[tuple[str, int]], width: int) -> Text:
    """A bar of `width` cells split between components by size (each non-zero part gets at least a cell)."""
    total = sum(max(0, b) for _, b in components) or 1
    bar = Text()
    used = 0
    parts = [(i, b) for i, (_, b) in enumerate(components) if b > 0]
    for n, (index, size) in enumerate(parts):
        cells = width - used if n == len(parts) - 1 else max(1, round(width * size / total))
        cells = max(0, min(cells, width - used))
        bar.append("█" * cells, style=PALETTE[index % len(PALETTE)])
        used += cells
    return bar


class MemoryPanel(Static):
    """Shows an `EstimateView`; call `show(view)`."""

    DEFAULT_CSS = """
    MemoryPanel { border: round $primary; border-title-color: $primary; padding: 0 1; height: auto; }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.border_title = "Memory estimate"
        self.view = EstimateView(note="loading…")

    def show(self, view: EstimateView) -> None:
        self.view = view
        self.update(self.render_view(view, max(20, self.content_size.width or 40)))

    def on_resize(self) -> None:
        self.update(self.render_view(self.view, max(20, self.content_size.width or 40)))

    @staticmethod
    def render_view(view: EstimateView, width: int) -> Group | Text:
        if view.note and not view.components:
            return Text(view.note, style="italic")
        title = Text.assemble(("peak ", "dim"), (gb(view.total_bytes), "bold"))
        if view.params:
            title.append(f"   params {format_count(view.params)}", style="dim")
        if view.trainable_params is not None:
            title.append(f"   trainable {format_count(view.trainable_params)}", style="dim")
        table = Table.grid(padding=(0, 1), expand=True)
        table.add_column(ratio=1, no_wrap=True, overflow="ellipsis")
        table.add_column(justify="right")
        table.add_column(justify="right")
        total = view.total_bytes or 1
        for index, (name, size) in enumerate(view.components):
            swatch = Text("■ ", style=PALETTE[index % len(PALETTE)])
            table.add_row(swatch + Text(name), gb(size), f"{100 * size / total:.0f}%")
        parts: list = [title, stacked_bar(view.components, width), table]
        for verdict in view.verdicts:
            parts.append(
                Text.assemble(
                    (f"{verdict.gpu} ({gb(verdict.capacity_bytes)}): ", ""),
                    (
                        VERDICT_TEXT.get(verdict.verdict, verdict.verdict),
                        VERDICT_STYLE.get(verdict.verdict, ""),
                    ),
                )
            )
        for suggestion in view.suggestions[:3]:
            parts.append(Text(f"→ {suggestion}", style="italic"))
        for tip in view.tips:
            parts.append(Text(f"tip: {tip}", style="italic"))
        if view.note:
            parts.append(Text(view.note, style="dim italic"))
        return Group(*parts)
