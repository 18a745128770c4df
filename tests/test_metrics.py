"""EMA smoothing and bounded, spike-preserving downsampling (core/metrics.py)."""

from __future__ import annotations

import math

import pytest
from ftui.core.metrics import (
    BucketSeries,
    Ema,
    downsample_minmax,
    ema,
    format_bytes,
    format_duration,
    log10_values,
)


def test_ema_is_debiased_and_matches_incremental() -> None:
    values = [4.0, 2.0, 3.0, 1.0]
    smoothed = ema(values, 0.5)
    assert smoothed[0] == pytest.approx(4.0)  # no pull towards zero at the start
    # hand computation: acc = 0.5*acc + 0.5*v, divided by 1 - 0.5**n
    assert smoothed[1] == pytest.approx((0.5 * 2.0 + 0.25 * 4.0) / 0.75)
    tracker = Ema(0.5)
    assert [tracker.update(v) for v in values] == pytest.approx(smoothed)
    assert ema([2.0] * 10, 0.9) == pytest.approx([2.0] * 10)
    with pytest.raises(ValueError):
        Ema(1.0)


def test_bucket_series_is_bounded_and_keeps_spikes() -> None:
    series = BucketSeries(capacity=64)
    for step in range(1, 100_001):
        series.append(step, 1.0 if step != 77_777 else 50.0)
    assert len(series) == 100_000
    assert series.stored_buckets() <= 64
    xs, ys = series.points()
    assert len(xs) <= 128
    assert max(ys) == 50.0 and xs[ys.index(50.0)] == 77_777
    assert xs == sorted(xs)
    assert series.last == (100_000, 1.0)
    assert series.min == (1, 1.0)


def test_bucket_series_skips_non_finite_and_truncates() -> None:
    series = BucketSeries(capacity=8)
    for step in range(1, 21):
        series.append(step, float(step))
    series.append(21, math.nan)
    assert series.skipped == 1 and len(series) == 20
    series.truncate_after(10)
    xs, _ = series.points()
    assert max(xs) <= 12  # the bucket straddling step 10 is kept whole
    assert series.last is not None and series.last[0] <= 12


def test_downsample_minmax_keeps_extremes_in_order() -> None:
    xs = list(range(10_000))
    ys = [math.sin(x / 100) for x in xs]
    ys[4321] = -9.0
    dx, dy = downsample_minmax(xs, ys, 200)
    assert len(dx) <= 200
    assert dx == sorted(dx)
    assert min(dy) == -9.0 and max(dy) == pytest.approx(max(ys))
    assert downsample_minmax([1, 2], [3, 4], 10) == ([1, 2], [3, 4])


def test_downsample_100k_keeps_the_extremes_in_bounded_points() -> None:
    xs = list(range(100_000))
    ys = [1.0 / (1 + x) for x in xs]
    dx, dy = downsample_minmax(xs, ys, 240)
    assert len(dx) <= 2 * 240 and max(dy) == 1.0 and min(dy) == ys[-1]


def test_formatting() -> None:
    assert format_duration(42) == "42s"
    assert format_duration(185) == "3m05s"
    assert format_duration(3720) == "1h02m"
    assert format_duration(None) == "-"
    # the training log line's variant (core/train/callbacks.py): truncated, minutes kept, "?" when unknown
    assert format_duration(42.9, "?", clock=True) == "0m42s"
    assert format_duration(3720, "?", clock=True) == "1h02m"
    assert format_duration(None, "?", clock=True) == "?"
    assert format_bytes(1536 * 1024 * 1024) == "1.5 GiB"
    assert format_bytes(None) == "-"
    assert log10_values([100.0, 0.0])[0] == pytest.approx(2.0)
