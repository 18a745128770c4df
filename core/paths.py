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


def package_dirs() -> list[Path]:
    """The folders of ftui's own code and data (read-only in an install: ftui never writes into them).

    Found through the import system without importing them: core/ never imports the UI.
    """
    import importlib.util

    folders = []
    for name in ("ftui.core", "ftui.tui", "ftui.templates"):
        spec = importlib.util.find_spec(name)
        if spec is not None and spec.origin:
            folders.append(Path(spec.origin).parent.resolve())
    return folders


def inside_package(path: str | Path) -> bool:
    target = Path(path).expanduser().resolve()
    return any(target == folder or folder in target.parents for folder in package_dirs())


def refuse_package_write(path: str | Path, what: str) -> None:
    """A UserError when `path` lies inside ftui's installed package (the shipped demo's folder, say)."""
    if inside_package(path):
        from ftui.core.errors import UserError

        raise UserError(
            f"{what} {Path(path).expanduser().resolve()} is inside ftui's installed package",
            "ftui never writes there: use a folder of yours (relative output_dir is relative to the "
            "working directory)",
        )
