"""Plain config data -> `FtuiConfig` and every problem at once: pydantic's field errors turned into key paths
and messages, then the cross-field rules on whatever fields are valid (so one run of `ftui check` shows all).
Used by loading (loader.py) and by saving (save.py: a save never writes a config that cannot load).
"""

from __future__ import annotations

from typing import Any

from ftui.core.config.errors import KeyPath, Problem
from ftui.core.config.rules import check_rules
from ftui.core.config.schema import SKIP_RULES, FtuiConfig
from pydantic import ValidationError

# Stand-ins for required keys that failed, so the cross-field rules can still run on the rest.
_STAND_INS: dict[str, Any] = {"base_model": "stand-in", "datasets": [{"path": "stand-in"}]}


def validate(data: dict[str, Any]) -> tuple[FtuiConfig | None, list[Problem]]:
    """The config and all problems: field errors first; cross-field rules on whatever fields are valid."""
    context = {SKIP_RULES: True}
    try:
        config = FtuiConfig.model_validate(data, context=context)
        return config, check_rules(config)
    except ValidationError as err:
        problems = _field_problems(err, data)
    from ftui.core.config.data_rules import dataset_type_problems

    known = {p.path for p in problems}
    problems += [p for p in dataset_type_problems(data) if p.path not in known]
    bad_top = {p.path[0] for p in problems if p.path}
    rest = {k: v for k, v in data.items() if k not in bad_top}
    for key, stand_in in _STAND_INS.items():
        if key in bad_top:
            rest[key] = stand_in
    try:
        partial = FtuiConfig.model_validate(rest, context=context)
    except ValidationError:
        return None, problems
    rule_problems = [p for p in check_rules(partial) if not p.path or p.path[0] not in bad_top]
    return None, problems + [p for p in rule_problems if p.severity == "error"]


def _field_problems(err: ValidationError, data: dict[str, Any]) -> list[Problem]:
    """pydantic errors -> one Problem per key path (the alternatives of a union merged into one)."""
    by_path: dict[KeyPath, list[dict[str, Any]]] = {}
    for item in err.errors(include_url=False):
        path = _data_path(item["loc"], data)
        by_path.setdefault(path, []).append(item)
    problems = []
    for path, items in by_path.items():
        messages = list(dict.fromkeys(_message(i) for i in items))
        if len(messages) == 1:
            text = messages[0]
        else:
            text = f"invalid value {_short(items[0].get('input'))}: expected " + ", or ".join(
                m[0].lower() + m[1:] for m in messages
            )
        if (
            len(items) == 1
            and items[0]["type"] not in ("value_error", "missing")
            and _is_scalar(items[0].get("input"))
            and items[0].get("input") is not None
        ):
            text += f" (got {_short(items[0]['input'])})"
        problems.append(Problem(path, text))
    return problems


def _data_path(loc: tuple[Any, ...], data: Any) -> KeyPath:
    """The part of pydantic's `loc` that names keys in the document (drops union member names)."""
    path: list[str | int] = []
    node = data
    for i, part in enumerate(loc):
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
        elif isinstance(node, dict) and i == len(loc) - 1:
            path.append(part)  # a missing required key: name it
            break
        elif isinstance(node, dict):
            continue  # a union member's name, e.g. 'DatasetTypeFormat'
        else:
            break
        path.append(part)
    return tuple(path)


def _message(item: dict[str, Any]) -> str:
    if item["type"] == "missing":
        return "required key is missing"
    msg = str(item["msg"])
    for prefix in ("Value error, ", "Assertion failed, "):
        if msg.startswith(prefix):
            msg = msg[len(prefix) :]
    if item.get("input", ...) is None and msg.startswith("Input should be"):
        return "is empty but needs a value"
    return msg.replace("Input should be", "must be", 1)


def _is_scalar(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float | bool)


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
