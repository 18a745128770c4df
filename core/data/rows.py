"""Validate one raw row and turn it into an `Example`.

Every check raises `RowError` with a short reason ("missing field 'output'", "conversations[3]: unknown role
'narrator'"); the caller pairs it with the row's origin, so users read `file:line: reason`. No other exception
may escape `normalize_row` for any JSON value (a hypothesis test holds this).
"""

from __future__ import annotations

import json
from typing import Any

from ftui.core.data.formats import FormatSpec
from ftui.core.data.model import Example, Message, RowOrigin, Segment


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


def _maybe_json(value: Any) -> Any:
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


def _optional_str(row: dict, key: str) -> str | None:
    value = row.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise RowError(f"field '{key}' must be a string, got {describe(value)}")
    return value


def normalize_row(value: Any, spec: FormatSpec, origin: RowOrigin) -> Example:
    """One raw row -> `Example` in the neutral structure, or `RowError`."""
    if not isinstance(value, dict):
        raise RowError(f"expected a JSON object, got {describe(value)}")
    fmt = spec.format
    if fmt in ("sharegpt", "messages"):
        return _chat(value, spec, origin)
    if fmt == "alpaca":
        return _alpaca(value, spec, origin)
    if fmt == "completion":
        return Example(kind="completion", source=origin, text=required_str(value, spec.text_field))
    if fmt == "input_output":
        return _segments(value, origin)
    if fmt == "pretokenized":
        return _tokenized(value, origin)
    raise RowError(f"unknown format '{fmt}'")


def _instruct_part(row: dict, template: str) -> str | None:
    """A part of an Axolotl instruction type: its format string filled from the row (`{x?}`: optional,
    empty when missing; a part that is only one missing optional field is None)."""
    from string import Formatter

    pieces = []
    fields = 0
    missing = 0
    for literal, name, _spec, _conversion in Formatter().parse(template):
        pieces.append(literal)
        if name is None:
            continue
        fields += 1
        optional = name.endswith("?")
        key = name[:-1] if optional else name
        value = row.get(key)
        if value is None:
            if not optional:
                raise RowError(f"missing field '{key}'")
            missing += 1
            value = ""
        elif not isinstance(value, str):
            raise RowError(f"field '{key}' must be a string, got {describe(value)}")
        pieces.append(value)
    text = "".join(pieces)
    return None if fields == 1 and missing == 1 and not text else text


def _instruct(row: dict, spec: FormatSpec, origin: RowOrigin) -> Example:
    fields = spec.instruct_fields or {}
    parts = {part: _instruct_part(row, template) for part, template in fields.items()}
    if not parts.get("instruction"):
        raise RowError("the instruction is empty")
    return Example(
        kind="alpaca",
        source=origin,
        instruction=parts["instruction"],
        input=parts.get("input") or "",
        output=parts.get("output") or "",
        system=parts.get("system"),
    )


def _alpaca(row: dict, spec: FormatSpec, origin: RowOrigin) -> Example:
    if spec.instruct_fields is not None:
        return _instruct(row, spec, origin)
    fields = spec.alpaca_fields
    return Example(
        kind="alpaca",
        source=origin,
        instruction=required_str(row, fields["instruction"]),
        input=_optional_str(row, fields["input"]) or "",
        output=required_str(row, fields["output"]),
        system=_optional_str(row, fields["system"]) or None,
    )


def _chat(row: dict, spec: FormatSpec, origin: RowOrigin) -> Example:
    key = spec.field_messages
    if key not in row or row[key] is None:
        raise RowError(f"missing field '{key}'")
    turns = _maybe_json(row[key])
    if not isinstance(turns, list):
        raise RowError(f"field '{key}' must be a list of turns, got {describe(turns)}")
    if not turns:
        raise RowError(f"empty conversation: '{key}' has no turns")
    messages = [m for i, turn in enumerate(turns) if (m := _turn(turn, f"{key}[{i}]", spec)) is not None]
    if not any(m.role == "assistant" for m in messages):
        raise RowError(f"'{key}' has no assistant turn, so nothing would be trained")
    system = _optional_str(row, spec.field_system)
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
    value = _maybe_json(value)
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


def _segments(row: dict, origin: RowOrigin) -> Example:
    if "segments" not in row or row["segments"] is None:
        raise RowError("missing field 'segments'")
    raw = _maybe_json(row["segments"])
    if not isinstance(raw, list):
        raise RowError(f"field 'segments' must be a list, got {describe(raw)}")
    if not raw:
        raise RowError("field 'segments' is empty")
    segments = []
    for i, seg in enumerate(raw):
        if not isinstance(seg, dict):
            raise RowError(f"segments[{i}] must be an object with 'label' and 'text', got {describe(seg)}")
        label, text = seg.get("label"), seg.get("text")
        if not isinstance(label, bool):
            raise RowError(f"segments[{i}].label must be true or false, got {describe(label)}")
        if not isinstance(text, str):
            raise RowError(f"segments[{i}].text must be a string, got {describe(text)}")
        segments.append(Segment(text=text, label=label))
    if not any(seg.label and seg.text for seg in segments):
        raise RowError("no segment has label true and text, so nothing would be trained")
    return Example(kind="segments", source=origin, segments=segments)


def _int_list(row: dict, key: str, length: int | None) -> list[int] | None:
    value = _maybe_json(row.get(key))
    if value is None:
        return None
    if not isinstance(value, list) or not all(type(x) is int for x in value):
        raise RowError(f"field '{key}' must be a list of integers, got {describe(value)}")
    if length is not None and len(value) != length:
        raise RowError(f"field '{key}' has {len(value)} entries but input_ids has {length}")
    return value


def _tokenized(row: dict, origin: RowOrigin) -> Example:
    if row.get("input_ids") is None:
        raise RowError("missing field 'input_ids'")
    input_ids = _int_list(row, "input_ids", None) or []
    if not input_ids:
        raise RowError("field 'input_ids' is empty")
    if min(input_ids) < 0:
        raise RowError("field 'input_ids' has a negative token id")
    labels = _int_list(row, "labels", len(input_ids))
    if labels is not None and all(label == -100 for label in labels):
        raise RowError("every label is -100, so nothing would be trained")
    mask = _int_list(row, "attention_mask", len(input_ids))
    if mask is not None and any(m not in (0, 1) for m in mask):
        raise RowError("field 'attention_mask' must hold only 0 and 1")
    return Example(kind="tokenized", source=origin, input_ids=input_ids, labels=labels, attention_mask=mask)
