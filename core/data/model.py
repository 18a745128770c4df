"""The neutral structures every dataset row becomes.

Whatever the file looked like (alpaca, ShareGPT, OpenAI messages, raw text, segments, token ids), the template
and mask engine only ever sees an `Example`. Each one remembers where it came from (`RowOrigin`) so any later
error - a row too long, a template that cannot render it - can still say `file:line`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

ExampleKind = Literal["chat", "alpaca", "completion", "segments", "tokenized"]

# Canonical chat roles. The original spelling of a role (human, gpt, function_call, observation...) is kept in
# `Message.original_role` so the UI can show it and templates that care (tool calls) can format it.
ROLES: tuple[str, ...] = ("system", "user", "assistant", "tool")


@dataclass(frozen=True, slots=True)
class RowOrigin:
    """Where a row lives: `line` for text files (1-based, the line where the row starts), else the row index."""

    file: str
    line: int | None = None
    index: int = 0

    def __str__(self) -> str:
        if self.line is not None:
            return f"{self.file}:{self.line}"
        return f"{self.file}:row {self.index + 1}"


@dataclass(slots=True)
class Message:
    """One chat turn with a canonical role; `train` is a per-turn override (None: decided by roles_to_train)."""

    role: str
    content: str
    original_role: str
    train: bool | None = None
    name: str | None = None
    tool_calls: list[dict[str, Any]] | None = None
    tool_call_id: str | None = None


@dataclass(frozen=True, slots=True)
class Segment:
    """A piece of an `input_output` row; `label` true means its tokens are trained."""

    text: str
    label: bool


@dataclass(slots=True)
class Example:
    """One normalized row. Which fields are meaningful depends on `kind`:

    - chat: `messages` (and `tools` when the row declares them)
    - alpaca: `instruction`, `input`, `output`, optional `system`
    - completion: `text`
    - segments: `segments`
    - tokenized: `input_ids`, optional `labels` and `attention_mask`
    """

    kind: ExampleKind
    source: RowOrigin
    messages: list[Message] = field(default_factory=list)
    tools: list[dict[str, Any]] | None = None
    instruction: str = ""
    input: str = ""
    output: str = ""
    system: str | None = None
    text: str = ""
    segments: list[Segment] = field(default_factory=list)
    input_ids: list[int] | None = None
    labels: list[int] | None = None
    attention_mask: list[int] | None = None


@dataclass(frozen=True, slots=True)
class BadRow:
    """A row that cannot be used, and why."""

    origin: RowOrigin
    reason: str

    def __str__(self) -> str:
        return f"{self.origin}: {self.reason}"


@dataclass(slots=True)
class RawRow:
    """A row as read from a source: a decoded value, or the reason it could not be decoded."""

    origin: RowOrigin
    value: Any = None
    error: str | None = None


@dataclass(slots=True)
class DatasetScan:
    """What the UI shows about a dataset: its format, how many rows are usable, what is wrong, a sample."""

    path: str
    format: str
    detected: bool
    rows: int
    bad_rows: list[BadRow]
    bad_count: int
    sample: list[Example]
    files: list[str]
    complete: bool = True  # False when `limit` stopped the scan early
