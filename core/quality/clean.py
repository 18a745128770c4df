"""Write the curated dataset: the kept rows, byte for byte and in source order, plus a report of every drop.

The source is never touched: outputs are written to a temporary file and renamed into place, and an output
that would overwrite a source file is refused. JSON Lines, text and CSV keep each kept row's own bytes; a JSON
array becomes a JSON array of the kept elements' original text (with the file's own brackets and spacing);
parquet and arrow rows are taken from the table as they are; hub rows are written as JSON Lines.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ftui.core.errors import UserError
from ftui.core.quality.report import AuditedFile, AuditReport
from ftui.core.quality.spans import file_layout

BYTE_KINDS = ("jsonl", "json", "csv", "text")


@dataclass
class CleanResult:
    outputs: list[Path]
    report_path: Path
    kept: int
    dropped: int
    by_kind: dict[str, int] = field(default_factory=dict)


def report_path_for(out: Path) -> Path:
    return out.with_name(out.name + ".report.json")


def output_paths(report: AuditReport, out: Path) -> list[Path]:
    """One output per audited file: `out` itself for one file, else `out/<file name as the config names it>`."""
    if len(report.files) == 1:
        if out.is_dir():
            raise UserError(f"--out {out} is a folder", "name the file to write, e.g. --out data/clean.jsonl")
        return [out]
    paths, seen = [], set()
    for audited in report.files:
        name = Path(audited.display)
        relative = Path(name.name) if name.is_absolute() or ".." in name.parts else name
        if audited.kind == "hub":
            relative = Path(audited.display.replace("/", "__") + ".jsonl")
        while relative in seen:
            relative = relative.with_name(f"{audited.entry}_{relative.name}")
        seen.add(relative)
        paths.append(out / relative)
    return paths


def _check_not_sources(report: AuditReport, outputs: list[Path]) -> None:
    sources = {f.path.resolve() for f in report.files if f.path is not None}
    for path in outputs:
        if path.resolve() in sources:
            raise UserError(
                f"--out {path} is one of the dataset's own files", "write the curated copy to a new file"
            )


def _atomic_write(path: Path, write: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as stream:
            write(stream)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise UserError(
            f"cannot write {path}: {exc.strerror or exc}", "check the folder and free disk space"
        ) from None
    finally:
        tmp.unlink(missing_ok=True)


def _rows_by_key(report: AuditReport, file_id: int, by_index: bool) -> dict[int, int]:
    rows = report.rows
    table = rows.index if by_index else rows.line
    return {table[row]: row for row in range(len(rows)) if rows.file[row] == file_id}


def _write_bytes(report: AuditReport, file_id: int, out: Path, drop: set[int]) -> int:
    audited = report.files[file_id]
    layout = file_layout(audited.path, audited.kind)
    keyed = _rows_by_key(report, file_id, by_index=layout.kind == "array")
    if len(layout.spans) != audited.rows or any(span.key not in keyed for span in layout.spans):
        raise UserError(
            f"{audited.display} changed since it was audited ({len(layout.spans)} rows now, {audited.rows} then)",
            "run the audit again",
        )
    kept = [span for span in layout.spans if keyed[span.key] not in drop]
    with open(audited.path, "rb") as source:
        data = source.read()

    def write(stream: Any) -> None:
        if layout.kind == "array":
            stream.write(layout.head)
            for i, span in enumerate(kept):
                separator = layout.separators[span.key] if i else layout.separators[0]
                stream.write((b"," if i else b"") + separator + data[span.start : span.end])
            stream.write(layout.tail if kept else layout.tail.lstrip(b" \t\r\n"))
            return
        stream.write(layout.head)
        for span in kept:
            chunk = data[span.start : span.end]
            stream.write(chunk if chunk.endswith(b"\n") else chunk + b"\n")

    _atomic_write(out, write)
    return len(kept)


def _write_table(report: AuditReport, file_id: int, out: Path, drop: set[int]) -> int:
    import pyarrow as pa
    import pyarrow.parquet as pq

    audited = report.files[file_id]
    keep = [
        report.rows.index[r]
        for r in range(len(report.rows))
        if report.rows.file[r] == file_id and r not in drop
    ]
    if audited.kind == "parquet":
        table = pq.read_table(audited.path)
    else:
        with pa.memory_map(str(audited.path)) as stream:
            try:
                table = pa.ipc.open_stream(stream).read_all()
            except pa.ArrowInvalid:
                table = pa.ipc.open_file(stream).read_all()
    chosen = table.take(pa.array(keep, type=pa.int64()))
    _atomic_write(out, lambda stream: pq.write_table(chosen, stream))
    return len(keep)


def _write_hub(report: AuditReport, file_id: int, out: Path, drop: set[int]) -> int:
    from ftui.core.quality.records import open_rows

    audited = report.files[file_id]
    keep = {
        report.rows.index[r]
        for r in range(len(report.rows))
        if report.rows.file[r] == file_id and r not in drop
    }
    _, _, stream_rows = open_rows(report.entries[audited.entry], report.base_dir)

    def write(stream: Any) -> None:
        for raw in stream_rows:
            if raw.origin.index in keep:
                stream.write(json.dumps(raw.value, ensure_ascii=False, default=str).encode("utf-8") + b"\n")

    _atomic_write(out, write)
    return len(keep)


def _digest(path: Path | None) -> str | None:
    if path is None:
        return None
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def drop_rows(
    report: AuditReport, kinds: Iterable[str], keep: Iterable[int] = (), drop: Iterable[int] = ()
) -> set[int]:
    """Rows flagged with any of `kinds`, less those kept by hand, plus those dropped by hand."""
    return (report.drop_set(kinds) - set(keep)) | set(drop)


def clean_dataset(
    report: AuditReport, kinds: Iterable[str], out: Path, keep: Iterable[int] = (), drop: Iterable[int] = ()
) -> CleanResult:
    """Write the rows the drop rule keeps to `out` (see `output_paths`) and `out.report.json`."""
    kinds = list(kinds)
    dropped = drop_rows(report, kinds, keep, drop)
    outputs = output_paths(report, Path(out))
    _check_not_sources(report, outputs)
    before = {i: _digest(f.path) for i, f in enumerate(report.files)}
    kept = 0
    for file_id, (audited, path) in enumerate(zip(report.files, outputs, strict=True)):
        writer = (
            _write_bytes
            if audited.kind in BYTE_KINDS
            else _write_hub
            if audited.kind == "hub"
            else _write_table
        )
        kept += writer(report, file_id, path, dropped)
    by_kind = {kind: 0 for kind in kinds}
    for row in dropped:
        flag = report.flags.get(row)
        for kind in flag.kinds if flag else []:
            if kind in by_kind:
                by_kind[kind] += 1
    report_path = report_path_for(Path(out))
    body = _report_json(report, kinds, dropped, outputs, kept, by_kind, before)
    _atomic_write(
        report_path, lambda s: s.write(json.dumps(body, indent=2, ensure_ascii=False).encode() + b"\n")
    )
    return CleanResult(outputs, report_path, kept, len(dropped), by_kind)


def _report_json(
    report: AuditReport,
    kinds: list[str],
    dropped: set[int],
    outputs: list[Path],
    kept: int,
    by_kind: dict[str, int],
    digests: dict[int, str | None],
) -> dict[str, Any]:
    rows = []
    for row in sorted(dropped):
        flag = report.flags.get(row)
        partner = flag.partner if flag else None
        rows.append(
            {
                "file": report.files[report.rows.file[row]].display,
                "line": report.rows.line[row],
                "kinds": list(flag.kinds) if flag else ["dropped_by_hand"],
                "reasons": dict(flag.reasons) if flag else {},
                "partner": None
                if partner is None
                else {
                    "file": report.files[report.rows.file[partner]].display,
                    "line": report.rows.line[partner],
                },
            }
        )
    return {
        "drop": kinds,
        "kept": kept,
        "dropped": len(dropped),
        "by_kind": by_kind,
        "sources": [_source_json(f, digests[i]) for i, f in enumerate(report.files)],
        "outputs": [str(p) for p in outputs],
        "rows": rows,
    }


def _source_json(audited: AuditedFile, digest: str | None) -> dict[str, Any]:
    return {"path": audited.display, "rows": audited.rows, "sha256": digest}
