"""Audit thresholds: one dataclass, read from the config's `dataset_quality:` mapping and CLI overrides.

Defaults were chosen on the shared datasets (docs/quality.md has the measurements): the near-duplicate
threshold catches a one-character edit in a 300-character row (Jaccard of 5-grams about 0.97) and stays far
above what unrelated rows reach (below 0.35 on alpaca, glaive and Chinese text).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class AuditSettings:
    """How the audit decides. Every field can be set under `dataset_quality:` in the config."""

    near_threshold: float = 0.7  # estimated Jaccard of character n-gram sets at or above which rows are near
    ngram: int = 5  # characters per shingle (works for every script: no word splitting needed)
    num_perm: int = 64  # MinHash permutations (64: a Jaccard estimate within about 0.04 at 0.9)
    min_near_chars: int = 20  # rows shorter than this are compared exactly only (n-grams say little)
    low_response_chars: int = 2  # an answer with fewer non-space characters is low_complexity
    length_outlier_mad: float = 4.0  # log-length further than this many MADs from the median is an outlier
    repeat_min_chars: int = 200  # answers at least this long (UTF-8 bytes) are checked for repetition
    repeat_max_ratio: float = 0.12  # ... and are low_complexity when zlib compresses them below this ratio
    max_turns: int = 64  # conversations with more turns are high_complexity

    @classmethod
    def names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in dataclasses.fields(cls))

    @classmethod
    def from_mapping(cls, values: dict[str, Any] | None, **overrides: Any) -> AuditSettings:
        """Settings from `dataset_quality:` (unknown names are a ValueError) plus non-None overrides."""
        merged = {**(values or {}), **{k: v for k, v in overrides.items() if v is not None}}
        unknown = sorted(set(merged) - set(cls.names()))
        if unknown:
            raise ValueError(f"unknown setting {unknown[0]!r}; known: {', '.join(cls.names())}")
        settings = cls(**{k: _typed(cls, k, v) for k, v in merged.items()})
        settings.check()
        return settings

    @classmethod
    def from_config(cls, config: Any, **overrides: Any) -> AuditSettings:
        values = getattr(config, "dataset_quality", None)
        if values is None and isinstance(config, dict):
            values = config.get("dataset_quality")
        near = getattr(config, "dataset_near_deduplication", None)
        if isinstance(near, float) and not isinstance(near, bool) and "near_threshold" not in overrides:
            overrides["near_threshold"] = near
        return cls.from_mapping(values, **overrides)

    def check(self) -> None:
        if not 0 < self.near_threshold <= 1:
            raise ValueError(f"near_threshold must be in (0, 1], not {self.near_threshold}")
        if self.ngram < 1 or self.num_perm < 16:
            raise ValueError("ngram must be >= 1 and num_perm >= 16")
        if self.length_outlier_mad <= 0 or not 0 < self.repeat_max_ratio <= 1:
            raise ValueError("length_outlier_mad must be > 0 and repeat_max_ratio in (0, 1]")


def _typed(cls: type, name: str, value: Any) -> Any:
    default = next(f.default for f in dataclasses.fields(cls) if f.name == name)
    try:
        if isinstance(default, bool) or isinstance(value, bool):
            raise TypeError
        return type(default)(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number, not {value!r}") from None
