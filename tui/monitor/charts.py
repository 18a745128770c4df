"""Plotext charts of a run: loss (raw, EMA, eval on the same axes), learning rate, and several runs compared.

Charts replot only when the run's data version changed (or the size did) and never plot more than about two
points per column: histories come from bounded `BucketSeries` and are min/max-downsampled to the width.
Log scale is drawn by plotting log10 values with tick labels in the original units (plotext's own log
scale redraws badly).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from ftui.core.metrics import downsample_minmax, log10_values
from ftui.core.runs.state import RunState
from textual_plotext import PlotextPlot

SERIES_COLORS = ("cyan", "orange", "magenta", "green", "yellow", "blue", "red", "white")


def _log_ticks(low: float, high: float, count: int = 5) -> tuple[list[float], list[str]]:
    """Tick positions (in log10 units) and labels in real units for a hand-made log axis."""
    if not (math.isfinite(low) and math.isfinite(high)) or high <= low:
        return [low], [f"{10**low:.3g}"]
    positions = [low + (high - low) * i / (count - 1) for i in range(count)]
    return positions, [f"{10**p:.3g}" for p in positions]


def _linear_ticks(low: float, high: float, count: int = 4) -> tuple[list[float], list[str]]:
    """Evenly spaced ticks with short labels (plotext mislabels tiny ranges such as learning rates:
    it printed 0.000117 above 0.000200)."""
    if not (math.isfinite(low) and math.isfinite(high)):
        return [], []
    if high <= low or count < 2:
        return [high], [f"{high:.3g}"]
    positions = [low + (high - low) * i / (count - 1) for i in range(count)]
    return positions, [f"{p:.3g}" for p in positions]


def step_ticks(last_step: float, count: int = 5) -> list[int]:
    """Whole-number step ticks from 0 to the last step (plotext would print 6.5)."""
    top = max(1, int(last_step))
    return sorted({round(top * i / (count - 1)) for i in range(count)})


class CachedChart(PlotextPlot):
    """A plotext chart that replots only when `plot_key()` (data versions, size, options) changed."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.log_scale = False
        self._plotted: tuple | None = None

    def on_resize(self) -> None:
        self._plotted = None
        self.update_chart()

    def set_log_scale(self, on: bool) -> None:
        self.log_scale = on
        self._plotted = None
        self.update_chart()

    def plot_key(self) -> tuple:
        raise NotImplementedError

    def draw(self, max_points: int) -> None:
        raise NotImplementedError

    def update_chart(self) -> bool:
        """Replot when the data or the size changed; returns whether it did."""
        key = (self.plot_key(), self.size.width, self.size.height, self.log_scale)
        if key == self._plotted:
            return False
        self._plotted = key
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        self.draw(max(40, self.size.width))
        self.refresh()
        return True

    def _ys(self, ys: Sequence[float]) -> list[float]:
        return log10_values(ys) if self.log_scale else list(ys)

    def _finish_axes(self, all_ys: list[float], last_step: float | None) -> None:
        """x axis in whole steps up to `last_step`; on log scale, y ticks labelled in real units."""
        plt = self.plt
        plt.xlabel("step")
        if last_step is not None:
            plt.xticks(step_ticks(last_step))
        if self.log_scale and all_ys:
            ticks, labels = _log_ticks(min(all_ys), max(all_ys))
            plt.yticks(ticks, labels)


