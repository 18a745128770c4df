"""Where each row of a data file lives, in bytes, so a curated copy can repeat kept rows byte for byte.

JSON Lines and text: one non-blank line per row (the line's own bytes, its line ending included). CSV: the
header, then each record's lines (a quoted cell may span several). A JSON array: each element's text between
the separators at depth one, found by a regular expression over the memory-mapped file that skips strings
whole, so a 100 MB file is scanned without being decoded or held in memory.
"""

from __future__ import annotations

import csv
import io
import mmap
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ftui.core.errors import UserError

_JSON_TOKENS = re.compile(rb'"(?:[^"\\]|\\.)*"|[\[\]{},]', re.DOTALL)
_SPACE = b" \t\r\n"
_BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True, slots=True)
class Span:
    key: int  # the row's line (line-based files) or element index (JSON arrays): what RowOrigin says
    start: int
    end: int
    line: int


@dataclass
class FileLayout:
    """A file's rows as byte spans, plus the bytes around them (a JSON array's brackets, a CSV header)."""

    kind: str  # "lines", "csv" or "array"
    spans: list[Span]
    head: bytes = b""
    tail: bytes = b""
    separators: list[bytes] | None = None  # JSON arrays: the whitespace before each element


def _line_spans(data: bytes | mmap.mmap) -> list[Span]:
    spans = []
    start = 0
    number = 0
    size = len(data)
    while start < size:
        end = data.find(b"\n", start)
        end = size if end == -1 else end + 1
        number += 1
        chunk = data[start:end]
        if number == 1 and chunk.startswith(_BOM):
            chunk = chunk[3:]
        if chunk.strip():
            spans.append(Span(number, start, end, number))
        start = end
    return spans


def _array_layout(data: bytes | mmap.mmap, open_at: int) -> FileLayout:
    spans: list[Span] = []
    separators: list[bytes] = []
    depth = 0
    element_start = open_at + 1
    line = 1 + data[:open_at].count(b"\n")
    counted = open_at
    close_at = None
    for match in _JSON_TOKENS.finditer(data, open_at):
        token = match.group()
        if token[:1] == b'"':
            continue
        if token in (b"[", b"{"):
            depth += 1
            continue
        if token in (b"]", b"}") and depth > 1:
            depth -= 1
            continue
        if depth != 1:
            continue
        # a ',' or the closing ']' at depth one: the element before it ends here
        raw = data[element_start : match.start()]
        stripped = raw.strip(_SPACE)
        if stripped:
            lead = len(raw) - len(raw.lstrip(_SPACE))
            start = element_start + lead
            line += data[counted:start].count(b"\n")
            counted = start
            separators.append(bytes(raw[:lead]))
            spans.append(Span(len(spans), start, start + len(stripped), line))
        element_start = match.end()
        if token == b"]":
            close_at = match.start()
            break
    if close_at is None:
        raise UserError(
            "the JSON array is not closed with ']'", "fix the file (`ftui data audit` lists bad rows)"
        )
    last_end = spans[-1].end if spans else open_at + 1
    return FileLayout(
        "array", spans, head=bytes(data[: open_at + 1]), tail=bytes(data[last_end:]), separators=separators
    )


def _csv_layout(data: bytes | mmap.mmap) -> FileLayout:
    lines = _physical_lines(data)
    consumed: list[tuple[int, int]] = []

    def feed() -> Iterator[str]:
        for start, end in lines:
            consumed.append((start, end))
            text = bytes(data[start:end]).decode("utf-8", "surrogateescape")
            yield text[1:] if start == 0 and text.startswith("\ufeff") else text

    reader = csv.reader(feed())
    header = next(reader, None)
    if header is None:
        return FileLayout("csv", [], head=bytes(data))
    head_end = consumed[-1][1]
    spans = []
    mark = len(consumed)
    for cells in reader:
        start, end = consumed[mark][0], consumed[-1][1]
        line = mark + 1
        mark = len(consumed)
        if cells:
            spans.append(Span(line, start, end, line))
    return FileLayout("csv", spans, head=bytes(data[:head_end]))


def _physical_lines(data: bytes | mmap.mmap) -> list[tuple[int, int]]:
    out = []
    start = 0
    while start < len(data):
        end = data.find(b"\n", start)
        end = len(data) if end == -1 else end + 1
        out.append((start, end))
        start = end
    return out


def file_layout(path: Path, kind: str) -> FileLayout:
    """The byte layout of a local data file read as `kind` (the readers' kinds: jsonl, json, csv, text)."""
    with open(path, "rb") as stream:
        size = stream.seek(0, io.SEEK_END)
        if size == 0:
            return FileLayout("lines", [])
        with mmap.mmap(stream.fileno(), 0, access=mmap.ACCESS_READ) as data:
            if kind in ("jsonl", "text"):
                return FileLayout("lines", _line_spans(data))
            if kind == "csv":
                return _csv_layout(data)
            if kind == "json":
                first = re.compile(rb"(?:\xef\xbb\xbf)?[ \t\r\n]*(.)", re.DOTALL).match(data)
                if first is not None and first.group(1) == b"[":
                    return _array_layout(data, first.start(1))
                return FileLayout("lines", _line_spans(data))  # one object per line: read as JSON Lines
    raise UserError(f"cannot copy rows of a {kind} file byte for byte: {path}")
