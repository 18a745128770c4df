"""The quality screen's pieces that are not widgets: its worker messages and the texts it draws."""

from __future__ import annotations

from typing import Any

from ftui.tui.wizard.quality import adapter
from rich.text import Text
from textual.message import Message

BAR = "█"


class AuditProgress(Message):
    def __init__(self, rows: int, fraction: float | None) -> None:
        super().__init__()
        self.rows, self.fraction = rows, fraction


class AuditFinished(Message):
    def __init__(self, result: adapter.AuditResult | None, error: str | None = None) -> None:
        super().__init__()
        self.result, self.error = result, error


def histogram_text(title: str, data: dict[str, Any], width: int = 22) -> Text:
    counts, edges = data["counts"], data["edges"]
    last = max((i for i, c in enumerate(counts) if c), default=0)
    top = max(counts) or 1
    text = Text(f"{title}  p50 {data['p50']}  p90 {data['p90']}  max {data['max']}\n", style="bold")
    for i in range(last + 1):
        bar = BAR * max(1 if counts[i] else 0, round(width * counts[i] / top))
        text.append(f" ≥{edges[i]:<6}", style="dim")
        text.append(f"{bar:<{width}}", style="cyan")
        text.append(f" {counts[i]:,}\n")
    return text


def highlighted(text: str, ranges: list[tuple[int, int]], style: str) -> Text:
    out = Text(text)
    for start, end in ranges:
        out.stylize(style, start, end)
    return out
