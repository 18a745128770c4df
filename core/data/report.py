"""Bad-row bookkeeping and the one error that lists them.

Scanning collects every bad row (keeping the first `KEEP` for display, counting all), then raises a single
`DataError` that shows up to `SHOW` of them as `file:line: reason`, so users fix their data in one pass.
"""

from __future__ import annotations

from ftui.core.data.model import BadRow
from ftui.core.errors import UserError

SHOW = 10
KEEP = 1000
SKIP_HINT = (
    "fix or remove these rows, or set `skip_bad_rows: true` in the config to leave them out "
    "(they are still counted and reported)"
)


class DataError(UserError):
    """The dataset cannot be used as it is; `bad_rows` holds the offending rows when there are any."""

    def __init__(self, message: str, hint: str | None = None, bad_rows: list[BadRow] | None = None) -> None:
        super().__init__(message, hint)
        self.bad_rows = bad_rows or []


class BadRowLog:
    """Collects bad rows while a dataset streams by."""

    def __init__(self) -> None:
        self.rows: list[BadRow] = []
        self.count = 0

    def add(self, bad: BadRow) -> None:
        self.count += 1
        if len(self.rows) < KEEP:
            self.rows.append(bad)

    def merge(self, other: BadRowLog) -> None:
        self.count += other.count
        self.rows.extend(other.rows[: max(0, KEEP - len(self.rows))])

    def summary(self, where: str) -> str:
        """'N bad rows in dataset X:' and up to SHOW of them, one per line, then how many more."""
        noun = "row" if self.count == 1 else "rows"
        lines = [f"{self.count} bad {noun} in dataset '{where}':"]
        lines += [f"  {bad}" for bad in self.rows[:SHOW]]
        if self.count > SHOW:
            lines.append(f"  and {self.count - SHOW} more ({self.count} bad rows in total)")
        return "\n".join(lines)

    def error(self, where: str) -> DataError:
        return DataError(self.summary(where), SKIP_HINT, bad_rows=list(self.rows))
