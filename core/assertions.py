"""User assertion functions (`eval_assertions: file.py:function`): loading and calling them.

One home for both users: the trainer checks generations with them during evaluation, and the data audit
checks every dataset row's answer with the same function. No heavy imports here.
"""

from __future__ import annotations

import importlib.util
import inspect
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ftui.core.errors import ConfigUserError


def load_assertion(spec: str, base_dir: str | Path, key: str = "eval_assertions") -> Callable[..., Any]:
    """Import `file.py:function` (a relative path is relative to `base_dir`); `key` names it in errors."""
    if ":" not in spec:
        raise ConfigUserError(
            f"{key}: {spec!r} must look like path/to/file.py:function_name",
            hint=f"e.g. {key}: checks.py:is_valid_json",
        )
    file_part, func_name = spec.rsplit(":", 1)
    path = Path(file_part).expanduser()
    if not path.is_absolute():
        path = Path(base_dir) / path
    if not path.is_file():
        raise ConfigUserError(
            f"{key}: file not found: {path}", hint="check the path (relative to the config)"
        )
    module_spec = importlib.util.spec_from_file_location(f"ftui_assertions_{path.stem}", path)
    module = importlib.util.module_from_spec(module_spec)
    try:
        module_spec.loader.exec_module(module)
    except Exception as exc:  # noqa: BLE001 - the user's file: say where it failed, without our traceback
        raise ConfigUserError(f"{key}: importing {path} failed: {type(exc).__name__}: {exc}") from None
    func = getattr(module, func_name, None)
    if not callable(func):
        raise ConfigUserError(f"{key}: {path} has no function {func_name!r}")
    return func


def _arity(func: Callable[..., Any]) -> int:
    try:
        parameters = inspect.signature(func).parameters.values()
    except (TypeError, ValueError):
        return 3
    if any(p.kind == p.VAR_POSITIONAL for p in parameters):
        return 3
    positional = [p for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return max(1, min(len(positional), 3))


def call_assertion(func: Callable[..., Any], output: str, expected: str, prompt: str) -> bool:
    """Call with as many of (output, expected, prompt) as the function takes; an exception counts as a fail."""
    try:
        return bool(func(*(output, expected, prompt)[: _arity(func)]))
    except Exception:  # noqa: BLE001 - a user check that raises means "not passed"
        return False
