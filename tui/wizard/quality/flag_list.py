"""The list of flagged rows, drawn with the Line API: only the visible lines are rendered, so 100,000 flagged
rows scroll as fast as ten. Each line: the decision (✗ dropped, ✓ kept), where the row is, its kinds and the
first reason."""

from __future__ import annotations

from collections.abc import Callable

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

Describe = Callable[[int], tuple[bool, str, str]]  # row -> (dropped, place, detail)


class FlagList(ScrollView, can_focus=True):
    """Rows (audit row ids) with a cursor; `describe(row)` gives what each line says."""

    DEFAULT_CSS = """
    FlagList { height: 1fr; background: $surface; }
    FlagList:focus { background-tint: $foreground 3%; }
    """
    BINDINGS = [
        Binding("up", "move(-1)", "Up", show=False),
        Binding("down", "move(1)", "Down", show=False),
        Binding("pageup", "move(-20)", "Page up", show=False),
        Binding("pagedown", "move(20)", "Page down", show=False),
        Binding("home", "jump(0)", "First", show=False),
        Binding("end", "jump(-1)", "Last", show=False),
    ]
    cursor = reactive(0, always_update=True)

    class Highlighted(Message):
        def __init__(self, row: int | None) -> None:
            super().__init__()
            self.row = row

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.rows: list[int] = []
        self.describe: Describe = lambda row: (False, str(row), "")
        self.rendered_lines = 0  # how many lines were drawn (tests check that only visible ones are)

    def set_rows(self, rows: list[int], describe: Describe) -> None:
        self.rows = rows
        self.describe = describe
        self.virtual_size = Size(self.size.width, len(rows))
        self.cursor = min(self.cursor, max(0, len(rows) - 1))
        self.refresh()

    @property
    def current(self) -> int | None:
        return self.rows[self.cursor] if 0 <= self.cursor < len(self.rows) else None

    def watch_cursor(self, value: int) -> None:
        if value < self.scroll_offset.y:
            self.scroll_to(y=value, animate=False)
        elif value >= self.scroll_offset.y + self.size.height:
            self.scroll_to(y=value - self.size.height + 1, animate=False)
        self.refresh()
        self.post_message(self.Highlighted(self.current))

    def action_move(self, delta: int) -> None:
        if self.rows:
            self.cursor = max(0, min(len(self.rows) - 1, self.cursor + delta))

    def action_jump(self, where: int) -> None:
        if self.rows:
            self.cursor = where if where >= 0 else len(self.rows) - 1

    def on_click(self, event) -> None:
        index = self.scroll_offset.y + event.y
        if 0 <= index < len(self.rows):
            self.cursor = index

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        index = self.scroll_offset.y + y
        if index >= len(self.rows):
            return Strip.blank(width, self.rich_style)
        self.rendered_lines += 1
        row = self.rows[index]
        dropped, place, detail = self.describe(row)
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append("✗ " if dropped else "✓ ", style="bold red" if dropped else "bold green")
        text.append(place, style="bold")
        text.append("  " + detail, style="dim" if not dropped else "")
        text.truncate(width, overflow="ellipsis", pad=True)
        style = self.rich_style
        if index == self.cursor:
            style = style + Style(reverse=True) if self.has_focus else style + Style(bgcolor="grey23")
        segments = [
            Segment(s.text, style + s.style if s.style else style)
            for s in text.render(self.app.console)
            if s.text != "\n"
        ]
        return Strip(segments).crop_extend(0, width, style).simplify()
