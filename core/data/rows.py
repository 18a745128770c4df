"""Validate one raw row and turn it into an `Example`.

Every check raises `RowError` with a short reason ("missing field 'output'", "conversations[3]: unknown role
'narrator'"); the caller pairs it with the row's origin, so users read `file:line: reason`. No other exception
may escape `normalize_row` for any JSON value (a hypothesis test holds this).
"""

from __future__ import annotations

from typing import Any

from ftui.core.data.chat_rows import chat_row
from ftui.core.data.formats import FormatSpec
from ftui.core.data.model import Example, RowOrigin, Segment
from ftui.core.data.row_checks import RowError, describe, maybe_json, optional_str, required_str
from ftui.core.labels import IGNORE_INDEX

__all__ = ["RowError", "describe", "normalize_row", "required_str"]


def normalize_row(value: Any, spec: FormatSpec, origin: RowOrigin) -> Example:
    """One raw row -> `Example` in the neutral structure, or `RowError`."""
    if not isinstance(value, dict):
        raise RowError(f"expected a JSON object, got {describe(value)}")
    fmt = spec.format
    if fmt in ("sharegpt", "messages"):
        return chat_row(value, spec, origin)
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
        input=optional_str(row, fields["input"]) or "",
        output=required_str(row, fields["output"]),
        system=optional_str(row, fields["system"]) or None,
    )


def _segments(row: dict, origin: RowOrigin) -> Example:
    if "segments" not in row or row["segments"] is None:
        raise RowError("missing field 'segments'")
    raw = maybe_json(row["segments"])
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
    value = maybe_json(row.get(key))
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
    if labels is not None and all(label == IGNORE_INDEX for label in labels):
        raise RowError("every label is -100, so nothing would be trained")
    mask = _int_list(row, "attention_mask", len(input_ids))
    if mask is not None and any(m not in (0, 1) for m in mask):
        raise RowError("field 'attention_mask' must hold only 0 and 1")
    return Example(kind="tokenized", source=origin, input_ids=input_ids, labels=labels, attention_mask=mask)
