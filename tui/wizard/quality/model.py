"""The quality view's decisions, without Textual: which kinds are dropped, which rows are kept or dropped by
hand, and the flagged rows in list order (filtered by kind)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

DEFAULT_DROPPED = ("exact_duplicate", "near_duplicate", "empty_response", "bad_row")


@dataclass
class QualityModel:
    report: Any
    dropped_kinds: set[str] = field(default_factory=lambda: set(DEFAULT_DROPPED))
    keep: set[int] = field(default_factory=set)  # kept although a dropped kind flags them
    drop: set[int] = field(default_factory=set)  # dropped although no dropped kind flags them
    filter_kind: str | None = None

    def rows(self) -> list[int]:
        """Flagged rows in source order (only those of `filter_kind` when set)."""
        if self.filter_kind is None:
            return list(self.report.flags)
        return [row for row, flag in self.report.flags.items() if self.filter_kind in flag.kinds]

    def dropped(self, row: int) -> bool:
        if row in self.keep:
            return False
        if row in self.drop:
            return True
        flag = self.report.flags.get(row)
        return bool(flag and self.dropped_kinds.intersection(flag.kinds))

    def toggle_row(self, row: int) -> bool:
        """Flip one row's decision; returns whether it is now dropped."""
        by_kind = bool(
            self.report.flags.get(row) and self.dropped_kinds.intersection(self.report.flags[row].kinds)
        )
        now_dropped = not self.dropped(row)
        self.keep.discard(row)
        self.drop.discard(row)
        if now_dropped and not by_kind:
            self.drop.add(row)
        elif not now_dropped and by_kind:
            self.keep.add(row)
        return now_dropped

    def toggle_kind(self, kind: str) -> bool:
        if kind in self.dropped_kinds:
            self.dropped_kinds.discard(kind)
        else:
            self.dropped_kinds.add(kind)
        return kind in self.dropped_kinds

    def drop_count(self) -> int:
        return sum(1 for row in self.report.flags if self.dropped(row)) + len(
            self.drop - set(self.report.flags)
        )
