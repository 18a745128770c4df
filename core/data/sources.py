"""Where rows come from: local files (.json, .jsonl, .csv, .parquet), folders of them, and Hugging Face hub ids.

Everything streams: a `Source` yields `RawRow`s one at a time, each carrying its origin (file and line, or
row index), so a 100 MB file is never held in memory and every problem can be reported as `file:line`.
Problems with a whole source (missing file, unknown extension, hub id not cached offline) raise `DataError`
at once; problems with single rows are returned as `RawRow.error` for the caller to collect.
"""

from __future__ import annotations

import contextlib
import csv
import json
import os
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ftui.core.data import jsonstream
from ftui.core.data.model import RawRow, RowOrigin
from ftui.core.data.report import DataError
from ftui.core.data.settings import DatasetSettings

EXTENSIONS: dict[str, str] = {
    ".json": "json",
    ".jsonl": "jsonl",
    ".csv": "csv",
    ".parquet": "parquet",
    ".arrow": "arrow",
    ".txt": "text",
}
# `ds_type:` values (Axolotl / datasets builder names) -> file kind.
DS_TYPES: dict[str, str] = {k: k for k in ("json", "jsonl", "csv", "parquet", "arrow", "text")}
_PARQUET_BATCH = 1024


@dataclass
class SourceFile:
    """One local file to read, with the name used in messages (relative to the config when possible)."""

    path: Path
    display: str
    kind: str


@dataclass
class Source:
    """A resolved dataset source; iterate `rows()` once. `bytes_done / bytes_total` is the read progress."""

    where: str
    files: list[SourceFile] = field(default_factory=list)
    hub_id: str | None = None
    settings: DatasetSettings | None = None
    bytes_total: int = 0
    bytes_done: int = 0

    def rows(self) -> Iterator[RawRow]:
        if self.hub_id is not None:
            yield from _hub_rows(self.hub_id, self.settings)
            return
        for source_file in self.files:
            start = self.bytes_done
            reader = _READERS[source_file.kind]
            for row, done in reader(source_file):
                self.bytes_done = start + done
                yield row
            self.bytes_done = start + _size(source_file.path)

    @property
    def fraction(self) -> float | None:
        return self.bytes_done / self.bytes_total if self.bytes_total else None


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _display(path: Path, base_dir: Path, raw: str) -> str:
    try:
        return str(path.relative_to(base_dir))
    except ValueError:
        return raw


def _looks_local(path: str) -> bool:
    """A path the user meant as a file: hub ids are `name` or `org/name` without an extension."""
    if path.startswith((".", "/", "~")) or "\\" in path or path.count("/") > 1:
        return True
    return Path(path).suffix.lower() in EXTENSIONS


def _kind_for(path: Path, settings: DatasetSettings, where: str) -> str:
    if settings.ds_type and settings.ds_type in DS_TYPES:
        return DS_TYPES[settings.ds_type]
    kind = EXTENSIONS.get(path.suffix.lower())
    if kind is None:
        raise DataError(
            f"dataset '{where}': cannot read '{path.name}' (unknown file type '{path.suffix or 'none'}')",
            "use .json, .jsonl, .csv, .parquet, .arrow or .txt files, or set `ds_type:`",
        )
    return kind


def _folder_files(folder: Path, settings: DatasetSettings, base_dir: Path, where: str) -> list[SourceFile]:
    # .txt and .arrow files in a folder are often notes or caches: read them only when `ds_type` asks.
    wanted = (
        {DS_TYPES[settings.ds_type]} if settings.ds_type in DS_TYPES else {"json", "jsonl", "csv", "parquet"}
    )
    files = []
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        if any(part.startswith(".") for part in relative.parts) or not path.is_file():
            continue
        kind = EXTENSIONS.get(path.suffix.lower())
        if kind in wanted or (kind == "jsonl" and "json" in wanted):
            files.append(SourceFile(path, _display(path, base_dir, f"{where}/{relative}"), kind))
    if not files:
        raise DataError(
            f"dataset folder '{where}' has no .json, .jsonl, .csv or .parquet files",
            "put the data files in that folder, or point `path:` at a file",
        )
    return files


