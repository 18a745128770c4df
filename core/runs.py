"""Runs on disk: follow one run's events incrementally (`RunState`) and list every run under a workspace.

A run directory is a trainer's OUTPUT_DIR: it holds `events.jsonl` (docs/events.md) and, when ftui launched
it, `launch.json` (pid, command) and `launch.log` (the trainer's stdout/stderr). A monitor keeps one
`RunState` per run and calls `poll()` a few times a second: only the bytes appended since the last call are
read, and histories live in bounded `BucketSeries`, so a 100,000-step run costs the same to watch as a short one.
"""

from __future__ import annotations

import json
import math
import os
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil
from ftui.core.events import EVENTS_FILE, TERMINAL_EVENTS, EventReader, number
from ftui.core.metrics import BucketSeries, Ema

LAUNCH_FILE = "launch.json"
LOG_FILE = "launch.log"
STATUSES = ("starting", "running", "finished", "stopped", "failed", "died")
WORKSPACE_ENV = "FTUI_RUNS"
_SKIP_DIRS = {".git", ".venv", "venv", "node_modules", "__pycache__", ".cache", "checkpoints"}


def pid_alive(pid: int | None, not_before: float | None = None) -> bool:
    """True when `pid` runs and is not a zombie; with `not_before` (Unix time) a process created later than
    that (plus slack) is a recycled pid, not ours."""
    if not pid or pid <= 0:
        return False
    try:
        proc = psutil.Process(pid)
        if proc.status() == psutil.STATUS_ZOMBIE:
            return False
        if not_before is not None and proc.create_time() > not_before + 2.0:
            return False
        return True
    except (psutil.NoSuchProcess, psutil.AccessDenied, ProcessLookupError):
        return False


