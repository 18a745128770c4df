"""Whether a run's processes live, and the status that follows from its events and that liveness.

A run has up to two pids: the launcher ftui started (`launch.json`) and the trainer's own (`run_started`).
A pid is only ours while its process was created before the record was written (pids get recycled).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import psutil
from ftui.core.events import number, read_events
from ftui.core.runs.layout import read_launch_info

STATUSES = ("starting", "running", "finished", "stopped", "failed", "died")
PID_SLACK_S = 2.0  # a process created this much after its record is a recycled pid


def pid_alive(pid: int | None, not_before: float | None = None) -> bool:
    """True when `pid` runs and is not a zombie; with `not_before` (Unix time) a process created later than
    that (plus slack) is a recycled pid, not ours."""
    if not pid or pid <= 0:
        return False
    try:
        proc = psutil.Process(pid)
        if proc.status() == psutil.STATUS_ZOMBIE:
            return False
        if not_before is not None and proc.create_time() > not_before + PID_SLACK_S:
            return False
        return True
    except (psutil.NoSuchProcess, psutil.AccessDenied, ProcessLookupError):
        return False


def as_int(value: Any) -> int | None:
    number_value = number(value)
    return int(number_value) if number_value is not None else None


def launcher_alive(launch: dict[str, Any] | None) -> bool:
    """The process ftui launched (launch.json) still runs."""
    if not launch:
        return False
    return pid_alive(as_int(launch.get("pid")), number(launch.get("started")))


def run_status(
    started: dict[str, Any] | None,
    terminal: dict[str, Any] | None,
    launch: dict[str, Any] | None,
    events_seen: int,
) -> str:
    """One of STATUSES: the terminal event's type, else running/starting while a process lives, else died."""
    if terminal is not None:
        return str(terminal.get("type"))
    if started is not None:
        started_at = number(started.get("time"))
        if pid_alive(as_int(started.get("pid")), started_at) or launcher_alive(launch):
            return "running"
        return "died"
    if launcher_alive(launch):
        return "starting"
    return "died" if launch is not None or events_seen else "starting"


def run_pids(run_dir: str | Path) -> list[tuple[int, float | None]]:
    """Candidate (pid, created-not-after) pairs: the launcher from launch.json, then the trainer's own."""
    pids: list[tuple[int, float | None]] = []
    info = read_launch_info(run_dir)
    if info and number(info.get("pid")):
        pids.append((int(number(info["pid"]) or 0), number(info.get("started"))))
    started = [e for e in read_events(Path(run_dir)) if e.get("type") == "run_started"][-1:]
    for event in started:
        pid = number(event.get("pid"))
        if pid:
            pids.append((int(pid), number(event.get("time"))))
    return pids
