"""Bad rows: every reason, the `file:line` of each, the 10-row cap with the total, empty datasets, skipping."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from ftui.core.data import BadRowLog, DataError, iter_config_examples, iter_examples, scan_dataset
from ftui.core.errors import UserError

FIXTURES = Path(__file__).parent / "data" / "datasets"


def _error(entry: dict, base: Path = FIXTURES) -> DataError:
    with pytest.raises(DataError) as err:
        list(iter_examples(entry, base))
    return err.value


def test_alpaca_bad_rows_each_reason_and_line() -> None:
    err = _error({"path": "alpaca_bad.jsonl"})
    assert [str(b) for b in err.bad_rows] == [
        "alpaca_bad.jsonl:2: invalid JSON: Expecting ',' delimiter (column 40)",
        "alpaca_bad.jsonl:3: missing field 'output'",
        "alpaca_bad.jsonl:4: field 'instruction' is empty",
        "alpaca_bad.jsonl:5: field 'instruction' must be a string, got a list",
        "alpaca_bad.jsonl:6: expected a JSON object, got a list",
    ]
    assert err.message.startswith(
        "5 bad rows in dataset 'alpaca_bad.jsonl':\n  alpaca_bad.jsonl:2: invalid JSON"
    )
    assert "skip_bad_rows: true" in err.hint
    assert isinstance(err, UserError)


def test_chat_bad_rows_each_reason() -> None:
    err = _error({"path": "chat_bad.jsonl"})
    reasons = {b.origin.line: b.reason for b in err.bad_rows}
    assert reasons[2].startswith("conversations[1]: unknown role 'narrator' (known: ")
    assert "map it with `roles:`" in reasons[2]
    assert reasons[3] == "empty conversation: 'conversations' has no turns"
    assert reasons[4] == "'conversations' has no assistant turn, so nothing would be trained"
    assert reasons[5] == "conversations[1]: empty 'value' in a gpt turn"
    assert reasons[6] == "field 'conversations' must be a list of turns, got a string"
    assert sorted(reasons) == [2, 3, 4, 5, 6]


def test_non_utf8_bytes_are_a_bad_row_not_a_crash() -> None:
    err = _error({"path": "non_utf8.jsonl"})
    assert [str(b) for b in err.bad_rows] == ["non_utf8.jsonl:2: not valid UTF-8 (byte 0xff at column 15)"]


def test_non_utf8_bytes_inside_a_json_array(tmp_path: Path) -> None:
    (tmp_path / "a.json").write_bytes(
        b'[\n {"text": "ok"},\n {"text": "bad \xc3\x28 here"},\n {"text": "fine"}\n]\n'
    )
    with pytest.raises(DataError) as err:
        list(iter_examples({"path": "a.json"}, tmp_path))
    assert [str(b) for b in err.value.bad_rows] == ["a.json:3: not valid UTF-8 (byte 0xc3)"]


def test_broken_json_array_reports_the_line_and_stops_that_file() -> None:
    err = _error({"path": "broken_array.json"})
    assert [str(b) for b in err.bad_rows] == [
        "broken_array.json:4: invalid JSON: Expecting ',' delimiter (column 40); the rest of this file was not read"
    ]
    scan = scan_dataset({"path": "broken_array.json"}, FIXTURES)
    assert (scan.rows, scan.bad_count) == (2, 1)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ('[\n {"text": "a"},\n {"text": "b"},\n]\n', "3: invalid JSON: trailing comma before ']'"),
        ('[\n {"text": "a"}\n {"text": "b"}\n]\n', "3: invalid JSON: expected ',' or ']' but found '{'"),
        ('[\n {"text": "a"},\n {"text": "b"}\n', "4: invalid JSON: the array is not closed with ']'"),
        ('[\n {"text": "a"}\n] extra\n', "3: invalid JSON: unexpected 'e' after the closing ']'"),
    ],
)
def test_json_array_structure_errors(tmp_path: Path, text: str, reason: str) -> None:
    (tmp_path / "a.json").write_text(text)
    err = _error({"path": "a.json"}, tmp_path)
    assert str(err.bad_rows[-1]).startswith(f"a.json:{reason}")


def test_more_than_ten_bad_rows_shows_ten_and_the_total(tmp_path: Path) -> None:
    lines = ['{"text": "good"}'] + ['{"text": ""}'] * 23 + ['{"text": "good"}']
    (tmp_path / "t.jsonl").write_text("\n".join(lines) + "\n")
    err = _error({"path": "t.jsonl"}, tmp_path)
    shown = [line for line in err.message.splitlines() if line.startswith("  t.jsonl:")]
    assert shown == [f"  t.jsonl:{n}: field 'text' is empty" for n in range(2, 12)]
    assert err.message.splitlines()[0] == "23 bad rows in dataset 't.jsonl':"
    assert err.message.splitlines()[-1] == "  and 13 more (23 bad rows in total)"
    assert len(err.bad_rows) == 23


def test_skip_bad_rows_yields_the_good_ones_and_records_the_bad() -> None:
    log = BadRowLog()
    examples = list(iter_examples({"path": "alpaca_bad.jsonl"}, FIXTURES, skip_bad_rows=True, bad_rows=log))
    assert [e.instruction for e in examples] == ["ok", "ok again"]
    assert [e.source.line for e in examples] == [1, 7]
    assert log.count == 5


@pytest.mark.parametrize("name", ["empty.jsonl", "empty_array.json"])
def test_empty_dataset_is_an_error(name: str) -> None:
    err = _error({"path": name})
    assert err.message == f"dataset '{name}' is empty (0 rows)"


def test_all_rows_bad_is_an_error_even_when_skipping(tmp_path: Path) -> None:
    (tmp_path / "t.jsonl").write_text('{"text": ""}\n{"text": 3}\n')
    with pytest.raises(DataError) as err:
        list(iter_examples({"path": "t.jsonl"}, tmp_path, skip_bad_rows=True))
    assert "has no usable rows: all 2 rows are bad" in err.value.message
    assert "t.jsonl:2: field 'text' must be a string, got a number" in err.value.message


def test_bad_rows_of_several_datasets_in_one_error(tmp_path: Path) -> None:
    (tmp_path / "a.jsonl").write_text('{"text": "ok"}\n{"text": ""}\n')
    (tmp_path / "b.jsonl").write_text('{"text": "ok"}\n{oops\n')
    with pytest.raises(DataError) as err:
        list(iter_config_examples([{"path": "a.jsonl"}, {"path": "b.jsonl"}], tmp_path))
    assert [str(b) for b in err.value.bad_rows] == [
        "a.jsonl:2: field 'text' is empty",
        "b.jsonl:2: invalid JSON: Expecting property name enclosed in double quotes (column 2)",
    ]
    assert err.value.message.startswith("2 bad rows in dataset 'a.jsonl, b.jsonl':")


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        ({"input_ids": []}, "field 'input_ids' is empty"),
        ({"input_ids": [1, "2"]}, "field 'input_ids' must be a list of integers, got a list"),
        ({"input_ids": [1, -3]}, "field 'input_ids' has a negative token id"),
        ({"input_ids": [1, 2], "labels": [1]}, "field 'labels' has 1 entries but input_ids has 2"),
        ({"input_ids": [1, 2], "labels": [-100, -100]}, "every label is -100, so nothing would be trained"),
        ({"input_ids": [1, 2], "attention_mask": [1, 2]}, "field 'attention_mask' must hold only 0 and 1"),
        ({"input_ids": [1], "labels": [True]}, "field 'labels' must be a list of integers, got a list"),
    ],
)
def test_pretokenized_row_reasons(tmp_path: Path, row: dict, reason: str) -> None:
    (tmp_path / "t.jsonl").write_text('{"input_ids": [5]}\n' + json.dumps(row) + "\n")
    err = _error({"path": "t.jsonl"}, tmp_path)
    assert [str(b) for b in err.bad_rows] == [f"t.jsonl:2: {reason}"]


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        ({"segments": []}, "field 'segments' is empty"),
        (
            {"segments": [{"label": "yes", "text": "a"}]},
            "segments[0].label must be true or false, got a string",
        ),
        ({"segments": [{"label": True, "text": 1}]}, "segments[0].text must be a string, got a number"),
        ({"segments": [{"label": False, "text": "a"}]}, "no segment has label true and text"),
        ({"segments": ["a"]}, "segments[0] must be an object with 'label' and 'text', got a string"),
    ],
)
def test_input_output_row_reasons(tmp_path: Path, row: dict, reason: str) -> None:
    (tmp_path / "t.jsonl").write_text(
        '{"segments": [{"label": true, "text": "x"}]}\n' + json.dumps(row) + "\n"
    )
    err = _error({"path": "t.jsonl"}, tmp_path)
    assert str(err.bad_rows[0]).startswith(f"t.jsonl:2: {reason}")


@pytest.mark.parametrize(
    ("turn", "reason"),
    [
        ({"content": "x"}, "messages[1]: missing 'role'"),
        ({"role": 3, "content": "x"}, "messages[1].role must be a string, got a number"),
        ({"role": "assistant"}, "messages[1]: missing 'content'"),
        ({"role": "assistant", "content": {"a": 1}}, "messages[1].content must be a string, got an object"),
        ({"role": "assistant", "content": "x", "weight": 0.5}, "messages[1].weight must be 0 or 1, got 0.5"),
        ({"role": "assistant", "content": "x", "train": "yes"}, "messages[1].train must be true or false"),
        (
            {"role": "assistant", "content": "x", "tool_calls": "call"},
            "messages[1].tool_calls must be a list",
        ),
        ("hello", "messages[1] must be an object with 'role' and 'content', got a string"),
    ],
)
def test_messages_turn_reasons(tmp_path: Path, turn: object, reason: str) -> None:
    good = {"messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}]}
    bad = {"messages": [{"role": "user", "content": "q"}, turn]}
    (tmp_path / "t.jsonl").write_text(json.dumps(good) + "\n" + json.dumps(bad) + "\n")
    err = _error({"path": "t.jsonl", "type": "messages"}, tmp_path)
    assert str(err.bad_rows[0]).startswith(f"t.jsonl:2: {reason}")


def test_glaive_tools_that_are_not_json(tmp_path: Path) -> None:
    good = {"conversations": [{"from": "human", "value": "q"}, {"from": "gpt", "value": "a"}], "tools": "[]"}
    bad = dict(good, tools="[{broken")
    (tmp_path / "t.jsonl").write_text(json.dumps(good) + "\n" + json.dumps(bad) + "\n")
    err = _error({"path": "t.jsonl"}, tmp_path)
    assert str(err.bad_rows[0]).startswith("t.jsonl:2: field 'tools' is not valid JSON: ")


def test_scan_limit_counts_only_the_rows_read(tmp_path: Path) -> None:
    (tmp_path / "t.jsonl").write_text("".join(f'{{"text": "row {i}"}}\n' for i in range(50)))
    scan = scan_dataset({"path": "t.jsonl"}, tmp_path, limit=10, sample_size=3)
    assert (scan.rows, scan.complete, len(scan.sample)) == (10, False, 3)
    assert scan_dataset({"path": "t.jsonl"}, tmp_path, limit=50).complete is True


def test_config_progress_and_bad_rows_per_dataset(tmp_path: Path) -> None:
    (tmp_path / "a.jsonl").write_text("".join(f'{{"text": "a{i}"}}\n' for i in range(1500)))
    (tmp_path / "b.csv").write_text("text\n" + "".join(f"b{i}\n" for i in range(1200)) + '""\n')
    seen: list[tuple[int, float | None]] = []
    log = BadRowLog()
    entries = [{"path": "a.jsonl"}, {"path": "b.csv"}]
    examples = list(
        iter_config_examples(
            entries, tmp_path, skip_bad_rows=True, bad_rows=log, progress=lambda *a: seen.append(a)
        )
    )
    assert len(examples) == 2700 and examples[-1].text == "b1199"
    assert [n for n, _ in seen] == [1000, 1500, 2500, 2700]
    fractions = [f for _, f in seen]
    assert fractions == sorted(fractions) and fractions[1] == 0.5 and fractions[-1] == 1.0
    assert [str(b) for b in log.rows] == ["b.csv:1202: field 'text' is empty"]


def test_an_empty_second_dataset_names_only_its_own_rows(tmp_path: Path) -> None:
    (tmp_path / "a.jsonl").write_text('{"text": "ok"}\n{"text": ""}\n')
    (tmp_path / "b.jsonl").write_text('{"text": 5}\n')
    with pytest.raises(DataError) as err:
        list(iter_config_examples([{"path": "a.jsonl"}, {"path": "b.jsonl"}], tmp_path, skip_bad_rows=True))
    assert err.value.message.startswith("dataset 'b.jsonl' has no usable rows: its only row is bad")
    assert "a.jsonl" not in err.value.message
