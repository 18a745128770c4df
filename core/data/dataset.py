"""The two ways in: `scan_dataset` for the UI (cheap, never raises for bad rows) and `iter_examples` for
preprocessing (streams `Example`s, then raises one `DataError` listing every bad row).

Neither imports torch; `datasets` is imported only for hub ids.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from ftui.core.data.formats import FormatSpec, resolve_format
from ftui.core.data.model import BadRow, DatasetScan, Example, RawRow
from ftui.core.data.report import BadRowLog, DataError
from ftui.core.data.rows import RowError, normalize_row
from ftui.core.data.settings import dataset_settings
from ftui.core.data.sources import Source, open_source

_DETECT_ROWS = 20
_PROGRESS_EVERY = 1000

# progress(rows_read, fraction_of_bytes_read or None)
Progress = Callable[[int, float | None], None]


def _open(ds_config: Any, base_dir: str | os.PathLike) -> tuple[Source, FormatSpec, Iterator[RawRow]]:
    """Resolve the source, read the first rows to detect the format, and hand back the whole row stream."""
    settings = dataset_settings(ds_config)
    source = open_source(settings, base_dir)
    rows = source.rows()
    head = list(itertools.islice(rows, _DETECT_ROWS))
    if not head:
        raise _empty_error(source.where, BadRowLog())
    values = [row.value for row in head if row.error is None]
    if not values and settings.type is None and not settings.custom_fields:
        log = BadRowLog()
        for row in head:
            log.add(BadRow(row.origin, row.error or ""))
        raise DataError(
            f"cannot tell the format of dataset '{source.where}': its first rows cannot be read\n"
            + log.summary(source.where),
            "fix these rows (or set `type:` to read past them)",
            bad_rows=list(log.rows),
        )
    spec = resolve_format(settings, values, source.where)
    return source, spec, itertools.chain(head, rows)


# Public name for callers that need the raw rows with their format (the quality audit reads both).
open_dataset = _open


def _examples(spec: FormatSpec, rows: Iterable[RawRow], log: BadRowLog) -> Iterator[Example]:
    for row in rows:
        if row.error is not None:
            log.add(BadRow(row.origin, row.error))
            continue
        try:
            yield normalize_row(row.value, spec, row.origin)
        except RowError as exc:
            log.add(BadRow(row.origin, exc.reason))
        except RecursionError:
            log.add(BadRow(row.origin, "nested too deeply"))


def _empty_error(where: str, log: BadRowLog) -> DataError:
    if log.count:
        return DataError(
            f"dataset '{where}' has no usable rows: "
            + (f"all {log.count} rows are bad\n" if log.count > 1 else "its only row is bad\n")
            + log.summary(where),
            "fix the rows listed above (check `type:` and the field names too)",
            bad_rows=list(log.rows),
        )
    return DataError(f"dataset '{where}' is empty (0 rows)", "point `path:` at a file that has rows")


def iter_examples(
    ds_config: Any,
    base_dir: str | os.PathLike = ".",
    *,
    skip_bad_rows: bool = False,
    bad_rows: BadRowLog | None = None,
    progress: Progress | None = None,
) -> Iterator[Example]:
    """Stream one dataset entry as `Example`s in source order.

    Bad rows are collected; when the stream ends, one `DataError` lists them unless `skip_bad_rows` is set
    (then they are only recorded in `bad_rows`). A dataset with no usable rows is always a `DataError`.
    """
    source, spec, rows = _open(ds_config, base_dir)
    log = BadRowLog()
    count = 0
    try:
        for example in _examples(spec, rows, log):
            count += 1
            if progress is not None and count % _PROGRESS_EVERY == 0:
                progress(count, source.fraction)
            yield example
    finally:
        if bad_rows is not None:
            bad_rows.merge(log)
    if progress is not None:
        progress(count, 1.0)
    if count == 0:
        raise _empty_error(source.where, log)
    if log.count and not skip_bad_rows:
        raise log.error(source.where)


def iter_config_examples(
    ds_configs: Iterable[Any],
    base_dir: str | os.PathLike = ".",
    *,
    skip_bad_rows: bool = False,
    bad_rows: BadRowLog | None = None,
    progress: Progress | None = None,
) -> Iterator[Example]:
    """All `datasets:` entries one after the other; bad rows of every entry are listed in one `DataError`."""
    log = bad_rows if bad_rows is not None else BadRowLog()
    entries = list(ds_configs)
    if not entries:
        raise DataError("the config has no `datasets:`", "add at least one entry with a `path:`")
    done = 0
    for i, entry in enumerate(entries):

        def overall(count: int, fraction: float | None, i: int = i, before: int = done) -> None:
            if progress is not None:
                progress(before + count, (i + (fraction or 0.0)) / len(entries))

        for example in iter_examples(entry, base_dir, skip_bad_rows=True, bad_rows=log, progress=overall):
            done += 1
            yield example
    if log.count and not skip_bad_rows:
        where = ", ".join(dataset_settings(entry).path for entry in entries)
        raise log.error(where)


def scan_dataset(
    ds_config: Any,
    base_dir: str | os.PathLike = ".",
    limit: int | None = None,
    sample_size: int = 5,
) -> DatasetScan:
    """Read a dataset for the UI: format (and whether it was detected), usable row count, bad rows, a sample.

    Stops after `limit` rows when given (`complete` is then False). Raises `DataError` only for problems with
    the whole source (not found, format unknown), never for bad rows.
    """
    source, spec, rows = _open(ds_config, base_dir)
    log = BadRowLog()
    sample: list[Example] = []
    count = read = 0
    complete = True
    for row in rows:
        if limit is not None and read >= limit:
            complete = False
            break
        read += 1
        for example in _examples(spec, (row,), log):
            count += 1
            if len(sample) < sample_size:
                sample.append(example)
    return DatasetScan(
        path=source.where,
        format=spec.format,
        detected=spec.detected,
        rows=count,
        bad_rows=log.rows,
        bad_count=log.count,
        sample=sample,
        files=[f.display for f in source.files] or ([source.hub_id] if source.hub_id else []),
        complete=complete,
    )
