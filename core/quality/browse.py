"""Show flagged rows: their text read again from the source (the audit keeps no row text), and the character
differences between a near duplicate and its partner."""

from __future__ import annotations

import difflib
import json
from collections.abc import Callable, Iterable

from ftui.core.quality.records import RowReader, open_rows
from ftui.core.quality.report import AuditReport

MAX_CHARS = 4000  # per row: enough to read and compare, bounded for very long rows


def row_texts(
    report: AuditReport, rows: Iterable[int], cancelled: Callable[[], bool] | None = None
) -> dict[int, str]:
    """The text of the given rows (as the near-duplicate search compares it; raw JSON for unusable rows)."""
    wanted = set(rows)
    by_place: dict[tuple[int, str, int], int] = {}
    for row in wanted:
        audited = report.files[report.rows.file[row]]
        by_place[(audited.entry, audited.display, report.rows.line[row])] = row
    entries = sorted({entry for entry, _, _ in by_place})
    texts: dict[int, str] = {}
    for entry in entries:
        _, spec, stream = open_rows(report.entries[entry], report.base_dir)
        reader = RowReader(spec)
        for count, raw in enumerate(stream):
            if cancelled is not None and count % 1000 == 0 and cancelled():
                return texts
            origin = raw.origin
            row = by_place.get(
                (entry, origin.file, origin.line if origin.line is not None else origin.index + 1)
            )
            if row is None:
                continue
            facts = reader.facts(origin, raw.value, raw.error)
            text = facts.text
            if not text:
                text = raw.error or json.dumps(raw.value, ensure_ascii=False, default=str)
            texts[row] = text[:MAX_CHARS]
            if len(texts) == len(wanted):
                return texts
    return texts


def differences(a: str, b: str) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """Character ranges that differ: (ranges in `a` replaced or deleted, ranges in `b` replaced or inserted)."""
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    left, right = [], []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        if i2 > i1:
            left.append((i1, i2))
        if j2 > j1:
            right.append((j1, j2))
    return left, right
