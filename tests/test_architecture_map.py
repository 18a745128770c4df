"""docs/architecture.md's module map matches the tree: every module of core/ and tui/ is named in it, and every
path it names exists (a newcomer finds any feature from the map in one step)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "architecture.md"


def _map_rows() -> list[str]:
    text = DOC.read_text(encoding="utf-8")
    return [line for line in text.split("## Module map", 1)[1].splitlines() if line.startswith("| `")]


def _modules() -> list[Path]:
    return sorted(
        p.relative_to(ROOT)
        for top in ("core", "tui")
        for p in (ROOT / top).rglob("*.py")
        if p.name != "__init__.py"
    )


def _named(module: Path, rows: list[str]) -> bool:
    """Named by its path anywhere in the map, or by its stem in the row of its package."""
    path = module.as_posix()
    package = module.parent.as_posix() + "/"
    if any(f"`{path}`" in row for row in rows):
        return True
    stem = re.compile(rf"(?<![\w/.]){re.escape(module.stem)}(?![\w/])")
    return any(f"`{package}" in row.split("|")[1] and stem.search(row) for row in rows)


def test_every_module_is_in_the_map() -> None:
    rows = _map_rows()
    missing = [m.as_posix() for m in _modules() if not _named(m, rows)]
    assert not missing, f"add these to the module map in docs/architecture.md: {missing}"


def test_every_path_in_the_doc_exists() -> None:
    text = DOC.read_text(encoding="utf-8")
    named = set(re.findall(r"`((?:core|tui)/[\w/]+(?:\.py)?/?)`", text))
    gone = sorted(p for p in named if "<name>" not in p and not (ROOT / p).exists())
    assert not gone, f"docs/architecture.md names files that are gone: {gone}"
