"""The monitor's memory line (measured vs the estimator's figures) and the machine's sparklines (CPU, RAM, GPUs).
"""

from __future__ import annotations

from collections import deque
from typing import Any

from ftui.core.events import number
from ftui.core.metrics import format_bytes
from ftui.core.runs.state import RunState
from ftui.tui.monitor.system import SystemSample
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Sparkline, Static


def estimate_bytes(
    estimate: Any, keys: tuple[str, ...] = ("total_bytes", "per_gpu_bytes", "total")
) -> float | None:
    """A byte figure from the estimator's JSON (core/memory `MemoryEstimate.to_dict()`), first key present."""
    if not isinstance(estimate, dict):
        return None
    for key in keys:
        value = number(estimate.get(key))
        if value:
            return value
    return None


def memory_text(state: RunState) -> Text:
    """GPU: peak allocated vs the estimator's peak, reserved vs its total; CPU: process RSS vs the total."""
    last = state.last_step or {}
    estimate = (state.started or {}).get("estimate")
    allocated, peak = number(last.get("mem_allocated")), number(last.get("mem_peak"))
    reserved = number(last.get("mem_reserved"))
    text = Text("memory ", style="bold")
    if allocated is not None or peak is not None:
        text.append(f"GPU {format_bytes(allocated)}  peak {format_bytes(peak)}")
        _versus(text, peak or allocated, estimate_bytes(estimate, ("peak_allocated_bytes", "total_bytes")))
        if reserved is not None:
            text.append(f"\n       reserved {format_bytes(reserved)}")
            _versus(text, reserved, estimate_bytes(estimate))
    else:
        rss = number(last.get("rss"))
        text.append(f"RSS {format_bytes(rss)}")
        _versus(text, rss, estimate_bytes(estimate))
    return text


def _versus(text: Text, used: float | None, estimated: float | None) -> None:
    if not estimated:
        return
    text.append(f"  est. {format_bytes(estimated)}")
    if used:
        ratio = used / estimated
        style = "bold red" if ratio > 1.0 else ("yellow" if ratio > 0.9 else "green")
        text.append(f" ({ratio:.0%})", style=style)


class SystemPanel(Vertical):
    """CPU, RAM and per-GPU utilisation as labelled one-line sparklines, with GPU temperature and power."""

    DEFAULT_CSS = """
    SystemPanel { height: auto; }
    SystemPanel Horizontal { height: 1; }
    SystemPanel .spark-label { width: 6; }
    SystemPanel Sparkline { height: 1; width: 1fr; }
    """

    def __init__(self, history: int = 60, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.history = history
        self.series: dict[str, deque[float]] = {}

    def compose(self) -> ComposeResult:
        yield Static("machine: reading…", id="system-text")
        yield from self._row("cpu", "CPU")
        yield from self._row("ram", "RAM")

    def _row(self, key: str, label: str) -> ComposeResult:
        self.series.setdefault(key, deque(maxlen=self.history))
        with Horizontal(id=f"row-{key}"):
            yield Static(label, classes="spark-label")
            yield Sparkline([], id=f"spark-{key}")

    def add_sample(self, sample: SystemSample) -> None:
        values = {"cpu": sample.cpu_percent, "ram": sample.ram_percent}
        text = Text(f"CPU {sample.cpu_percent:.0f}%  RAM {sample.ram_percent:.0f}% ")
        text.append(f"({format_bytes(sample.ram_used)}/{format_bytes(sample.ram_total)})", style="dim")
        for gpu in sample.gpus:
            values[f"gpu{gpu.index}"] = gpu.util_percent
            text.append(f"\nGPU{gpu.index} {gpu.util_percent:.0f}%")
            if gpu.temperature_c is not None:
                text.append(f"  {gpu.temperature_c:.0f}°C")
            if gpu.power_w is not None:
                text.append(f"  {gpu.power_w:.0f} W")
            text.append(f"  {format_bytes(gpu.mem_used)}/{format_bytes(gpu.mem_total)}", style="dim")
        if not sample.gpus:
            text.append("\nno NVIDIA GPU (pynvml)", style="dim")
        self.query_one("#system-text", Static).update(text)
        for key, value in values.items():
            if key not in self.series:  # a GPU seen for the first time: its row starts with this value
                self.series[key] = deque([value], maxlen=self.history)
                spark = Sparkline(list(self.series[key]), id=f"spark-{key}")
                self.mount(Horizontal(Static(key.upper(), classes="spark-label"), spark, id=f"row-{key}"))
                continue
            self.series[key].append(value)
            found = self.query(f"#spark-{key}")
            if found:
                found.first(Sparkline).data = list(self.series[key])
