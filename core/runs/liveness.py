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
BOOT_SLACK_S = 1.5  # the boot time psutil reads is whole seconds: two readings of one process may differ by 1


def since_boot(pid: int | None) -> float | None:
    """When `pid` was created, in seconds since boot (None when it does not run).

    psutil's create_time is the boot time plus this, and the boot time is read off the wall clock: a clock
    stepped forward (NTP, a VM resumed after a pause) moves every create_time with it, so a live process looks
    created after its own record. This number does not move, so a record of it names the process for good."""
    if not pid or pid <= 0:
        return None
    try:
        return round(psutil.Process(pid).create_time() - psutil.boot_time(), 2)
    except (psutil.Error, OSError):
        return None


def process_identity(pid: int) -> dict[str, Any]:
    """The fields a record (launch.json, run_started) keeps to find its process again: `pid` and
    `pid_since_boot`, which tells a recycled pid apart whatever the wall clock did."""
    return {"pid": pid, "pid_since_boot": since_boot(pid)}


def pid_alive(
    pid: int | None, not_before: float | None = None, created_since_boot: float | None = None
) -> bool:
    """True when `pid` runs and is not a zombie, and is the process its record names: created at
    `created_since_boot` (seconds since boot, see `since_boot`), else (records without it) not later than
    `not_before` (Unix time) plus slack. Anything else is a recycled pid, not ours."""
    if not pid or pid <= 0:
        return False
    try:
        proc = psutil.Process(pid)
        if proc.status() == psutil.STATUS_ZOMBIE:
            return False
        if created_since_boot is not None:
            created = since_boot(pid)
            return created is not None and abs(created - created_since_boot) <= BOOT_SLACK_S
        if not_before is not None and proc.create_time() > not_before + PID_SLACK_S:
            return False
        return True
    except (psutil.NoSuchProcess, psutil.AccessDenied, ProcessLookupError):
        return False


def as_int(value: Any) -> int | None:
    number_value = number(value)
    return int(number_value) if number_value is not None else None


def record_alive(record: dict[str, Any] | None, time_key: str) -> bool:
    """The process a record names (launch.json, run_started: `pid`, `pid_since_boot`, and the record's
    time under `time_key`) still runs."""
    if not record:
        return False
    return pid_alive(
        as_int(record.get("pid")), number(record.get(time_key)), number(record.get("pid_since_boot"))
    )


def launcher_alive(launch: dict[str, Any] | None) -> bool:
    """The process ftui launched (launch.json) still runs."""
    return record_alive(launch, "started")


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
        if record_alive(started, "time") or launcher_alive(launch):
            return "running"
        return "died"
    if launcher_alive(launch):
        return "starting"
    return "died" if launch is not None or events_seen else "starting"


def live_run_pids(run_dir: str | Path) -> list[int]:
    """The run's processes that still run: the launcher from launch.json, then the trainer's own."""
    records = [(read_launch_info(run_dir), "started")]
    records += [(e, "time") for e in read_events(Path(run_dir)) if e.get("type") == "run_started"][-1:]
    return [
        int(as_int(record.get("pid")) or 0) for record, key in records if record and record_alive(record, key)
    ]
