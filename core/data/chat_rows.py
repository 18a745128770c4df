"""A chat row (ShareGPT / OpenAI messages) as an `Example`: turns, roles, content parts, per-turn training
flags, tool calls and tool definitions, each checked with a short `RowError` reason."""

from __future__ import annotations

import json
from typing import Any

from ftui.core.data.formats import FormatSpec
from ftui.core.data.model import Example, Message, RowOrigin
from ftui.core.data.row_checks import RowError, describe, maybe_json, optional_str


def chat_row(row: dict, spec: FormatSpec, origin: RowOrigin) -> Example:
    key = spec.field_messages
    if key not in row or row[key] is None:
        raise RowError(f"missing field '{key}'")
    turns = maybe_json(row[key])
    if not isinstance(turns, list):
        raise RowError(f"field '{key}' must be a list of turns, got {describe(turns)}")
    if not turns:
        raise RowError(f"empty conversation: '{key}' has no turns")
    messages = [m for i, turn in enumerate(turns) if (m := _turn(turn, f"{key}[{i}]", spec)) is not None]
    if not any(m.role == "assistant" for m in messages):
        raise RowError(f"'{key}' has no assistant turn, so nothing would be trained")
    system = optional_str(row, spec.field_system)
    if system and system.strip() and messages[0].role != "system":
        messages.insert(0, Message(role="system", content=system, original_role=spec.field_system))
    if spec.drop_system_message and messages[0].role == "system":
        messages.pop(0)
    return Example(kind="chat", source=origin, messages=messages, tools=_tools(row, spec))


def _turn(turn: Any, where: str, spec: FormatSpec) -> Message | None:
    """One chat turn; None for an empty system turn (dropped, as templates would render it empty)."""
    if not isinstance(turn, dict):
        raise RowError(
            f"{where} must be an object with '{spec.role_key}' and '{spec.content_key}', got {describe(turn)}"
        )
    raw_role = turn.get(spec.role_key)
    if raw_role is None:
        raise RowError(f"{where}: missing '{spec.role_key}'")
    if not isinstance(raw_role, str):
        raise RowError(f"{where}.{spec.role_key} must be a string, got {describe(raw_role)}")
    role = spec.roles.get(raw_role)
    if role is None:
        known = ", ".join(sorted(spec.roles))
        raise RowError(f"{where}: unknown role '{raw_role}' (known: {known}; map it with `roles:`)")
    tool_calls = _tool_calls(turn.get("tool_calls"), where)
    content = _content(turn.get(spec.content_key), f"{where}.{spec.content_key}")
    if content is None and not tool_calls:
        raise RowError(f"{where}: missing '{spec.content_key}'")
    content = content or ""
    if not content.strip() and not tool_calls:
        if role == "system":
            return None
        raise RowError(f"{where}: empty '{spec.content_key}' in a {raw_role} turn")
    return Message(
        role=role,
        content=content,
        original_role=raw_role,
        train=_train_flag(turn, where, spec),
        name=_turn_str(turn, "name", where),
        tool_calls=tool_calls,
        tool_call_id=_turn_str(turn, "tool_call_id", where),
    )


def _content(value: Any, where: str) -> str | None:
    """A string, or OpenAI-style content parts ([{type: text, text: ...}]) joined into one string."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, list):
        texts = []
        for i, part in enumerate(value):
            text = part.get("text") if isinstance(part, dict) else part
            if not isinstance(text, str):
                raise RowError(
                    f"{where}[{i}] must be a text part ({{type: text, text: ...}}), got {describe(part)}"
                )
            texts.append(text)
        return "".join(texts)
    raise RowError(f"{where} must be a string, got {describe(value)}")


def _turn_str(turn: dict, key: str, where: str) -> str | None:
    value = turn.get(key)
    if value is None or isinstance(value, str):
        return value
    raise RowError(f"{where}.{key} must be a string, got {describe(value)}")


def _train_flag(turn: dict, where: str, spec: FormatSpec) -> bool | None:
    """Per-turn training override: Axolotl's `training` (or `message_field_training`), `train`, or `weight` 0/1."""
    keys = (spec.training_key,) if spec.training_key else ("training", "train")
    for key in keys:
        value = turn.get(key)
        if value is None:
            continue
        if isinstance(value, bool):
            return value
        raise RowError(f"{where}.{key} must be true or false, got {describe(value)}")
    weight = turn.get("weight")
    if weight is None:
        return None
    if isinstance(weight, bool) or not isinstance(weight, (int, float)) or weight not in (0, 1):
        raise RowError(f"{where}.weight must be 0 or 1, got {weight!r}"[:200])
    return weight == 1


def _tool_calls(value: Any, where: str) -> list[dict] | None:
    value = maybe_json(value)
    if value is None or value == []:
        return None
    if not isinstance(value, list) or not all(isinstance(call, dict) for call in value):
        raise RowError(f"{where}.tool_calls must be a list of objects, got {describe(value)}")
    return value


def _tools(row: dict, spec: FormatSpec) -> list[dict] | None:
    """The row's tool definitions; ShareGPT dumps (glaive) store them as a JSON string."""
    key = spec.field_tools
    value = row.get(key)
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError as exc:
            raise RowError(f"field '{key}' is not valid JSON: {exc}") from None
    if isinstance(value, dict):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(tool, dict) for tool in value):
        raise RowError(f"field '{key}' must be a list of tool definitions, got {describe(value)}")
    return value or None
