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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SCHEMA_VERSION = 1
EVENTS_FILE = "events.jsonl"
EVENT_TYPES = ("run_started", "step", "eval", "checkpoint", "warning", "stopped", "finished", "failed")
TERMINAL_EVENTS = ("stopped", "finished", "failed")


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
    """Appends events to events.jsonl; each line is written and flushed whole."""

    def __init__(self, run_dir: str | Path, enabled: bool = True) -> None:
        self.path = Path(run_dir) / EVENTS_FILE
        self.enabled = enabled
        self._file = None
        if enabled:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._file = open(self.path, "a", encoding="utf-8")  # noqa: SIM115 - kept open for the run

    def emit(self, event_type: str, **fields: Any) -> dict[str, Any]:
        if event_type not in EVENT_TYPES:
            raise ValueError(f"unknown event type {event_type!r}")
        event = {"type": event_type, "v": SCHEMA_VERSION, "time": time.time(), **fields}
        if self._file is not None:
            self._file.write(json.dumps(_clean(event), ensure_ascii=False) + "\n")
            self._file.flush()
            if event_type in TERMINAL_EVENTS:
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
