"""`split:` slices (`train[:20%]`, `train[100:200]`, `train[-5%:]`) for local files, as `datasets` reads them.

Hub datasets get the split string as it is (`datasets.load_dataset(split=...)` slices them). A local file
is one `train` split: its rows are cut here with `datasets`' rules (percent bounds rounded to the closest
row, negative bounds counted from the end), so a config means the same rows for a file and for the Hub.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from ftui.core.data.model import RawRow
from ftui.core.data.report import DataError

_SPLIT = re.compile(
    r"^\s*(?P<name>[\w.-]+)\s*(?:\[\s*(?P<start>-?\d+%?)?\s*:\s*(?P<stop>-?\d+%?)?\s*\])?\s*$"
)


@dataclass(frozen=True)
class SplitSlice:
    name: str
    start: str | None = None
    stop: str | None = None

    @property
    def is_slice(self) -> bool:
        return self.start is not None or self.stop is not None

    def bounds(self, rows: int) -> tuple[int, int]:
        return _bound(self.start, rows, 0), _bound(self.stop, rows, rows)


def _bound(text: str | None, rows: int, default: int) -> int:
    if text is None:
        return default
    if text.endswith("%"):
        value = round(int(text[:-1]) * rows / 100)
    else:
        value = int(text)
    if value < 0:
        value += rows
    return max(0, min(value, rows))


def parse_split(split: str | None, where: str) -> SplitSlice | None:
    """None for no split; DataError for a split `datasets` would not read either."""
    if split is None:
        return None
    match = _SPLIT.match(split)
    if match is None:
        raise DataError(
            f"dataset '{where}': split {split!r} is not a split name or a slice like train[:20%]",
            "write `split: train`, `split: train[:1000]` or `split: train[10%:20%]`",
        )
    return SplitSlice(match["name"], match["start"], match["stop"])


def sliced_local_rows(rows: Iterator[RawRow], split: str | None, where: str) -> Iterator[RawRow]:
    """A local file's rows under `split:` (a local file has only the `train` split)."""
    parsed = parse_split(split, where)
    if parsed is None:
        yield from rows
        return
    if parsed.name != "train":
        raise DataError(
            f"dataset '{where}': a local file has only the `train` split, not {parsed.name!r}",
            "use `split: train` (or a slice of it, e.g. train[:20%]) for a local file",
        )
    if not parsed.is_slice:
        yield from rows
        return
    everything = list(rows)
    start, stop = parsed.bounds(len(everything))
    yield from everything[start:stop]
