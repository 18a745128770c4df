"""The histories a monitor draws, kept bounded: a 100,000-step run costs the same to chart as a short one.

Loss (raw and smoothed), LR, eval loss, assertion pass rate and, for preference runs (`rl:`), reward margin
and accuracy of train steps and evals live in `BucketSeries`; throughput in short windows for sparklines.
"""

from __future__ import annotations

import math
from collections import deque
from typing import Any

from ftui.core.events import number
from ftui.core.metrics import BucketSeries, Ema

THROUGHPUT_WINDOW = 120  # samples kept for the throughput sparklines
REWARD_KEYS = ("rewards_margin", "rewards_accuracy")


class ChartSeries:
    """Step and eval values of one run, appended as its events arrive."""

    def __init__(self, capacity: int = 1024, smoothing: float = 0.9) -> None:
        self.capacity = capacity
        self.loss = BucketSeries(capacity)
        self.loss_ema = BucketSeries(capacity)
        self.lr = BucketSeries(capacity)
        self.eval_loss = BucketSeries(capacity)
        self.pass_rate = BucketSeries(capacity)
        self.rewards_margin = BucketSeries(capacity)
        self.rewards_accuracy = BucketSeries(capacity)
        self.eval_rewards_margin = BucketSeries(capacity)
        self.eval_rewards_accuracy = BucketSeries(capacity)
        self.tokens_per_s: deque[float] = deque(maxlen=THROUGHPUT_WINDOW)
        self.trained_tokens_per_s: deque[float] = deque(maxlen=THROUGHPUT_WINDOW)
        self.best_eval_loss: float | None = None
        self._smoothing = smoothing
        self._ema = Ema(smoothing)

    def _stepped(self) -> tuple[BucketSeries, ...]:
        return (
            self.loss,
            self.loss_ema,
            self.lr,
            self.eval_loss,
            self.pass_rate,
            self.rewards_margin,
            self.rewards_accuracy,
            self.eval_rewards_margin,
            self.eval_rewards_accuracy,
        )

    def resume_at(self, step: int) -> None:
        """A (re)started run continues from `step`: drop later points, continue the smoothed curve."""
        for series in self._stepped():
            series.truncate_after(step)
        self._ema = Ema(self._smoothing)
        if self.loss_ema.last is not None:  # continue the smoothed curve where it stopped
            for _ in range(20):
                self._ema.update(self.loss_ema.last[1])

    def add_step(self, event: dict[str, Any], step: float) -> None:
        loss = number(event.get("loss"))
        if loss is not None:
            self.loss.append(step, loss)
            if math.isfinite(loss):
                self.loss_ema.append(step, self._ema.update(loss))
        lr = number(event.get("lr"))
        if lr is not None:
            self.lr.append(step, lr)
        self._rewards(event, step, "")
        for key, target in (
            ("tokens_per_s", self.tokens_per_s),
            ("trained_tokens_per_s", self.trained_tokens_per_s),
        ):
            value = number(event.get(key))
            if value is not None and math.isfinite(value):
                target.append(value)

    def add_eval(self, event: dict[str, Any], step: float) -> None:
        value = number(event.get("eval_loss"))
        if value is not None:
            self.eval_loss.append(step, value)
            if math.isfinite(value) and (self.best_eval_loss is None or value < self.best_eval_loss):
                self.best_eval_loss = value
        rate = number(event.get("assertion_pass_rate"))
        if rate is not None:
            self.pass_rate.append(step, rate)
        self._rewards(event, step, "eval_")

    def _rewards(self, event: dict[str, Any], step: float, prefix: str) -> None:
        for key in REWARD_KEYS:
            value = number(event.get(prefix + key))
            if value is not None and math.isfinite(value):
                getattr(self, prefix + key).append(step, value)
