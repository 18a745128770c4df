"""The run event stream: `OUTPUT_DIR/events.jsonl`, the contract between a trainer and any monitor.

Append-only JSON lines, one event per line, flushed per line, written by rank 0 only. The schema is in
docs/events.md; bump `SCHEMA_VERSION` on any incompatible change. `EventReader` follows the file
incrementally (keeps its byte offset) and tolerates a partial last line, so a monitor never re-reads the file.
"""

from __future__ import annotations

import json
import math
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ftui.core.runs.layout import EVENTS_FILE

SCHEMA_VERSION = 1
EVENT_TYPES = (
    "run_started",
    "step",
    "eval",
    "checkpoint",
    "warning",
    "pushed",
    "stopped",
    "finished",
    "failed",
)
TERMINAL_EVENTS = ("stopped", "finished", "failed")
# The fields of each event type (docs/events.md): (always present, present when they apply). A strict
# EventWriter refuses an event that misses one of the first or carries a field in neither; the tests'
# fake trainer writes strictly and real runs are checked with `schema_problems`, so a schema change
# breaks both the monitor tests and the trainer tests until they agree again.
# Preference runs' step metrics (core/preference/trainers.py FLAT_METRICS); eval events carry them with `eval_`.
PREFERENCE_METRICS: tuple[str, ...] = (
    "rewards_chosen", "rewards_rejected", "rewards_margin", "rewards_accuracy", "logps_chosen", "logps_rejected",
    "log_odds_ratio", "log_odds_chosen", "nll_loss", "kl",
)  # fmt: skip
EVENT_FIELDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "run_started": (
        ("run_id", "config", "estimate", "world_size", "device", "device_name", "precision", "loss_impl",
         "total_steps", "num_epochs", "steps_per_epoch", "resumed_from_step", "pid", "train_examples",
         "eval_examples", "packed", "trainable_params", "total_params", "trackers", "hub"),
        ("method", "preference", "pid_since_boot"),
    ),
    "step": (
        ("step", "total_steps", "epoch", "loss", "lr", "grad_norm", "tokens_per_s", "trained_tokens_per_s",
         "samples_per_s", "tokens", "trained_tokens", "elapsed_s", "eta_s", "rss", "mem_allocated",
         "mem_reserved", "mem_peak"),
        PREFERENCE_METRICS,
    ),
    "eval": (
        ("step", "epoch", "eval_loss"),
        ("assertion_pass_rate", "assertion_total", "samples", *(f"eval_{k}" for k in PREFERENCE_METRICS)),
    ),
    "checkpoint": (("step", "path"), ()),
    "warning": (("message",), ("step", "kind", "hint")),
    "pushed": (("step", "repo", "url", "commit", "what", "files"), ()),
    "stopped": (("step", "reason", "checkpoint"), ()),
    "finished": (("step", "final_loss", "best_eval_loss", "output_dir", "elapsed_s"), ("adapter_dir", "model_dir")),
    "failed": (("step", "error_class", "message", "traceback_tail", "hint"), ("suggestions",)),
}  # fmt: skip


def schema_problems(event: dict[str, Any]) -> list[str]:
    """What makes `event` differ from the schema: unknown type, wrong version, missing or unknown fields."""
    kind = event.get("type")
    if kind not in EVENT_FIELDS:
        return [f"unknown event type {kind!r}"]
    required, optional = EVENT_FIELDS[kind]
    problems = [] if event.get("v") == SCHEMA_VERSION else [f"{kind}: v is {event.get('v')!r}"]
    if not isinstance(event.get("time"), float):
        problems.append(f"{kind}: time must be a float (Unix seconds)")
    problems += [f"{kind}: missing field {name!r}" for name in required if name not in event]
    known = {"type", "v", "time", *required, *optional}
    problems += [f"{kind}: unknown field {name!r}" for name in event if name not in known]
    return problems


