"""What a prepared dataset contains, in numbers: rows, drops, tokens, lengths, duplicates, packing.

The collector sees every tokenized example once, in order, and keeps only lengths and small hashes, so it
costs little next to tokenizing.
"""

from __future__ import annotations

import hashlib
import math
from array import array
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from ftui.core.errors import UserError
from ftui.core.labels import IGNORE_INDEX

PERCENTILES = (50, 90, 99)


@dataclass
class DatasetStats:
    """Counts for one prepared dataset; `rows` counts saved rows (train + validation), `source_rows` the
    examples read (a long completion text split into windows is one source row and several rows)."""

    rows: int = 0
    train_rows: int = 0
    val_rows: int = 0
    source_rows: int = 0
    bad_rows: int = 0  # rows left out under skip_bad_rows (not in source_rows)
    dropped: int = 0
    dropped_too_long: int = 0
    dropped_no_trainable: int = 0
    dropped_exact_duplicate: int = 0  # dataset_exact_deduplication: identical tokenized rows (Axolotl's rule)
    dropped_quality: dict[str, int] = field(default_factory=dict)  # dataset_drop / near dedup, per kind
    truncated: int = 0
    split: int = 0  # long completion texts cut into several rows of sequence_len tokens
    total_tokens: int = 0
    trainable_tokens: int = 0
    length_percentiles: dict[str, int] = field(default_factory=dict)
    duplicates: int = 0
    sequence_len: int = 0
    packing_efficiency: float | None = None  # with sample_packing: used tokens / (packed rows x sequence_len)
    packed_rows: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DatasetStats:
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**known)


def length_percentiles(lengths: Sequence[int]) -> dict[str, int]:
    """Nearest-rank p50/p90/p99 and max of example lengths (all 0 for no examples)."""
    if not lengths:
        return {**{f"p{p}": 0 for p in PERCENTILES}, "max": 0}
    ordered = sorted(lengths)
    result = {f"p{p}": ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)] for p in PERCENTILES}
    result["max"] = ordered[-1]
    return result


class StatsCollector:
    """Accumulates stats while examples stream past (kept ones via `add`, dropped ones via `drop`)."""

    def __init__(self, sequence_len: int) -> None:
        self.sequence_len = sequence_len
        self.lengths: list[int] = []
        self.total_tokens = 0
        self.trainable_tokens = 0
        self.truncated = 0
        self.split = 0
        self.dropped_too_long = 0
        self.dropped_no_trainable = 0
        self.duplicates = 0
        self.dropped_exact_duplicate = 0
        self.dropped_quality: dict[str, int] = {}
        self._seen: set[bytes] = set()

    @staticmethod
    def _key(input_ids: Sequence[int], labels: Sequence[int]) -> bytes:
        return hashlib.blake2b(
            array("q", input_ids).tobytes() + b"|" + array("q", labels).tobytes(), digest_size=16
        ).digest()

    def seen_before(self, input_ids: Sequence[int], labels: Sequence[int]) -> bool:
        """True when an identical row (ids and labels) was already added."""
        return self._key(input_ids, labels) in self._seen

    def add(self, input_ids: Sequence[int], labels: Sequence[int], truncated: bool = False) -> None:
        self.lengths.append(len(input_ids))
        self.total_tokens += len(input_ids)
        self.trainable_tokens += len(labels) - list(labels).count(IGNORE_INDEX)
        self.truncated += int(truncated)
        key = self._key(input_ids, labels)
        if key in self._seen:
            self.duplicates += 1
        else:
            self._seen.add(key)

    def drop(self, reason: str) -> None:
        if reason == "too_long":
            self.dropped_too_long += 1
        elif reason == "no_trainable":
            self.dropped_no_trainable += 1
        elif reason == "exact_duplicate":
            self.dropped_exact_duplicate += 1
        else:
            raise ValueError(f"unknown drop reason {reason!r}")

    def result(self, train_rows: int, val_rows: int, source_rows: int) -> DatasetStats:
        dropped = (
            self.dropped_too_long
            + self.dropped_no_trainable
            + self.dropped_exact_duplicate
            + sum(self.dropped_quality.values())
        )
        return DatasetStats(
            rows=len(self.lengths),
            train_rows=train_rows,
            val_rows=val_rows,
            source_rows=source_rows,
            dropped=dropped,
            dropped_too_long=self.dropped_too_long,
            dropped_no_trainable=self.dropped_no_trainable,
            dropped_exact_duplicate=self.dropped_exact_duplicate,
            dropped_quality=dict(self.dropped_quality),
            truncated=self.truncated,
            split=self.split,
            total_tokens=self.total_tokens,
            trainable_tokens=self.trainable_tokens,
            length_percentiles=length_percentiles(self.lengths),
            duplicates=self.duplicates,
            sequence_len=self.sequence_len,
        )


def no_rows_left(stats: DatasetStats) -> UserError:
    """The error when tokenizing kept nothing (preprocess stops; the wizard shows the same words)."""
    curated = sum(stats.dropped_quality.values()) + stats.dropped_exact_duplicate
    return UserError(
        f"no examples left after tokenizing: {stats.dropped_too_long} longer than sequence_len "
        f"{stats.sequence_len}, {stats.dropped_no_trainable} with no trained tokens"
        + (f", {curated} dropped by dataset_drop / deduplication" if curated else ""),
        hint="raise sequence_len, set excess_length_strategy: truncate, or check the mask settings "
        "(train_on_inputs, roles_to_train) with `ftui debug CONFIG`",
    )


def column_lengths(dataset: Any, column: str = "input_ids") -> list[int]:
    """Row lengths of a list column, read from Arrow without turning the rows into Python lists."""
    import pyarrow.compute as pc

    return pc.list_value_length(dataset.with_format("arrow")[column]).to_pylist()
