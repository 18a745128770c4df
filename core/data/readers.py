"""Readers for local data files: each yields `(RawRow, bytes_done)` one row at a time, never the whole file.

JSON Lines and text keep line numbers; JSON arrays are streamed by `jsonstream` with the line each element
starts on; CSV reports the line where a record starts (quoted cells may span lines); parquet and arrow have
no lines, so their rows are numbered. Undecodable rows come back with `RawRow.error` set.
"""

from __future__ import annotations

import contextlib
import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ftui.core.data import jsonstream
from ftui.core.data.model import RawRow, RowOrigin
from ftui.core.data.report import DataError

_PARQUET_BATCH = 1024


@dataclass
class SourceFile:
    """One local file to read, with the name used in messages (relative to the config when possible)."""

    path: Path
    display: str
    kind: str


def file_size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _open_binary(source_file: SourceFile):
    try:
        return open(source_file.path, "rb")
    except OSError as exc:
        raise DataError(f"cannot read dataset file '{source_file.display}': {exc.strerror}") from None


def _decoded_lines(source_file: SourceFile) -> Iterator[tuple[RowOrigin, str | None, str | None, int]]:
    """(origin, text, error, bytes read so far) per non-blank line; `error` says why a line is not UTF-8.

    Blank lines are skipped, every line keeps its number, a BOM on the first line is dropped."""
    done = 0
    with _open_binary(source_file) as stream:
        for number, raw in enumerate(stream, 1):
            done += len(raw)
            if not raw.strip():
                continue
            origin = RowOrigin(source_file.display, number, number - 1)
            try:
                text = raw.decode("utf-8-sig" if number == 1 else "utf-8").rstrip("\r\n")
            except UnicodeDecodeError as exc:
                reason = f"not valid UTF-8 (byte 0x{raw[exc.start]:02x} at column {exc.start + 1})"
                yield origin, None, reason, done
                continue
            yield origin, text, None, done


def _jsonl_rows(source_file: SourceFile) -> Iterator[tuple[RawRow, int]]:
    """One JSON value per line; blank lines are skipped, every line keeps its number."""
    for origin, text, error, done in _decoded_lines(source_file):
        if text is None:
            yield RawRow(origin, error=error), done
            continue
        try:
            yield RawRow(origin, value=json.loads(text)), done
        except json.JSONDecodeError as exc:
            yield RawRow(origin, error=f"invalid JSON: {exc.msg} (column {exc.colno})"), done
        except RecursionError:
            yield RawRow(origin, error="invalid JSON: nested too deeply"), done


def _first_line_is_object(path: Path) -> bool:
    with open(path, "rb") as stream:
        first = stream.readline(1 << 24)
    try:
        return isinstance(json.loads(first.decode("utf-8-sig")), dict)
    except (ValueError, UnicodeDecodeError):
        return False


def _json_rows(source_file: SourceFile) -> Iterator[tuple[RawRow, int]]:
    """A JSON array of rows, streamed; a file of one object per line is read as JSON Lines."""
    with _open_binary(source_file) as stream:
        elements = jsonstream.iter_array(stream)
        try:
            first = next(elements, None)
        except jsonstream.NotAnArray:
            first = None
            if _first_line_is_object(source_file.path):
                yield from _jsonl_rows(source_file)
                return
            stream.seek(0)
            elements = jsonstream.iter_values(stream)
            first = next(elements, None)
        except RecursionError:
            yield RawRow(RowOrigin(source_file.display, 1), error="invalid JSON: nested too deeply"), 0
            return
        index = 0
        element = first
        while element is not None:
            reason = element.error
            if element.fatal:
                reason += "; the rest of this file was not read"
            origin = RowOrigin(source_file.display, element.line, index)
            yield RawRow(origin, value=element.value, error=reason), stream.tell()
            index += 1
            try:
                element = next(elements, None)
            except RecursionError:
                yield RawRow(origin, error="invalid JSON: nested too deeply"), stream.tell()
                return


