"""Finding the runs under a workspace and the one line each shows in the runs list (`ftui monitor --list`).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from ftui.core.runs.layout import is_run_dir
from ftui.core.runs.state import RunState, RunSummary

WORKSPACE_ENV = "FTUI_RUNS"
_SKIP_DIRS = {".git", ".venv", "venv", "node_modules", "__pycache__", ".cache", "checkpoints"}


def default_workspace() -> Path:
    """Where runs are looked for: $FTUI_RUNS, else ./runs, else ./outputs, else the current folder."""
    env = os.environ.get(WORKSPACE_ENV)
    if env:
        return Path(env)
    for name in ("runs", "outputs"):
        if Path(name).is_dir():
            return Path(name)
    return Path(".")


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
