"""Byte, duration and parameter-count formatters, in one place: the monitor, the estimator, the wizard and
the CLI print sizes, times and counts the same way."""

from __future__ import annotations

import math

GIB = 1024**3


def gib_number(n: float) -> str:
    """Bytes as binary gigabytes with two decimals and no unit: `1.50` (tables that name GiB in a header)."""
    return f"{n / GIB:.2f}"


def gib(n: float) -> str:
    """Bytes as binary gigabytes: `1.50 GiB` (GPU memory is sold in GiB; `ftui estimate` and the wizard)."""
    return f"{gib_number(n)} GiB"


def format_duration(seconds: float | None, unknown: str = "-", clock: bool = False) -> str:
    """`1h02m`, `3m05s`, `42s`; `unknown` when unknown. `clock=True` (the training log line) truncates
    instead of rounding and keeps minutes under an hour (`0m42s`), so the line's shape stays the same."""
    if seconds is None or not math.isfinite(seconds) or seconds < 0:
        return unknown
    seconds = int(seconds) if clock else int(round(seconds))
    if seconds >= 3600:
        return f"{seconds // 3600}h{(seconds % 3600) // 60:02d}m"
    if seconds >= 60 or clock:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds}s"


def format_bytes(value: float | None) -> str:
    """Human bytes in binary units: `1.5 GiB`; `-` when unknown."""
    if value is None:
        return "-"
    size = float(value)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(size) < 1024 or unit == "TiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} TiB"


def format_count(n: int, short: bool = False) -> str:
    """Parameter counts: `1.50B`, `494.03M`, `12.00K` (the memory panel); `short=True` gives `1.5B`, `494M`,
    enough digits to tell catalog sizes apart in a narrow column."""
    if short:
        return f"{n / 1e9:.1f}B" if n >= 1e9 else f"{n / 1e6:.0f}M"
    for unit, size in (("B", 1e9), ("M", 1e6), ("K", 1e3)):
        if n >= size:
            return f"{n / size:.2f}{unit}"
    return str(n)
