"""Pure helpers for training curves: EMA smoothing and bounded, spike-preserving histories.

A 100,000-step run must redraw in milliseconds with bounded memory, so a monitor never keeps every point:
`BucketSeries` holds at most `capacity` buckets and merges neighbours when full (each bucket keeps its min and
max with their steps, so a loss spike never disappears), and `downsample_minmax` reduces any series to about
two points per screen column before plotting.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from ftui.core.units import format_bytes, format_duration  # noqa: F401  (re-exported: callers import them here)


def ema(values: Sequence[float], smoothing: float = 0.9) -> list[float]:
    """Debiased exponential moving average (TensorBoard's): early points are not pulled towards zero."""
    tracker = Ema(smoothing)
    return [tracker.update(v) for v in values]


class Ema:
    """Incremental debiased EMA, so a live monitor smooths each new point in O(1)."""

    def __init__(self, smoothing: float = 0.9) -> None:
        if not 0.0 <= smoothing < 1.0:
            raise ValueError("smoothing must be in [0, 1)")
        self.smoothing = smoothing
        self._acc = 0.0
        self._count = 0

    def update(self, value: float) -> float:
        self._count += 1
        self._acc = self._acc * self.smoothing + (1.0 - self.smoothing) * value
        return self._acc / (1.0 - self.smoothing**self._count)


@dataclass
class _Bucket:
    """Consecutive points merged into one: first/last step, min and max with the steps they occurred at."""

    x_first: float
    x_last: float
    y_last: float
    x_min: float
    y_min: float
    x_max: float
    y_max: float
    count: int = 1

    def add(self, x: float, y: float) -> None:
        self.x_last, self.y_last = x, y
        if y < self.y_min:
            self.x_min, self.y_min = x, y
        if y > self.y_max:
            self.x_max, self.y_max = x, y
        self.count += 1

    def merge(self, other: _Bucket) -> None:
        self.x_last, self.y_last = other.x_last, other.y_last
        if other.y_min < self.y_min:
            self.x_min, self.y_min = other.x_min, other.y_min
        if other.y_max > self.y_max:
            self.x_max, self.y_max = other.x_max, other.y_max
        self.count += other.count

    def points(self) -> list[tuple[float, float]]:
        if self.count == 1 or (self.x_min == self.x_max):
            return [(self.x_min, self.y_min)]
        pair = sorted([(self.x_min, self.y_min), (self.x_max, self.y_max)])
        return pair


class BucketSeries:
    """A history of (step, value) in bounded memory: at most `capacity` buckets of `width` points each.

    When full, neighbouring buckets merge pairwise and `width` doubles, so appends are amortised O(1) and the
    stored size never exceeds `capacity`. Non-finite values are counted in `skipped` but not stored (a NaN
    would poison min/max; the run's warnings report it).
    """

    def __init__(self, capacity: int = 2048) -> None:
        if capacity < 2 or capacity % 2:
            raise ValueError("capacity must be an even number >= 2")
        self.capacity = capacity
        self.width = 1
        self.count = 0
        self.skipped = 0
        self.last: tuple[float, float] | None = None
        self.min: tuple[float, float] | None = None
        self._buckets: list[_Bucket] = []

    def __len__(self) -> int:
        return self.count

    def append(self, x: float, y: float) -> None:
        if y is None or not math.isfinite(y):
            self.skipped += 1
            return
        self.count += 1
        self.last = (x, y)
        if self.min is None or y < self.min[1]:
            self.min = (x, y)
        if self._buckets and self._buckets[-1].count < self.width:
            self._buckets[-1].add(x, y)
            return
        self._buckets.append(_Bucket(x, x, y, x, y, x, y))
        if len(self._buckets) > self.capacity:
            self._compact()

    def _compact(self) -> None:
        merged: list[_Bucket] = []
        for i in range(0, len(self._buckets) - 1, 2):
            first = self._buckets[i]
            first.merge(self._buckets[i + 1])
            merged.append(first)
        if len(self._buckets) % 2:
            merged.append(self._buckets[-1])
        self._buckets = merged
        self.width *= 2

    def truncate_after(self, x: float) -> None:
        """Drop buckets that start after step `x` (a resumed run repeats the steps after its checkpoint)."""
        keep = [b for b in self._buckets if b.x_first <= x]
        if len(keep) != len(self._buckets):
            self._buckets = keep
            self.count = sum(b.count for b in keep)
            self.last = (keep[-1].x_last, keep[-1].y_last) if keep else None
            self.min = None
            for b in keep:
                if self.min is None or b.y_min < self.min[1]:
                    self.min = (b.x_min, b.y_min)

    def points(self) -> tuple[list[float], list[float]]:
        """Stored points in step order: each bucket's min and max (one point when they coincide)."""
        xs: list[float] = []
        ys: list[float] = []
        for bucket in self._buckets:
            for x, y in bucket.points():
                xs.append(x)
                ys.append(y)
        return xs, ys

    def stored_buckets(self) -> int:
        return len(self._buckets)


def downsample_minmax(
    xs: Sequence[float], ys: Sequence[float], max_points: int
) -> tuple[list[float], list[float]]:
    """Reduce a series to at most `max_points` by keeping each bucket's min and max, in step order.

    Spikes (a loss blow-up) survive, unlike with striding or averaging. `xs` must be sorted.
    """
    n = len(xs)
    if n != len(ys):
        raise ValueError("xs and ys differ in length")
    if n <= max_points or max_points < 2:
        return list(xs), list(ys)
    buckets = max_points // 2
    out_x: list[float] = []
    out_y: list[float] = []
    for b in range(buckets):
        start = b * n // buckets
        end = (b + 1) * n // buckets
        if start >= end:
            continue
        lo = hi = start
        for i in range(start + 1, end):
            if ys[i] < ys[lo]:
                lo = i
            if ys[i] > ys[hi]:
                hi = i
        for i in sorted({lo, hi}):
            out_x.append(xs[i])
            out_y.append(ys[i])
    return out_x, out_y


def log10_values(ys: Sequence[float]) -> list[float]:
    """log10 for a log-scale plot drawn by hand (plotext's own log scale redraws badly); clamps at 1e-12."""
    return [math.log10(max(y, 1e-12)) for y in ys]
