"""`ProgressBar`: the one tqdm bar the CLI commands draw on stderr for long work (preprocess, audit)."""

from __future__ import annotations

import sys
from typing import Any


class ProgressBar:
    """A tqdm bar on stderr, created at the first update; silent when stderr is not a terminal.

    `update(done, total)` counts items (preprocess's callback); `update_fraction(rows, fraction)` shows a
    percentage of bytes read with the rows so far (the audit's callback)."""

    def __init__(self, description: str) -> None:
        self.description = description
        self.bar: Any = None

    def __enter__(self) -> ProgressBar:
        return self

    def _open(self, total: int, unit: str) -> Any:
        if self.bar is None:
            from tqdm import tqdm

            self.bar = tqdm(total=total, desc=self.description, unit=unit, file=sys.stderr, disable=None)
        return self.bar

    def update(self, done: int, total: int) -> None:
        bar = self._open(total, "ex")
        bar.total = total
        bar.n = done
        bar.refresh()

    def update_fraction(self, rows: int, fraction: float | None) -> None:
        bar = self._open(100, "%")
        bar.n = int(100 * (fraction or 0))
        bar.set_postfix_str(f"{rows:,} rows", refresh=True)

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.close()
