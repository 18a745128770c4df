"""The small checks every row reader shares: `RowError` (a reason without the file:line prefix), JSON-ish
type names for messages, and string fields (SFT and preference rows use the same rules)."""

from __future__ import annotations

import json
from typing import Any


class RowError(Exception):
    """A row is unusable; `reason` says why (without the file:line prefix)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def describe(value: Any) -> str:
    """A JSON-ish name for a value's type, for messages like "must be a string, got a list"."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, (list, tuple)):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def maybe_json(value: Any) -> Any:
    """CSV cells and some hub datasets hold lists/objects as JSON text; decode those, leave the rest."""
    if isinstance(value, str) and value.lstrip()[:1] in ("[", "{"):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def required_str(row: dict, key: str) -> str:
    """A required, non-empty string field (SFT and preference rows share this rule)."""
    if key not in row or row[key] is None:
        raise RowError(f"missing field '{key}'")
    value = row[key]
    if not isinstance(value, str):
        raise RowError(f"field '{key}' must be a string, got {describe(value)}")
    if not value.strip():
        raise RowError(f"field '{key}' is empty")
    return value


def optional_str(row: dict, key: str) -> str | None:
    value = row.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise RowError(f"field '{key}' must be a string, got {describe(value)}")
    return value
