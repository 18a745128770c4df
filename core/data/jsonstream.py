"""Stream the elements of a JSON array file (or concatenated JSON values) without loading the whole file.

`json.load` on a 100 MB file holds the bytes, the text and the objects at once. Here the file is read in
chunks, each element is decoded with `JSONDecoder.raw_decode` as soon as it is complete, and the text before
it is dropped, so memory is about one chunk plus one element. Each element comes with the line it starts on.
Bytes that are not UTF-8 are kept as surrogate escapes and reported per element instead of failing the file.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO

CHUNK_BYTES = 1 << 20
_WHITESPACE = re.compile(r"[ \t\n\r]*")
_BAD_BYTE = re.compile("[\udc80-\udcff]")


class NotAnArray(Exception):
    """The file does not start with '[' (the caller may read it as JSON Lines instead)."""


@dataclass(slots=True)
class Element:
    """One decoded element (or why it could not be decoded); `fatal` means the rest of the file is unreadable."""

    line: int
    value: Any = None
    error: str | None = None
    fatal: bool = False


def bad_utf8_reason(text: str) -> str | None:
    """Why text decoded with surrogateescape is not valid UTF-8, or None when it is."""
    match = _BAD_BYTE.search(text)
    if match is None:
        return None
    return f"not valid UTF-8 (byte 0x{ord(match.group()) - 0xDC00:02x})"


class _Reader:
    """A growing text window over a binary stream with a cursor and the cursor's line number."""

    def __init__(self, stream: BinaryIO) -> None:
        self.stream = stream
        self.decoder = codecs.getincrementaldecoder("utf-8")("surrogateescape")
        self.buf = ""
        self.pos = 0
        self.line = 1
        self.eof = False
        self.bytes_read = 0

    def more(self) -> bool:
        """Append the next chunk (at least as large as what is held, so retries stay linear); False at EOF."""
        if self.eof:
            return False
        size = max(CHUNK_BYTES, len(self.buf) - self.pos)
        data = self.stream.read(size)
        self.bytes_read += len(data)
        self.eof = not data
        text = self.decoder.decode(data, final=self.eof)
        if self.bytes_read == len(data) and text.startswith("\ufeff"):
            text = text[1:]
        self.buf = self.buf[self.pos :] + text
        self.pos = 0
        return bool(data)

    def advance(self, new_pos: int) -> None:
        self.line += self.buf.count("\n", self.pos, new_pos)
        self.pos = new_pos

    def skip_whitespace(self) -> str:
        """Move past whitespace; the next character, or '' at end of file."""
        while True:
            self.advance(_WHITESPACE.match(self.buf, self.pos).end())
            if self.pos < len(self.buf):
                return self.buf[self.pos]
            if not self.more():
                return ""

    def line_at(self, index: int) -> int:
        return self.line + self.buf.count("\n", self.pos, index)


def _incomplete(exc: json.JSONDecodeError, reader: _Reader) -> bool:
    """Did decoding fail only because the window ends inside the value?"""
    if reader.eof:
        return False
    return exc.msg.startswith("Unterminated string") or exc.pos >= len(reader.buf) - 16


def _decode(reader: _Reader, decoder: json.JSONDecoder) -> Element:
    """Decode the value at the cursor, reading more until it is complete."""
    while True:
        start = reader.pos
        try:
            value, end = decoder.raw_decode(reader.buf, start)
        except json.JSONDecodeError as exc:
            if _incomplete(exc, reader):
                reader.more()
                continue
            newline = reader.buf.rfind("\n", 0, exc.pos)
            column = f" (column {exc.pos - newline})" if newline >= 0 else ""
            return Element(reader.line_at(exc.pos), error=f"invalid JSON: {exc.msg}{column}", fatal=True)
        if end >= len(reader.buf) and not reader.eof:  # a number may go on in the next chunk
            reader.more()
            continue
        element = Element(reader.line, value=value, error=bad_utf8_reason(reader.buf[start:end]))
        reader.advance(end)
        return element


def iter_array(stream: BinaryIO) -> Iterator[Element]:
    """Elements of a top-level JSON array; raises `NotAnArray` if the first character is not '['."""
    reader = _Reader(stream)
    decoder = json.JSONDecoder()
    if reader.skip_whitespace() != "[":
        raise NotAnArray
    reader.advance(reader.pos + 1)
    if reader.skip_whitespace() == "]":
        reader.advance(reader.pos + 1)
        yield from _trailing(reader)
        return
    while True:
        char = reader.skip_whitespace()
        if char == "":
            yield Element(reader.line, error="invalid JSON: the array is not closed with ']'", fatal=True)
            return
        element = _decode(reader, decoder)
        yield element
        if element.fatal:
            return
        char = reader.skip_whitespace()
        if char == "]":
            reader.advance(reader.pos + 1)
            yield from _trailing(reader)
            return
        if char == "":
            yield Element(reader.line, error="invalid JSON: the array is not closed with ']'", fatal=True)
            return
        if char != ",":
            yield Element(
                reader.line, error=f"invalid JSON: expected ',' or ']' but found {char!r}", fatal=True
            )
            return
        comma_line = reader.line
        reader.advance(reader.pos + 1)
        if reader.skip_whitespace() == "]":
            yield Element(comma_line, error="invalid JSON: trailing comma before ']'", fatal=True)
            return


def iter_values(stream: BinaryIO) -> Iterator[Element]:
    """Concatenated JSON values separated by whitespace (a pretty-printed object, or several)."""
    reader = _Reader(stream)
    decoder = json.JSONDecoder()
    while reader.skip_whitespace() != "":
        element = _decode(reader, decoder)
        yield element
        if element.fatal:
            return


def _trailing(reader: _Reader) -> Iterator[Element]:
    char = reader.skip_whitespace()
    if char != "":
        yield Element(
            reader.line, error=f"invalid JSON: unexpected {char!r} after the closing ']'", fatal=True
        )
