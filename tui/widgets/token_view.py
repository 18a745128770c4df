"""A Line API view of one tokenized example: every token with its training mask made visible.

Trained tokens are highlighted, masked tokens dimmed, special tokens marked, and neighbouring tokens alternate
their background so boundaries show. Layout is computed once per (tokens, width, toggles) into lists of
segments; rendered `Strip`s are cached per line, so a 2,048-token example re-renders in a few milliseconds and
scrolling costs nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ftui.core.labels import IGNORE_INDEX
from rich.cells import get_character_cell_size
from rich.segment import Segment
from rich.style import Style
from textual.cache import LRUCache
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip


@dataclass(frozen=True)
class TokenRecord:
    """One token as the view needs it (adapted from core's tokenized example)."""

    text: str
    id: int
    label: int
    part: str = ""
    trained: bool = False
    special: bool = False


def records_from(tokens: Iterable[object]) -> list[TokenRecord]:
    """Adapt any sequence of token-like objects (attributes or dict keys) to `TokenRecord`s."""
    records = []
    for tok in tokens:
        get = tok.get if isinstance(tok, dict) else lambda k, d=None, t=tok: getattr(t, k, d)
        label = int(get("label", IGNORE_INDEX))
        trained = get("trained", None)
        records.append(
            TokenRecord(
                text=str(get("text", "")),
                id=int(get("id", get("token_id", -1))),
                label=label,
                part=str(get("part", "") or ""),
                trained=bool(label != IGNORE_INDEX if trained is None else trained),
                special=bool(get("special", False) or get("part", "") == "special"),
            )
        )
    return records


def visible_text(text: str) -> tuple[str, bool]:
    """The token's text as shown (control characters made visible) and whether it ends a line."""
    ends_line = text.endswith("\n")
    shown = text.replace("\r", "␍").replace("\t", "→").replace("\n", "↵")
    return (shown or "∅"), ends_line


def split_cells(text: str, room: int) -> tuple[str, str, int]:
    """Split `text` so the head fits `room` cells (wide characters count 2); returns head, rest, head cells."""
    if len(text) <= room and text.isascii():
        return text, "", len(text)
    used = 0
    for index, char in enumerate(text):
        size = get_character_cell_size(char)
        if used + size > room:
            return text[:index], text[index:], used
        used += size
    return text, "", used


# Component classes, styled in DEFAULT_CSS so both themes apply. a/b alternate between neighbouring tokens.
STYLE_NAMES = ("trained-a", "trained-b", "masked-a", "masked-b", "special", "special-trained", "annotation")


class TokenView(ScrollView, can_focus=True):
    """Renders `TokenRecord`s with the Line API. Call `set_tokens` to show an example."""

    COMPONENT_CLASSES = {f"token-view--{name}" for name in STYLE_NAMES}

    DEFAULT_CSS = """
    TokenView { height: 1fr; overflow-x: hidden; background: $surface; }
    TokenView > .token-view--trained-a { background: $success 35%; color: $text; }
    TokenView > .token-view--trained-b { background: $success 18%; color: $text; }
    TokenView > .token-view--masked-a { background: $panel; color: $text-muted; }
    TokenView > .token-view--masked-b { background: $surface; color: $text-muted; }
    TokenView > .token-view--special { background: $accent 25%; color: $text-muted; text-style: bold; }
    TokenView > .token-view--special-trained { background: $accent 55%; color: $text; text-style: bold; }
    TokenView > .token-view--annotation { color: $text-disabled; }
    """

    def __init__(self, *, name: str | None = None, id: str | None = None, classes: str | None = None):
        super().__init__(name=name, id=id, classes=classes)
        self.tokens: list[TokenRecord] = []
        self.show_ids = False
        self.show_pairs = False
        self._lines: list[list[Segment]] = []
        self._layout_width = -1
        self._strip_cache: LRUCache[int, Strip] = LRUCache(2048)

    def on_mount(self) -> None:
        self.app.theme_changed_signal.subscribe(self, lambda _theme: self._invalidate())

    # --- public API -------------------------------------------------------------------------------------
    def set_tokens(self, tokens: Sequence[TokenRecord]) -> None:
        self.tokens = list(tokens)
        self._invalidate()

    def set_annotations(self, *, show_ids: bool | None = None, show_pairs: bool | None = None) -> None:
        if show_ids is not None:
            self.show_ids = show_ids
        if show_pairs is not None:
            self.show_pairs = show_pairs
        self._invalidate()

    @property
    def line_count(self) -> int:
        self._ensure_layout()
        return len(self._lines)

    def plain_lines(self) -> list[str]:
        """The laid-out text, one string per line (for tests and copy)."""
        self._ensure_layout()
        return ["".join(seg.text for seg in line) for line in self._lines]

    # --- layout -------------------------------------------------------------------------------------------
    def _invalidate(self) -> None:
        self._layout_width = -1
        self._strip_cache.clear()
        self._rich_style_cache.clear()
        if self.is_mounted:
            self._ensure_layout()
            self.refresh()

    def _styles(self) -> dict[str, Style]:
        return {name: self.get_component_rich_style(f"token-view--{name}") for name in STYLE_NAMES}

    def _ensure_layout(self) -> None:
        width = max(self.scrollable_content_region.width, 10) if self.is_mounted else 80
        if width == self._layout_width:
            return
        self._layout_width = width
        self._strip_cache.clear()
        self._lines = self.layout_lines(width, self._styles() if self.is_mounted else {})
        self.virtual_size = Size(width, len(self._lines))

    def layout_lines(self, width: int, styles: dict[str, Style]) -> list[list[Segment]]:
        """Wrap tokens into lines of at most `width` cells; a token ending in a newline ends its line."""
        plain = Style()
        lines: list[list[Segment]] = []
        line: list[Segment] = []
        used = 0
        for index, tok in enumerate(self.tokens):
            shown, ends_line = visible_text(tok.text)
            if tok.special:
                style = styles.get("special-trained" if tok.trained else "special", plain)
            else:
                kind = "trained" if tok.trained else "masked"
                style = styles.get(f"{kind}-{'ab'[index % 2]}", plain)
            pieces = [(shown, style)]
            if self.show_pairs:
                pieces.append((f"({tok.label}, {tok.id})", styles.get("annotation", plain)))
            elif self.show_ids:
                pieces.append((f"·{tok.id}", styles.get("annotation", plain)))
            for text, piece_style in pieces:
                while text:
                    if used >= width:
                        lines.append(line)
                        line, used = [], 0
                    chunk, text, cells = split_cells(text, width - used)
                    if not chunk:  # a wide character that does not fit the rest of this line
                        lines.append(line)
                        line, used = [], 0
                        continue
                    line.append(Segment(chunk, piece_style))
                    used += cells
            if ends_line:
                lines.append(line)
                line, used = [], 0
        if line or not lines:
            lines.append(line)
        return lines

    # --- Line API -----------------------------------------------------------------------------------------
    def render_line(self, y: int) -> Strip:
        self._ensure_layout()
        scroll_x, scroll_y = self.scroll_offset
        index = scroll_y + y
        width = self.scrollable_content_region.width
        if index >= len(self._lines):
            return Strip.blank(width, self.rich_style)
        strip = self._strip_cache.get(index)
        if strip is None:
            strip = Strip(self._lines[index]).extend_cell_length(width, self.rich_style)
            self._strip_cache[index] = strip
        return strip.crop(scroll_x, scroll_x + width)

    def on_resize(self) -> None:
        self._ensure_layout()
