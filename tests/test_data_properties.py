"""Property tests: whatever a data file holds, reading it yields valid Examples or one DataError, nothing else."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from ftui.core.data import ROLES, DataError, RowOrigin, dataset_settings, iter_examples, resolve_format
from ftui.core.data.rows import RowError, normalize_row
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

KEYS = [
    "instruction", "input", "output", "response", "system", "text", "segments", "label", "input_ids", "labels",
    "attention_mask", "conversations", "messages", "from", "value", "role", "content", "tools", "tool_calls",
    "weight", "train", "training", "name", "human", "gpt", "user", "assistant", "function_call", "observation",
]  # fmt: skip
scalars = (
    st.none() | st.booleans() | st.integers(-200, 200) | st.floats(allow_nan=True) | st.sampled_from(KEYS)
)
scalars = scalars | st.text(max_size=8)
json_values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.sampled_from(KEYS), children, max_size=5)
    ),
    max_leaves=25,
)
rows = st.dictionaries(st.sampled_from(KEYS), json_values, max_size=6) | json_values

SPECS = {
    name: resolve_format(dataset_settings({"path": "x", "type": name}), [], "x")
    for name in ("alpaca", "sharegpt", "messages", "completion", "input_output", "pretokenized")
}


def _check(example) -> None:
    if example.kind == "chat":
        assert example.messages and any(m.role == "assistant" for m in example.messages)
        assert all(m.role in ROLES and isinstance(m.content, str) for m in example.messages)
    elif example.kind == "alpaca":
        assert example.instruction.strip() and example.output.strip()
    elif example.kind == "completion":
        assert example.text.strip()
    elif example.kind == "segments":
        assert any(s.label and s.text for s in example.segments)
    else:
        assert example.input_ids and all(isinstance(i, int) and i >= 0 for i in example.input_ids)


@settings(max_examples=300, deadline=None)
@given(row=rows, fmt=st.sampled_from(sorted(SPECS)))
def test_normalize_row_only_raises_row_error(row, fmt: str) -> None:
    try:
        example = normalize_row(row, SPECS[fmt], RowOrigin("x.jsonl", 1))
    except RowError as exc:
        assert exc.reason
        return
    _check(example)


def _lines():
    as_json = rows.map(lambda v: json.dumps(v).encode())
    return st.lists(as_json | st.binary(max_size=30), min_size=0, max_size=8)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lines=_lines(), fmt=st.sampled_from([None, *sorted(SPECS), "chat_template"]))
def test_any_jsonl_file_gives_examples_or_data_error(lines: list[bytes], fmt: str | None) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "t.jsonl").write_bytes(b"\n".join(lines))
        _read_all({"path": "t.jsonl", "type": fmt}, tmp)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    values=st.lists(rows, max_size=6),
    cut=st.integers(0, 10_000),
    insert=st.binary(max_size=4),
    fmt=st.sampled_from([None, "alpaca", "sharegpt"]),
)
def test_any_mangled_json_array_gives_examples_or_data_error(values, cut: int, insert: bytes, fmt) -> None:
    body = json.dumps(values, indent=1).encode()
    cut = cut % (len(body) + 1)
    mangled = body[:cut] + insert + body[cut + len(insert) // 2 :]
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "t.json").write_bytes(mangled)
        _read_all({"path": "t.json", "type": fmt}, tmp)


def _read_all(entry: dict, base: str) -> None:
    try:
        examples = list(iter_examples(entry, base))
    except DataError as exc:
        assert exc.message
        assert all(str(bad).startswith("t.json") for bad in exc.bad_rows)
        return
    assert examples
    for example in examples:
        _check(example)
        assert example.source.line is not None and example.source.line >= 1