def open_source(settings: DatasetSettings, base_dir: str | os.PathLike = ".") -> Source:
    """Resolve a dataset entry to local files or a hub id; DataError when it cannot be found."""
    base = Path(base_dir).expanduser().resolve()
    where = settings.path
    if not where:
        raise DataError("a dataset entry has no `path:`", "set `path:` to a data file, a folder or a hub id")
    local = (base / Path(where).expanduser()).resolve()
    files: list[SourceFile]
    if settings.data_files and (where in DS_TYPES or local.is_dir()):
        root = local if local.is_dir() else base
        files = []
        for name in settings.data_files:
            path = (root / Path(name).expanduser()).resolve()
            if not path.is_file():
                raise DataError(f"dataset '{where}': data file '{name}' not found (looked at {path})")
            files.append(SourceFile(path, _display(path, base, name), _kind_for(path, settings, where)))
    elif local.is_dir():
        files = _folder_files(local, settings, base, where)
    elif local.is_file():
        files = [SourceFile(local, _display(local, base, where), _kind_for(local, settings, where))]
    elif _looks_local(where):
        raise DataError(
            f"dataset file '{where}' not found (looked at {local})",
            "check `path:`; relative paths are relative to the config file's folder",
        )
    else:
        return Source(where=where, hub_id=where, settings=settings)
    return Source(where=where, files=files, bytes_total=sum(_size(f.path) for f in files), settings=settings)


def _open_binary(source_file: SourceFile):
    try:
        return open(source_file.path, "rb")
    except OSError as exc:
        raise DataError(f"cannot read dataset file '{source_file.display}': {exc.strerror}") from None


def _jsonl_rows(source_file: SourceFile) -> Iterator[tuple[RawRow, int]]:
    """One JSON value per line; blank lines are skipped, every line keeps its number."""
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
                yield RawRow(origin, error=reason), done
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
    size = _size(source_file.path)
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
                yield RawRow(origin, error=reason), done
                continue
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


_READERS = {
    "jsonl": _jsonl_rows,
    "json": _json_rows,
    "csv": _csv_rows,
    "parquet": _parquet_rows,
    "text": _text_rows,
    "arrow": _arrow_rows,
}


def _offline_by_env() -> bool:
    values = (os.environ.get(name, "") for name in ("HF_DATASETS_OFFLINE", "HF_HUB_OFFLINE"))
    return any(value.strip().upper() in ("1", "ON", "YES", "TRUE") for value in values)


def _hub_reachable(timeout: float = 2.0) -> bool:
    """One quick connection attempt, so no network means one clear error, not minutes of retries."""
    from urllib.parse import urlparse

    host = urlparse(os.environ.get("HF_ENDPOINT", "https://huggingface.co")).hostname or "huggingface.co"
    try:
        with socket.create_connection((host, 443), timeout=timeout):
            return True
    except OSError:
        return False


@contextlib.contextmanager
def _forced_offline(offline: bool):
    """Make `datasets` and `huggingface_hub` use only the local cache (their flags are read at import)."""
    import datasets.config
    import huggingface_hub.constants

    saved = (datasets.config.HF_HUB_OFFLINE, huggingface_hub.constants.HF_HUB_OFFLINE)
    if offline:
        datasets.config.HF_HUB_OFFLINE = huggingface_hub.constants.HF_HUB_OFFLINE = True
    try:
        yield
    finally:
        datasets.config.HF_HUB_OFFLINE, huggingface_hub.constants.HF_HUB_OFFLINE = saved


def _load_hub(hub_id: str, settings: DatasetSettings | None):
    offline = _offline_by_env() or not _hub_reachable()
    import datasets

    split = (settings.split if settings else None) or "train"
    kwargs: dict[str, Any] = {"split": split}
    if settings and settings.name:
        kwargs["name"] = settings.name
    if settings and settings.data_files:
        kwargs["data_files"] = settings.data_files
    if settings and settings.revision:
        kwargs["revision"] = settings.revision
    datasets.logging.set_verbosity_error()
    with _forced_offline(offline):
        try:
            return datasets.load_dataset(hub_id, **kwargs)
        except Exception as exc:  # datasets raises many types; all mean "cannot load this id"
            if offline:
                raise DataError(
                    f"dataset '{hub_id}' is not available offline (it is not a local path and not in the "
                    "Hugging Face datasets cache)",
                    "download it once with network access (unset HF_HUB_OFFLINE / HF_DATASETS_OFFLINE), "
                    "or point `path:` at a local .json/.jsonl/.csv/.parquet file or folder",
                ) from None
            detail = str(exc).strip().splitlines()[0][:300] if str(exc).strip() else type(exc).__name__
            raise DataError(
                f"cannot load dataset '{hub_id}' from the Hugging Face hub: {detail}",
                "check the id, `name:` and `split:`; private datasets need `huggingface-cli login`",
            ) from None


def _hub_rows(hub_id: str, settings: DatasetSettings | None) -> Iterator[RawRow]:
    dataset = _load_hub(hub_id, settings)
    split = (settings.split if settings else None) or "train"
    display = f"{hub_id}[{split}]"
    for index, value in enumerate(dataset):
        yield RawRow(RowOrigin(display, None, index), value=value)
