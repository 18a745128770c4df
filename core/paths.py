"""Where ftui keeps its caches and runs (overridable by environment, so tests can isolate them)."""

from __future__ import annotations

import os
from pathlib import Path


def cache_dir() -> Path:
    """ftui's cache: converted embedded model, parameter counts, prepared datasets by default."""
    base = os.environ.get("FTUI_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "ftui"
    )
    path = Path(base)
    path.mkdir(parents=True, exist_ok=True)
    return path


def templates_dir() -> Path:
    """The shipped data folder (ftui.templates): prompt templates, model facts, demo configs and data."""
    from ftui import templates

    return Path(templates.__file__).parent


def config_argument(name: str) -> str:
    """A config given on the command line: `demo` (unless a file of that name is here) is the shipped demo."""
    if name == "demo" and not Path(name).is_file():
        return str(templates_dir() / "configs" / "demo.yml")
    return name
