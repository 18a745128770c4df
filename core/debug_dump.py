"""Render tokenized examples for a terminal: Axolotl's `--debug` token dump, a text view and JSON.

The token dump prints every token's decoded text followed by `(label, id)`; masked tokens (label -100) are
red, trained ones green, then `Total input len: N` and `Count of labels: M` (labels != -100). Colors are
ANSI escapes and only used when asked (the CLI asks when stdout is a terminal); without them the text view
marks trained text with [[ ]] so the mask is still visible in a log file.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ftui.core.labels import IGNORE_INDEX
from ftui.core.templates.types import TokenInfo

RED, GREEN, WHITE, BOLD, RESET = "\x1b[31m", "\x1b[32m", "\x1b[37m", "\x1b[1m", "\x1b[0m"
TRAINED_OPEN, TRAINED_CLOSE = "[[", "]]"


@dataclass
class ExampleView:
    """One tokenized example ready to display; `origin` says where its row came from (file:line)."""

    index: int
    origin: str
    tokens: list[Any] = field(default_factory=list)  # TokenInfo, or anything with the same attributes

    @property
    def total_len(self) -> int:
        return len(self.tokens)

    @property
    def label_count(self) -> int:
        return sum(1 for token in self.tokens if token.label != IGNORE_INDEX)

    def to_dict(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "origin": self.origin,
            "num_tokens": self.total_len,
            "num_trained": self.label_count,
            "tokens": [
                {"text": t.text, "id": t.id, "label": t.label, "part": t.part, "trained": t.trained}
                for t in self.tokens
            ],
        }


def example_view(
    index: int,
    origin: str,
    input_ids: Sequence[int],
    labels: Sequence[int],
    texts: Sequence[str],
    parts: Sequence[str] | None = None,
) -> ExampleView:
    """Build a view from parallel per-token lists (`parts` defaults to "unknown")."""
    if not (len(input_ids) == len(labels) == len(texts)):
        raise ValueError("input_ids, labels and texts must have the same length")
    parts = parts if parts is not None else ["unknown"] * len(input_ids)
    tokens = [
        TokenInfo(text=text, id=int(token_id), label=int(label), part=part, trained=label != IGNORE_INDEX)
        for token_id, label, text, part in zip(input_ids, labels, texts, parts, strict=True)
    ]
    return ExampleView(index=index, origin=origin, tokens=tokens)


def view_of(index: int, origin: str, tokenized: Any) -> ExampleView:
    """A view of a `TokenizedExample` (its `tokens` already carry text, id, label, part and trained)."""
    return ExampleView(index=index, origin=origin, tokens=list(tokenized.tokens))


def _visible(text: str) -> str:
    """Token text on one line: newlines, tabs and carriage returns shown as escapes."""
    return text.replace("\\", "\\\\").replace("\n", "\\n").replace("\t", "\\t").replace("\r", "\\r")


def _paint(text: str, color: str, enabled: bool) -> str:
    return f"{color}{text}{RESET}" if enabled else text


def render_tokens(example: ExampleView, color: bool = False) -> str:
    """Axolotl-style dump: `text(label, id)` per token, space separated, then the two totals."""
    pieces = []
    for token in example.tokens:
        painted = _paint(_visible(token.text), GREEN if token.trained else RED, color)
        pieces.append(painted + _paint(f"({token.label}, {token.id})", WHITE, color))
    return "\n".join(
        [
            _header(example, color),
            " ".join(pieces),
            "",
            f"Total input len: {example.total_len}",
            f"Count of labels: {example.label_count}",
        ]
    )


def render_text(example: ExampleView, color: bool = False) -> str:
    """The decoded text with trained runs in green (color) or between [[ and ]] (no color)."""
    out: list[str] = []
    trained_run = False
    for token in example.tokens:
        if color:
            out.append(_paint(token.text, GREEN if token.trained else RED, True))
            continue
        if token.trained and not trained_run:
            out.append(TRAINED_OPEN)
        elif not token.trained and trained_run:
            out.append(TRAINED_CLOSE)
        trained_run = token.trained
        out.append(token.text)
    if trained_run and not color:
        out.append(TRAINED_CLOSE)
    return "\n".join([_header(example, color), "".join(out)])


def _header(example: ExampleView, color: bool) -> str:
    title = f"--- example {example.index} ({example.origin}): {example.total_len} tokens, "
    title += f"{example.label_count} trained ---"
    return _paint(title, BOLD, color)


def legend(color: bool, text_only: bool) -> str:
    """One line that says how to read the dump."""
    if color:
        return f"{_paint('red', RED, True)} = masked (label -100), {_paint('green', GREEN, True)} = trained"
    if text_only:
        return f"trained text is between {TRAINED_OPEN} and {TRAINED_CLOSE}; everything else is masked"
    return "each token: text(label, id); label -100 = masked, otherwise trained"


def render_all(examples: Iterable[ExampleView], color: bool = False, text_only: bool = False) -> str:
    """Every example, separated by blank lines, after the legend."""
    render = render_text if text_only else render_tokens
    blocks = [legend(color, text_only)] + [render(example, color) for example in examples]
    return "\n\n".join(blocks) + "\n"