def _csv_rows(source_file: SourceFile) -> Iterator[tuple[RawRow, int]]:
    """CSV with a header line; each row is reported at the line where its record starts."""
    try:
        stream = open(source_file.path, encoding="utf-8-sig", errors="surrogateescape", newline="")
    except OSError as exc:
        raise DataError(f"cannot read dataset file '{source_file.display}': {exc.strerror}") from None
    csv.field_size_limit(max(csv.field_size_limit(), 1 << 30))  # long answers exceed the 128 KiB default
    with stream:
        reader = csv.reader(stream)
        try:
            header = next(reader, None)
        except csv.Error as exc:
            yield RawRow(RowOrigin(source_file.display, 1), error=f"invalid CSV: {exc}"), 0
            return
        if not header:
            return
        line = reader.line_num + 1
        index = 0
        while True:
            try:
                cells = next(reader, None)
            except csv.Error as exc:
                reason = f"invalid CSV: {exc}; the rest of this file was not read"
                yield RawRow(RowOrigin(source_file.display, line, index), error=reason), stream.buffer.tell()
                return
            if cells is None:
                return
            origin = RowOrigin(source_file.display, line, index)
            line = reader.line_num + 1
            if not cells:
                continue
            index += 1
            yield _csv_row(origin, header, cells), stream.buffer.tell()


def _csv_row(origin: RowOrigin, header: list[str], cells: list[str]) -> RawRow:
    if len(cells) > len(header):
        return RawRow(origin, error=f"{len(cells)} cells but the header has {len(header)} columns")
    reason = next(filter(None, map(jsonstream.bad_utf8_reason, cells)), None)
    if reason:
        return RawRow(origin, error=reason)
    row: dict[str, Any] = dict(zip(header, cells, strict=False))
    return RawRow(origin, value=row)


def _parquet_rows(source_file: SourceFile) -> Iterator[tuple[RawRow, int]]:
    """Parquet in record batches; rows are identified by their index (parquet has no lines)."""
    import pyarrow.parquet as pq

    try:
        parquet = pq.ParquetFile(source_file.path)
    except Exception as exc:  # pyarrow raises several types for unreadable files
        raise DataError(f"cannot read parquet file '{source_file.display}': {exc}") from None
    total_rows = max(parquet.metadata.num_rows, 1)
    size = file_size(source_file.path)
    index = 0
    with contextlib.closing(parquet):
        for batch in parquet.iter_batches(batch_size=_PARQUET_BATCH):
            for value in batch.to_pylist():
                index += 1
                yield (
                    RawRow(RowOrigin(source_file.display, None, index - 1), value=value),
                    size * index // total_rows,
                )


def _text_rows(source_file: SourceFile) -> Iterator[tuple[RawRow, int]]:
    """Plain text (`ds_type: text`): each non-blank line is one `{"text": line}` row, like `datasets`' text."""
    for origin, text, error, done in _decoded_lines(source_file):
        if text is None:
            yield RawRow(origin, error=error), done
        else:
            yield RawRow(origin, value={"text": text}), done


def _arrow_rows(source_file: SourceFile) -> Iterator[tuple[RawRow, int]]:
    """Arrow IPC files (what `datasets` writes in its cache and `save_to_disk`), batch by batch."""
    import pyarrow as pa

    try:
        stream = pa.memory_map(str(source_file.path))
        try:
            reader = pa.ipc.open_stream(stream)
        except pa.ArrowInvalid:
            reader = pa.ipc.open_file(stream)
            batches = (reader.get_batch(i) for i in range(reader.num_record_batches))
        else:
            batches = iter(reader)
    except Exception as exc:  # pyarrow raises several types for unreadable files
        raise DataError(f"cannot read arrow file '{source_file.display}': {exc}") from None
    index = 0
    for batch in batches:
        for value in batch.to_pylist():
            yield RawRow(RowOrigin(source_file.display, None, index), value=value), 0
            index += 1


READERS = {
    "jsonl": _jsonl_rows,
    "json": _json_rows,
    "csv": _csv_rows,
    "parquet": _parquet_rows,
    "text": _text_rows,
    "arrow": _arrow_rows,
}