class RunChart(CachedChart):
    """Base for charts of one run: knows its state and the data version it last plotted."""

    DEFAULT_CSS = "RunChart { height: 1fr; }"

    def __init__(self, state: RunState, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.state = state

    def plot_key(self) -> tuple:
        return (self.state.version,)

    def _last_step(self) -> float | None:
        last = self.state.series.loss.last or self.state.series.lr.last
        return last[0] if last is not None else None


class LossChart(RunChart):
    """Train loss raw and EMA-smoothed, eval loss as points, on the same axes."""

    def draw(self, max_points: int) -> None:
        plt = self.plt
        state = self.state
        plotted: list[float] = []
        title = "loss" + (" (log scale)" if self.log_scale else "")
        for series, label, color, marker in (
            (state.series.loss, "train", "cyan", "braille"),
            (state.series.loss_ema, "train EMA", "orange", "braille"),
            (state.series.eval_loss, "eval", "magenta", "dot"),
        ):
            xs, ys = series.points()
            if not xs:
                continue
            xs, ys = downsample_minmax(xs, ys, max_points)
            ys = self._ys(ys)
            plotted += ys
            if series is state.series.eval_loss:
                plt.scatter(xs, ys, label=label, color=color, marker=marker)
            else:
                plt.plot(xs, ys, label=label, color=color, marker=marker)
        if not plotted:
            title += ": waiting for the first step"
        plt.title(title)
        self._finish_axes(plotted, self._last_step())


class LrChart(RunChart):
    """The learning-rate schedule as it happens (warmup, decay, restarts); the title carries the current value
    because a short panel has no room for a y axis."""

    def draw(self, max_points: int) -> None:
        plt = self.plt
        xs, ys = self.state.series.lr.points()
        title = "learning rate"
        if xs:
            title += f"  now {ys[-1]:.3g}  max {max(ys):.3g}"
            xs, ys = downsample_minmax(xs, ys, max_points)
            plt.plot(xs, ys, color="green", marker="braille")
            rows = self.size.height - 5  # title, frame and the x axis take five rows
            plt.yticks(*(_linear_ticks(min(ys), max(ys), count=min(4, rows)) if rows >= 1 else ([], [])))
        plt.title(title)
        self._finish_axes([], self._last_step())


class RewardChart(RunChart):
    """Preference runs: the reward margin (chosen - rejected) and the reward accuracy (0-1), train as lines
    and eval as points; shown next to the loss only when the run has them."""

    def draw(self, max_points: int) -> None:
        plt = self.plt
        state = self.state
        drawn = False
        for series, label, color, scatter in (
            (state.series.rewards_margin, "margin", "cyan", False),
            (state.series.rewards_accuracy, "accuracy", "green", False),
            (state.series.eval_rewards_margin, "eval margin", "magenta", True),
            (state.series.eval_rewards_accuracy, "eval accuracy", "yellow", True),
        ):
            xs, ys = series.points()
            if not xs:
                continue
            drawn = True
            xs, ys = downsample_minmax(xs, ys, max_points)
            (plt.scatter if scatter else plt.plot)(
                xs, ys, label=label, color=color, marker="dot" if scatter else "braille"
            )
        plt.title("reward margin and accuracy" + ("" if drawn else ": waiting for the first step"))
        self._finish_axes([], self._last_step())


class CompareChart(CachedChart):
    """Loss curves (EMA or raw) of several runs overlaid, one colour per run."""

    DEFAULT_CSS = "CompareChart { height: 1fr; }"

    def __init__(self, states: list[RunState], *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.states = states
        self.smoothed = True

    def plot_key(self) -> tuple:
        return (tuple(s.version for s in self.states), self.smoothed)

    def draw(self, max_points: int) -> None:
        plt = self.plt
        plotted: list[float] = []
        for index, state in enumerate(self.states):
            xs, ys = (state.series.loss_ema if self.smoothed else state.series.loss).points()
            if not xs:
                continue
            xs, ys = downsample_minmax(xs, ys, max_points)
            ys = self._ys(ys)
            plotted += ys
            color = SERIES_COLORS[index % len(SERIES_COLORS)]
            plt.plot(xs, ys, label=state.name, color=color, marker="braille")
        kind = "EMA" if self.smoothed else "raw"
        plt.title(f"train loss ({kind}{', log scale' if self.log_scale else ''})")
        last_steps = [s.series.loss.last[0] for s in self.states if s.series.loss.last]
        self._finish_axes(plotted, max(last_steps) if last_steps else None)
