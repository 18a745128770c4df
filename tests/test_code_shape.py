"""The house's size rules for product code (issue 12): no module over 300 lines, no function over 60.

A module or function that grows past them is a sign two responsibilities share a room: split it by what
each part is for, then this passes again."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PRODUCT = ("core", "tui", "templates")
MAX_MODULE_LINES = 300
MAX_FUNCTION_LINES = 60


def _modules() -> list[Path]:
    found = [p for top in PRODUCT for p in sorted((ROOT / top).rglob("*.py"))]
    assert len(found) > 100, "the product's modules were found"
    return found


def test_no_product_module_is_over_300_lines() -> None:
    sizes = {p.relative_to(ROOT).as_posix(): p.read_text().count("\n") for p in _modules()}
    long = {name: n for name, n in sizes.items() if n > MAX_MODULE_LINES}
    assert not long, f"split these by responsibility: {long}"


def test_no_product_function_is_over_60_lines() -> None:
    long = {}
    for path in _modules():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                lines = node.end_lineno - node.lineno + 1
                if lines > MAX_FUNCTION_LINES:
                    long[f"{path.relative_to(ROOT).as_posix()}:{node.lineno} {node.name}"] = lines
    assert not long, f"split these into steps: {long}"
