"""Where rows come from: local files (.json, .jsonl, .csv, .parquet), folders of them, and Hugging Face hub ids.

Everything streams: a `Source` yields `RawRow`s one at a time, each carrying its origin (file and line, or
row index), so a 100 MB file is never held in memory and every problem can be reported as `file:line`.
Problems with a whole source (missing file, unknown extension, hub id not cached offline) raise `DataError`
at once; problems with single rows are returned as `RawRow.error` for the caller to collect.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ftui.core.data.hub import hub_rows
from ftui.core.data.model import RawRow
from ftui.core.data.readers import READERS, SourceFile, file_size
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
            yield from hub_rows(self.hub_id, self.settings)
            return
        from ftui.core.data.splits import sliced_local_rows

        split = self.settings.split if self.settings is not None else None
        yield from sliced_local_rows(self._file_rows(), split, self.where)

    def _file_rows(self) -> Iterator[RawRow]:
        for source_file in self.files:
            start = self.bytes_done
            reader = READERS[source_file.kind]
            for row, done in reader(source_file):
                self.bytes_done = start + done
                yield row
            self.bytes_done = start + file_size(source_file.path)

    @property
    def fraction(self) -> float | None:
        return self.bytes_done / self.bytes_total if self.bytes_total else None


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


def _locate(where: str, base: Path) -> Path:
    """A relative path is looked up next to the config first, then (like Axolotl) in the working directory."""
    beside_config = (base / Path(where).expanduser()).resolve()
    if beside_config.exists():
        return beside_config
    in_cwd = Path(where).expanduser().resolve()
    return in_cwd if in_cwd.exists() else beside_config


def open_source(settings: DatasetSettings, base_dir: str | os.PathLike = ".") -> Source:
    """Resolve a dataset entry to local files or a hub id; DataError when it cannot be found."""
    base = Path(base_dir).expanduser().resolve()
    where = settings.path
    if not where:
        raise DataError("a dataset entry has no `path:`", "set `path:` to a data file, a folder or a hub id")
    local = _locate(where, base)
    files: list[SourceFile]
    if settings.data_files and (where in DS_TYPES or local.is_dir()):
        root = local if local.is_dir() else base
        files = []
        for name in settings.data_files:
            path = (root / Path(name).expanduser()).resolve()
            if not path.is_file():
                raise DataError(
                    f"dataset '{where}': data file '{name}' not found (looked at {path})",
                    "check `data_files:`; they are relative to `path:` when it is a folder, else to the config",
                )
            files.append(SourceFile(path, _display(path, base, name), _kind_for(path, settings, where)))
    elif local.is_dir():
        files = _folder_files(local, settings, base, where)
    elif local.is_file():
        files = [SourceFile(local, _display(local, base, where), _kind_for(local, settings, where))]
    elif _looks_local(where):
        raise DataError(
            f"dataset file '{where}' not found (looked at {local})",
            "check `path:`; relative paths are looked up next to the config file, then in the working directory",
        )
    else:
        return Source(where=where, hub_id=where, settings=settings)
    return Source(
        where=where, files=files, bytes_total=sum(file_size(f.path) for f in files), settings=settings
    )
