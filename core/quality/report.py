"""What an audit found, kept compact enough for 100k-row datasets: a row table of (file, line, index) in
arrays, the kinds of flagged rows only, and per-file length histograms. `to_json` is `ftui data audit --json`.
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ftui.core.quality.kinds import KINDS
from ftui.core.quality.settings import AuditSettings

# Lower edges of the length histogram bins (the last bin is open-ended).
HISTOGRAM_EDGES: tuple[int, ...] = (0, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384)


@dataclass
class AuditedFile:
    """One data file of a `datasets:` entry (an entry that is a folder has several)."""

    display: str  # as messages name it (relative to the config when possible)
    path: Path | None  # None for hub datasets
    kind: str  # reader kind: jsonl, json, csv, parquet, text, arrow, hub
    entry: int  # index in the config's `datasets:`
    format: str = ""
    rows: int = 0
    prompt_lengths: array = field(default_factory=lambda: array("l"))
    answer_lengths: array = field(default_factory=lambda: array("l"))


@dataclass
class Flag:
    kinds: list[str] = field(default_factory=list)
    reasons: dict[str, str] = field(default_factory=dict)
    partner: int | None = None  # the row (id) an exact or near duplicate repeats
    similarity: float | None = None


class RowTable:
    """Every audited row in audit order: its file, line (1-based; the row number where there are no lines)
    and index within the file."""

    def __init__(self) -> None:
        self.file = array("H")
        self.line = array("l")
        self.index = array("l")
        self.hashes = bytearray()  # 16 bytes a row: the record hash (zeros for an unreadable row)

    def add(self, file_id: int, line: int | None, index: int, record_hash: bytes | None = None) -> int:
        self.hashes += record_hash or bytes(16)
        self.file.append(file_id)
        self.line.append(line if line is not None else index + 1)
        self.index.append(index)
        return len(self.file) - 1

    def __len__(self) -> int:
        return len(self.file)

    def record_hash(self, row: int) -> str:
        return bytes(self.hashes[16 * row : 16 * row + 16]).hex()


def histogram(values: Sequence[int]) -> dict[str, Any]:
    counts = [0] * len(HISTOGRAM_EDGES)
    for value in values:
        bin_index = 0
        while bin_index + 1 < len(HISTOGRAM_EDGES) and value >= HISTOGRAM_EDGES[bin_index + 1]:
            bin_index += 1
        counts[bin_index] += 1
    ordered = sorted(values)

    def pick(p: float) -> int:
        return ordered[max(0, math.ceil(p * len(ordered)) - 1)] if ordered else 0

    return {
        "edges": list(HISTOGRAM_EDGES),
        "counts": counts,
        "p50": pick(0.5),
        "p90": pick(0.9),
        "p99": pick(0.99),
        "max": ordered[-1] if ordered else 0,
    }


@dataclass
class AuditReport:
    files: list[AuditedFile]
    rows: RowTable
    flags: dict[int, Flag]
    settings: AuditSettings
    unit: str  # "tokens" when a tokenizer measured lengths, else "characters"
    skipped: dict[str, str] = field(default_factory=dict)  # kind -> why it was not checked
    entries: list[Any] = field(default_factory=list)  # the config's dataset entries (to read rows again)
    base_dir: Path = Path(".")

    def rows_of(self, kind: str) -> list[int]:
        return [row for row, flag in self.flags.items() if kind in flag.kinds]

    def counts(self, file_id: int | None = None) -> dict[str, int]:
        counts = dict.fromkeys(KINDS, 0)
        for row, flag in self.flags.items():
            if file_id is None or self.rows.file[row] == file_id:
                for kind in flag.kinds:
                    counts[kind] = counts.get(kind, 0) + 1
        return counts

    def where(self, row: int, relative_to: int | None = None) -> int | str:
        """A row's line, or `file:line` when it is in another file than `relative_to`."""
        line = self.rows.line[row]
        file_id = self.rows.file[row]
        return line if relative_to in (None, file_id) else f"{self.files[file_id].display}:{line}"

    def drop_set(self, kinds: Iterable[str]) -> set[int]:
        wanted = set(kinds)
        return {row for row, flag in self.flags.items() if wanted.intersection(flag.kinds)}

    def file_json(self, file_id: int) -> dict[str, Any]:
        audited = self.files[file_id]
        problems: dict[str, list[int]] = {kind: [] for kind in KINDS}
        pairs: dict[str, int | str] = {}
        for row, flag in self.flags.items():
            if self.rows.file[row] != file_id:
                continue
            line = self.rows.line[row]
            for kind in flag.kinds:
                problems.setdefault(kind, []).append(line)
            if flag.partner is not None:
                pairs[str(line)] = self.where(flag.partner, file_id)
        for lines in problems.values():
            lines.sort()
        pairs = dict(sorted(pairs.items(), key=lambda item: int(item[0])))
        stats = {
            "unit": self.unit,
            "prompt_length": histogram(audited.prompt_lengths),
            "response_length": histogram(audited.answer_lengths),
            "counts": self.counts(file_id),
        }
        return {
            "path": audited.display,
            "entry": audited.entry,
            "format": audited.format,
            "rows": audited.rows,
            "problems": problems,
            "stats": stats,
            "pairs": pairs,
        }

    def to_json(self) -> dict[str, Any]:
        datasets = [self.file_json(i) for i in range(len(self.files))]
        data: dict[str, Any] = {
            "datasets": datasets,
            "counts": self.counts(),
            "skipped": dict(self.skipped),
            "settings": {name: getattr(self.settings, name) for name in AuditSettings.names()},
        }
        if len(datasets) == 1:
            for key in ("rows", "problems", "stats", "pairs"):
                data[key] = datasets[0][key]
        return data