def read_launch_info(run_dir: str | Path) -> dict[str, Any] | None:
    """`launch.json` written by `ftui.core.launch` (pid, command, config, started), or None."""
    try:
        data = json.loads((Path(run_dir) / LAUNCH_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


@dataclass(frozen=True)
class RunSummary:
    """One line of the runs list."""

    run_dir: Path
    name: str
    status: str
    model: str | None
    best_loss: float | None
    final_loss: float | None
    step: int
    total_steps: int | None
    duration_s: float | None
    started: float | None
    error: str | None = None
    destinations: tuple = ()  # core/destinations.py: where the run logged and pushed
    method: str = "sft"  # or the preference method (rl:)


class RunState:
    """Everything a monitor shows about one run, built from its events as they arrive."""

    def __init__(self, run_dir: str | Path, capacity: int = 1024, smoothing: float = 0.9) -> None:
        self.run_dir = Path(run_dir)
        self.reader = EventReader(self.run_dir / EVENTS_FILE)
        self.launch = read_launch_info(self.run_dir)
        self.started: dict[str, Any] | None = None
        self.last_step: dict[str, Any] | None = None
        self.terminal: dict[str, Any] | None = None
        self.last_eval: dict[str, Any] | None = None
        self.loss = BucketSeries(capacity)
        self.loss_ema = BucketSeries(capacity)
        self.lr = BucketSeries(capacity)
        self.eval_loss = BucketSeries(capacity)
        self.pass_rate = BucketSeries(capacity)
        # preference runs (rl:): reward margin and accuracy of the train steps and the evals
        self.rewards_margin = BucketSeries(capacity)
        self.rewards_accuracy = BucketSeries(capacity)
        self.eval_rewards_margin = BucketSeries(capacity)
        self.eval_rewards_accuracy = BucketSeries(capacity)
        self.tokens_per_s: deque[float] = deque(maxlen=120)
        self.trained_tokens_per_s: deque[float] = deque(maxlen=120)
        self.warnings: deque[dict[str, Any]] = deque(maxlen=200)
        self.checkpoints: deque[dict[str, Any]] = deque(maxlen=50)
        self.pushes: deque[dict[str, Any]] = deque(maxlen=50)  # `pushed` events (Hub)
        self.notices: deque[dict[str, Any]] = deque(maxlen=200)  # warnings, checkpoints, evals, start/end
        self.notice_count = 0
        self.best_eval_loss: float | None = None
        self.first_time: float | None = None
        self.last_time: float | None = None
        self.events_seen = 0
        self.version = 0
        self.pending = False
        self._smoothing = smoothing
        self._ema = Ema(smoothing)

    # --- reading -------------------------------------------------------------------------------------
    def poll(self, max_bytes: int = 512 << 10) -> bool:
        """Apply the events appended since the last call; True when anything changed.

        `max_bytes` bounds the work per call so a UI can catch up on a huge finished run in slices;
        `pending` then says more is waiting.
        """
        try:
            if (self.run_dir / EVENTS_FILE).stat().st_size < self.reader.offset:
                self._restart()  # the file was replaced (a fresh run in the same folder): start over
        except OSError:
            pass
        before = self.reader.offset
        events = self.reader.poll(max_bytes=max_bytes)
        self.pending = self.reader.offset - before >= max_bytes
        if self.launch is None:
            self.launch = read_launch_info(self.run_dir)
        for event in events:
            self.apply(event)
        if events:
            self.version += 1
        return bool(events)

    def _restart(self) -> None:
        version = self.version
        self.__init__(self.run_dir, self.loss.capacity, self._smoothing)  # type: ignore[misc]
        self.version = version + 1

    def apply(self, event: dict[str, Any]) -> None:
        kind = event.get("type")
        self.events_seen += 1
        when = number(event.get("time"))
        if when is not None:
            self.first_time = when if self.first_time is None else self.first_time
            self.last_time = when
        if kind != "step":
            self.notices.append(event)
            self.notice_count += 1
        if kind == "run_started":
            self._on_started(event)
        elif kind == "step":
            self._on_step(event)
        elif kind == "eval":
            self._on_eval(event)
        elif kind == "checkpoint":
            self.checkpoints.append(event)
        elif kind == "warning":
            self.warnings.append(event)
        elif kind == "pushed":
            self.pushes.append(event)
        elif kind in TERMINAL_EVENTS:
            self.terminal = event

    def _on_started(self, event: dict[str, Any]) -> None:
        resumed = int(number(event.get("resumed_from_step")) or 0)
        if self.started is not None or resumed:
            for series in (
                self.loss,
                self.loss_ema,
                self.lr,
                self.eval_loss,
                self.pass_rate,
                *self._reward_series(),
            ):
                series.truncate_after(resumed)
            self._ema = Ema(self._smoothing)
            if self.loss_ema.last is not None:  # continue the smoothed curve where it stopped
                for _ in range(20):
                    self._ema.update(self.loss_ema.last[1])
        self.started = event
        self.terminal = None

    def _on_step(self, event: dict[str, Any]) -> None:
        step = number(event.get("step"))
        if step is None:
            return
        self.last_step = event
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

    def _on_eval(self, event: dict[str, Any]) -> None:
        step = number(event.get("step"))
        self.last_eval = event
        if step is None:
            return
        value = number(event.get("eval_loss"))
        if value is not None:
            self.eval_loss.append(step, value)
            if math.isfinite(value) and (self.best_eval_loss is None or value < self.best_eval_loss):
                self.best_eval_loss = value
        rate = number(event.get("assertion_pass_rate"))
        if rate is not None:
            self.pass_rate.append(step, rate)
        self._rewards(event, step, "eval_")

    def _reward_series(self) -> tuple[BucketSeries, ...]:
        return (
            self.rewards_margin,
            self.rewards_accuracy,
            self.eval_rewards_margin,
            self.eval_rewards_accuracy,
        )

    def _rewards(self, event: dict[str, Any], step: float, prefix: str) -> None:
        for key in ("rewards_margin", "rewards_accuracy"):
            value = number(event.get(prefix + key))
            if value is not None and math.isfinite(value):
                getattr(self, prefix + key).append(step, value)

    @property
    def method(self) -> str:
        """ "sft" or the preference method (run_started's `method`, else the config's `rl:`)."""
        started = self.started or {}
        return str(started.get("method") or (started.get("config") or {}).get("rl") or "sft")

    # --- derived -------------------------------------------------------------------------------------
    @property
    def status(self) -> str:
        if self.terminal is not None:
            return str(self.terminal.get("type"))
        if self.started is not None:
            started_at = number(self.started.get("time"))
            if pid_alive(_int(self.started.get("pid")), started_at) or self._launcher_alive():
                return "running"
            return "died"
        if self._launcher_alive():
            return "starting"
        return "died" if self.launch is not None or self.events_seen else "starting"

    def _launcher_alive(self) -> bool:
        if not self.launch:
            return False
        return pid_alive(_int(self.launch.get("pid")), number(self.launch.get("started")))

    @property
    def active(self) -> bool:
        return self.status in ("starting", "running")

    @property
    def config(self) -> dict[str, Any]:
        cfg = (self.started or {}).get("config")
        return cfg if isinstance(cfg, dict) else {}

    @property
    def model(self) -> str | None:
        model = self.config.get("base_model")
        return str(model) if model else None

    @property
    def step(self) -> int:
        for event in (self.terminal, self.last_step):
            value = number((event or {}).get("step"))
            if value is not None:
                return int(value)
        return int(number((self.started or {}).get("resumed_from_step")) or 0)

    @property
    def total_steps(self) -> int | None:
        for event in (self.last_step, self.started):
            value = number((event or {}).get("total_steps"))
            if value:
                return int(value)
        return None

    @property
    def final_loss(self) -> float | None:
        value = number((self.terminal or {}).get("final_loss"))
        if value is not None:
            return value
        return self.loss.last[1] if self.loss.last else None

    @property
    def best_loss(self) -> float | None:
        """Best eval loss when the run evaluates, else the lowest train loss."""
        if self.best_eval_loss is not None:
            return self.best_eval_loss
        return self.loss.min[1] if self.loss.min else None

    @property
    def duration_s(self) -> float | None:
        value = number((self.terminal or {}).get("elapsed_s"))
        if value is None:
            value = number((self.last_step or {}).get("elapsed_s"))
        if value is None and self.first_time is not None and self.last_time is not None:
            value = self.last_time - self.first_time
        return value

    @property
    def error(self) -> str | None:
        if self.terminal and self.terminal.get("type") == "failed":
            cls = self.terminal.get("error_class") or "Error"
            return f"{cls}: {self.terminal.get('message') or ''}".strip()
        return None

    @property
    def name(self) -> str:
        return self.run_dir.name or str(self.run_dir)

    def summary(self) -> RunSummary:
        started = number((self.launch or {}).get("started")) or self.first_time
        return RunSummary(
            run_dir=self.run_dir,
            name=self.name,
            status=self.status,
            model=self.model or (self.launch or {}).get("model"),
            best_loss=self.best_loss,
            final_loss=self.final_loss,
            step=self.step,
            total_steps=self.total_steps,
            duration_s=self.duration_s,
            started=started,
            error=self.error,
            destinations=tuple(self.destinations),
            method=self.method,
        )

    @property
    def destinations(self) -> list:
        """Where the run logs (trackers) and pushes (Hub), as core/destinations.py words it."""
        from ftui.core.destinations import destinations

        return destinations(self.started, self.pushes, self.warnings)

    def read_all(self) -> RunState:
        """Catch up fully (for listings and tests)."""
        self.poll(max_bytes=1 << 40)
        return self


def _int(value: Any) -> int | None:
    number_value = number(value)
    return int(number_value) if number_value is not None else None


def default_workspace() -> Path:
    """Where runs are looked for: $FTUI_RUNS, else ./runs, else ./outputs, else the current folder."""
    env = os.environ.get(WORKSPACE_ENV)
    if env:
        return Path(env)
    for name in ("runs", "outputs"):
        if Path(name).is_dir():
            return Path(name)
    return Path(".")


def is_run_dir(path: Path) -> bool:
    return (path / EVENTS_FILE).is_file() or (path / LAUNCH_FILE).is_file()


def find_run_dirs(workspace: str | Path, max_depth: int = 3) -> list[Path]:
    """Run directories under `workspace` (itself included), at most `max_depth` levels down."""
    root = Path(workspace)
    found: list[Path] = []

    def walk(folder: Path, depth: int) -> None:
        if is_run_dir(folder):
            found.append(folder)
            return  # a run's own subfolders (checkpoints) are not runs
        if depth >= max_depth:
            return
        try:
            children = sorted(p for p in folder.iterdir() if p.is_dir())
        except OSError:
            return
        for child in children:
            if child.name.startswith(".") or child.name in _SKIP_DIRS:
                continue
            walk(child, depth + 1)

    if root.is_dir():
        walk(root, 0)
    return found


def sort_key(summary: RunSummary) -> tuple[float, str]:
    """Newest first; runs that never started sort last."""
    return (-(summary.started or 0.0), summary.name)


def list_runs(workspace: str | Path) -> list[RunSummary]:
    """Summaries of every run under `workspace`, newest first."""
    return sorted((RunState(d).read_all().summary() for d in find_run_dirs(workspace)), key=sort_key)


def format_started(started: float | None) -> str:
    """Local date and time of a run's start, `-` when unknown."""
    if started is None:
        return "-"
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(started))
