"""Curation at preprocess time: the rows `dataset_drop:` and `dataset_near_deduplication:` leave out.

The audit runs once over the config's datasets (the same kinds and rules as `ftui data audit`), and the rows it
flags with a chosen kind are filtered out of the example stream before tokenizing, each counted under its
first chosen kind. Axolotl's `dataset_exact_deduplication` is applied later, on the tokenized rows (see
preprocess/tokenize_datasets.py), exactly as Axolotl does it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from ftui.core.quality.kinds import KINDS, TOKEN_KINDS


def chosen_kinds(config: Any) -> list[str]:
    kinds = list(getattr(config, "dataset_drop", None) or [])
    if getattr(config, "dataset_near_deduplication", False):  # identical rows are the nearest duplicates
        kinds += ["exact_duplicate", "near_duplicate"]
    return [kind for kind in KINDS if kind in kinds]


@dataclass
class QualityDrops:
    """Rows to leave out, keyed by (entry, file, line or row number), with the kind they are dropped for."""

    rows: dict[tuple[int, str, int], str]
    counts: dict[str, int] = field(default_factory=dict)

    def filter(self, entry: int, examples: Iterable[Any]) -> Iterator[Any]:
        for example in examples:
            origin = example.source
            line = origin.line if origin.line is not None else origin.index + 1
            kind = self.rows.get((entry, origin.file, line))
            if kind is None:
                yield example
            else:
                self.counts[kind] = self.counts.get(kind, 0) + 1


def quality_drops(config: Any, tokenizer: Any = None) -> QualityDrops | None:
    """What the config's curation keys drop (None when it sets none of them)."""
    kinds = chosen_kinds(config)
    if not kinds:
        return None
    from ftui.core.quality.audit import audit_config

    use_tokens = any(kind in TOKEN_KINDS for kind in kinds)
    report = audit_config(config, tokenizer=tokenizer if use_tokens else None, use_tokens=use_tokens)
    rows: dict[tuple[int, str, int], str] = {}
    for row, flag in report.flags.items():
        kind = next((k for k in flag.kinds if k in kinds), None)
        if kind is not None:
            audited = report.files[report.rows.file[row]]
            rows[(audited.entry, audited.display, report.rows.line[row])] = kind
    return QualityDrops(rows)