def _clean(value: Any) -> Any:
    """JSON has no NaN/inf: write them as strings so the line stays valid JSON and the fact survives."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    return value


class EventWriter:
    """Appends events to events.jsonl; each line is written and flushed whole. `secrets` (the config's
    credential values, core/config/secrets.py) never reach the file: any string holding one shows ***.
    `strict` refuses events that differ from EVENT_FIELDS; `clock` gives the `time` field (tests fix it)."""

    def __init__(
        self,
        run_dir: str | Path,
        enabled: bool = True,
        secrets: tuple[str, ...] = (),
        *,
        strict: bool = False,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.path = Path(run_dir) / EVENTS_FILE
        self.enabled = enabled
        self.secrets = tuple(s for s in secrets if s)
        self.strict = strict
        self.clock = clock
        self._file = None
        if enabled:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._file = open(self.path, "a", encoding="utf-8")  # noqa: SIM115 - kept open for the run

    def event(self, event_type: str, **fields: Any) -> dict[str, Any]:
        """The event as it will be written (checked against the schema when strict), without writing it."""
        if event_type not in EVENT_TYPES:
            raise ValueError(f"unknown event type {event_type!r}")
        event = {"type": event_type, "v": SCHEMA_VERSION, "time": float(self.clock()), **fields}
        if self.strict and (problems := schema_problems(event)):
            raise ValueError("; ".join(problems))
        return event

    def line(self, event: dict[str, Any]) -> str:
        """The JSON line for an event: non-finite floats as strings, secrets masked."""
        clean = _clean(event)
        if self.secrets:
            from ftui.core.config.secrets import scrub

            clean = scrub(clean, self.secrets)
        return json.dumps(clean, ensure_ascii=False) + "\n"

    def emit(self, event_type: str, **fields: Any) -> dict[str, Any]:
        return self.write(self.event(event_type, **fields))

    def write(self, event: dict[str, Any]) -> dict[str, Any]:
        """Append an event made by `event` (or by another writer with the same rules); flushed, and synced
        to disk when it ends the run."""
        if self.strict and (problems := schema_problems(event)):
            raise ValueError("; ".join(problems))
        if self._file is not None:
            self._file.write(self.line(event))
            self._file.flush()
            if event["type"] in TERMINAL_EVENTS:
                os.fsync(self._file.fileno())
        return event

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


def number(value: Any) -> float | None:
    """Read a numeric field back: floats stay, 'nan'/'inf' strings become floats, anything else None."""
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


@dataclass
class EventReader:
    """Incremental reader: `poll()` returns only the complete lines added since the last call."""

    path: Path
    offset: int = 0
    bad_lines: int = 0
    _partial: bytes = field(default=b"", repr=False)

    def __init__(self, run_dir_or_file: str | Path) -> None:
        p = Path(run_dir_or_file)
        self.path = p / EVENTS_FILE if p.is_dir() or p.suffix != ".jsonl" else p
        self.offset = 0
        self.bad_lines = 0
        self._partial = b""

    def poll(self, max_bytes: int = 16 << 20) -> list[dict[str, Any]]:
        try:
            with open(self.path, "rb") as f:
                size = os.fstat(f.fileno()).st_size
                if size < self.offset:  # file truncated or replaced: start over
                    self.offset, self._partial = 0, b""
                f.seek(self.offset)
                chunk = f.read(min(max_bytes, size - self.offset))  # read(n) preallocates n bytes
        except FileNotFoundError:
            return []
        self.offset += len(chunk)
        data = self._partial + chunk
        lines = data.split(b"\n")
        self._partial = lines.pop()  # b"" when data ended with a newline; else a partial last line
        events = []
        for line in lines:
            if not line.strip():
                continue
            try:
                event = json.loads(line)
            except (json.JSONDecodeError, UnicodeDecodeError):
                self.bad_lines += 1
                continue
            if isinstance(event, dict) and "type" in event:
                events.append(event)
            else:
                self.bad_lines += 1
        return events


def read_events(run_dir: str | Path) -> list[dict[str, Any]]:
    """All complete events of a run (for finished runs and tests)."""
    return EventReader(run_dir).poll(max_bytes=1 << 40)
