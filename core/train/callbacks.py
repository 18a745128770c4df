"""Trainer callbacks: the event stream + progress line, the watchdog, early stopping (signal stop: signals.py).

Imported only by the runner (it pulls in transformers).

They observe the transformers Trainer and steer it only through `control` flags, so the Trainer keeps doing
what it does well (accumulation, clipping, schedulers, checkpoint contents) and ftui adds what it lacks.
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ftui.core.events import EventWriter
from ftui.core.train.data import TokenCounter
from ftui.core.units import format_duration
from transformers import TrainerCallback


@dataclass
class RunOutcome:
    """Why training ended, filled in by the callbacks and read by the runner."""

    stop_reason: str | None = None  # "signal" | "early_stopping" | "watchdog"
    failure: str | None = None  # watchdog message
    failure_hint: str | None = None
    last_loss: float | None = None
    best_eval_loss: float | None = None
    last_checkpoint: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def _finite(x: Any) -> bool:
    return isinstance(x, (int, float)) and math.isfinite(x)


def _rss() -> int | None:
    try:
        import psutil

        return psutil.Process().memory_info().rss
    except Exception:  # noqa: BLE001 - memory reporting must never break training
        return None


class EventCallback(TrainerCallback):
    """Writes `step`/`eval` events (rank 0) and a human progress line to stderr."""

    def __init__(
        self,
        writer: EventWriter,
        counter: TokenCounter,
        outcome: RunOutcome,
        world_size: int = 1,
        quiet: bool = False,
    ) -> None:
        self.writer = writer
        self.counter = counter
        self.outcome = outcome
        self.world_size = world_size
        self.quiet = quiet
        self.start = self.last_time = time.time()
        self.start_step = 0
        self.on_train_begin_hook: Callable[[Any], None] | None = None  # set by the runner: run_started
        self.extra_metrics: Callable[[dict[str, Any]], dict[str, Any]] | None = None  # flat keys (preference)

    def on_train_begin(self, args, state, control, **kwargs):
        self.start = self.last_time = time.time()
        self.start_step = state.global_step
        if self.on_train_begin_hook is not None:
            self.on_train_begin_hook(state)

    def on_evaluate(self, args, state, control, **kwargs):
        self.counter.take()  # eval batches went through the same collator: not training throughput
        self.last_time = time.time()

    def on_log(self, args, state, control, logs=None, **kwargs):
        logs = logs or {}
        if "loss" not in logs or not state.is_world_process_zero:
            return
        now = time.time()
        tokens, trained, samples = self.counter.take()
        tokens, trained, samples = (
            tokens * self.world_size,
            trained * self.world_size,
            samples * self.world_size,
        )
        dt = max(now - self.last_time, 1e-9)
        self.last_time = now
        elapsed = now - self.start
        done = state.global_step - self.start_step
        remaining = max(state.max_steps - state.global_step, 0)
        eta = elapsed / done * remaining if done > 0 else None
        mem = _device_memory()
        loss = logs.get("loss")
        self.outcome.last_loss = loss
        event = self.writer.emit(
            "step",
            step=state.global_step,
            total_steps=state.max_steps,
            epoch=round(state.epoch or 0.0, 4),
            loss=loss,
            lr=logs.get("learning_rate"),
            grad_norm=logs.get("grad_norm"),
            tokens_per_s=tokens / dt,
            trained_tokens_per_s=trained / dt,
            samples_per_s=samples / dt,
            tokens=tokens,
            trained_tokens=trained,
            elapsed_s=elapsed,
            eta_s=eta,
            rss=_rss(),
            **mem,
            **(self.extra_metrics(logs) if self.extra_metrics is not None else {}),
        )
        if not self.quiet:
            print(progress_line(event), file=sys.stderr, flush=True)


def progress_line(event: dict[str, Any]) -> str:
    loss = event.get("loss")
    gn = event.get("grad_norm")
    parts = [
        f"step {event['step']}/{event['total_steps']}",
        f"epoch {event['epoch']:.2f}",
        f"loss {loss:.4f}" if _finite(loss) else f"loss {loss}",
        f"lr {event['lr']:.2e}" if _finite(event.get("lr")) else "lr ?",
        f"grad {gn:.3f}" if _finite(gn) else f"grad {gn}",
        f"{event['tokens_per_s']:.0f} tok/s ({event['trained_tokens_per_s']:.0f} trained)",
        f"elapsed {format_duration(event['elapsed_s'], '?', clock=True)} "
        f"eta {format_duration(event['eta_s'], '?', clock=True)}",
    ]
    return " | ".join(parts)


def _device_memory() -> dict[str, int | None]:
    try:
        import torch

        if torch.cuda.is_available():
            return {
                "mem_allocated": torch.cuda.memory_allocated(),
                "mem_reserved": torch.cuda.memory_reserved(),
                "mem_peak": torch.cuda.max_memory_allocated(),
            }
    except Exception:  # noqa: BLE001
        pass
    return {"mem_allocated": None, "mem_reserved": None, "mem_peak": None}


class WatchdogCallback(TrainerCallback):
    """Stops a diverging run: NaN/inf loss or grad norm at once, or loss above a threshold for N logs."""

    def __init__(
        self, writer: EventWriter, outcome: RunOutcome, threshold: float | None, patience: int | None
    ):
        self.writer = writer
        self.outcome = outcome
        self.threshold = threshold
        self.patience = max(int(patience or 1), 1)
        self.strikes = 0

    def on_log(self, args, state, control, logs=None, **kwargs):
        logs = logs or {}
        if "loss" not in logs:
            return
        loss, grad_norm = logs.get("loss"), logs.get("grad_norm")
        bad = [
            name for name, v in (("loss", loss), ("grad norm", grad_norm)) if v is not None and not _finite(v)
        ]
        if bad:
            what = " and ".join(
                f"{n} is {v}" for n, v in (("loss", loss), ("grad norm", grad_norm)) if not _finite(v)
            )
            self._stop(
                control,
                state,
                "nan",
                f"training diverged at step {state.global_step}: {what}",
                "lower learning_rate (e.g. by 10x), add warmup_steps, keep max_grad_norm at 1.0; with fp16 try "
                "bf16 (or fp32 on CPU); check the data for empty or extremely long examples",
            )
            return
        if self.threshold is not None and _finite(loss):
            self.strikes = self.strikes + 1 if loss > self.threshold else 0
            if self.strikes == 1:
                self.writer.emit(
                    "warning",
                    kind="loss_watchdog",
                    step=state.global_step,
                    message=f"loss {loss:.4f} is above loss_watchdog_threshold {self.threshold}",
                )
            if self.strikes >= self.patience:
                self._stop(
                    control,
                    state,
                    "loss_watchdog",
                    f"loss stayed above loss_watchdog_threshold {self.threshold} for {self.strikes} "
                    f"consecutive logged steps (last {loss:.4f})",
                    "lower learning_rate, add warmup, or raise loss_watchdog_threshold if this loss is expected",
                )

    def _stop(self, control, state, kind: str, message: str, hint: str) -> None:
        self.writer.emit("warning", kind=kind, step=state.global_step, message=message)
        self.outcome.stop_reason = "watchdog"
        self.outcome.failure = message
        self.outcome.failure_hint = hint
        control.should_training_stop = True
        control.should_save = False  # never checkpoint diverged weights


class EarlyStoppingCallback(TrainerCallback):
    """Stop when eval_loss has not improved for `patience` evaluations (no need to load the best model)."""

    def __init__(self, outcome: RunOutcome, patience: int | None) -> None:
        self.outcome = outcome
        self.patience = patience
        self.best: float | None = None
        self.bad = 0

    def on_evaluate(self, args, state, control, metrics=None, **kwargs):
        loss = (metrics or {}).get("eval_loss")
        if not _finite(loss):
            return
        if self.best is None or loss < self.best:
            self.best = loss
            self.bad = 0
        elif self.patience:
            self.bad += 1
            if self.bad >= self.patience:
                self.outcome.stop_reason = "early_stopping"
                control.should_save = True
                control.should_training_stop = True
