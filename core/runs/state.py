"""One run followed from its events (`RunState`): what a monitor, the runs list and the model card show.

A monitor keeps one `RunState` per run and calls `poll()` a few times a second: only the bytes appended since
the last call are read (core/events.py `EventReader`), and the chart histories are bounded (series.py).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ftui.core.events import TERMINAL_EVENTS, EventReader, number
from ftui.core.runs.layout import EVENTS_FILE, read_launch_info
from ftui.core.runs.liveness import run_status
from ftui.core.runs.series import ChartSeries


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
        self.series = ChartSeries(capacity, smoothing)
        self.warnings: deque[dict[str, Any]] = deque(maxlen=200)
        self.checkpoints: deque[dict[str, Any]] = deque(maxlen=50)
        self.pushes: deque[dict[str, Any]] = deque(maxlen=50)  # `pushed` events (Hub)
        self.notices: deque[dict[str, Any]] = deque(maxlen=200)  # warnings, checkpoints, evals, start/end
        self.notice_count = 0
        self.first_time: float | None = None
        self.last_time: float | None = None
        self.events_seen = 0
        self.version = 0
        self.pending = False
        self._smoothing = smoothing

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
        self.__init__(self.run_dir, self.series.capacity, self._smoothing)  # type: ignore[misc]
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
        step = number(event.get("step"))
        if kind == "run_started":
            resumed = int(number(event.get("resumed_from_step")) or 0)
            if self.started is not None or resumed:
                self.series.resume_at(resumed)
            self.started = event
            self.terminal = None
        elif kind == "step" and step is not None:
            self.last_step = event
            self.series.add_step(event, step)
        elif kind == "eval":
            self.last_eval = event
            if step is not None:
                self.series.add_eval(event, step)
        elif kind == "checkpoint":
            self.checkpoints.append(event)
        elif kind == "warning":
            self.warnings.append(event)
        elif kind == "pushed":
            self.pushes.append(event)
        elif kind in TERMINAL_EVENTS:
            self.terminal = event

    def read_all(self) -> RunState:
        """Catch up fully (for listings and tests)."""
        self.poll(max_bytes=1 << 40)
        return self

    # --- derived -------------------------------------------------------------------------------------
    @property
    def method(self) -> str:
        """ "sft" or the preference method (run_started's `method`, else the config's `rl:`)."""
        started = self.started or {}
        return str(started.get("method") or (started.get("config") or {}).get("rl") or "sft")

    @property
    def status(self) -> str:
        """One of liveness.STATUSES, from the events and whether the run's processes live.

        A process seen dead may have written its last event after the last poll and exited since: the rest
        of the file is read before a run is called died (a read after the exit sees all it wrote)."""
        status = run_status(self.started, self.terminal, self.launch, self.events_seen)
        if status == "died":
            self.poll(max_bytes=1 << 40)
            status = run_status(self.started, self.terminal, self.launch, self.events_seen)
        return status

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
    def best_eval_loss(self) -> float | None:
        return self.series.best_eval_loss

    @property
    def final_loss(self) -> float | None:
        value = number((self.terminal or {}).get("final_loss"))
        if value is not None:
            return value
        return self.series.loss.last[1] if self.series.loss.last else None

    @property
    def best_loss(self) -> float | None:
        """Best eval loss when the run evaluates, else the lowest train loss."""
        if self.best_eval_loss is not None:
            return self.best_eval_loss
        return self.series.loss.min[1] if self.series.loss.min else None

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

    @property
    def destinations(self) -> list:
        """Where the run logs (trackers) and pushes (Hub), as core/destinations.py words it."""
        from ftui.core.destinations import destinations

        return destinations(self.started, self.pushes, self.warnings)

    def summary(self) -> RunSummary:
        """The runs-list line of this run as followed so far."""
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
