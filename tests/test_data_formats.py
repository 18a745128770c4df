"""Format detection, `type:` resolution and normalization into the neutral `Example`."""

from __future__ import annotations

from pathlib import Path

import pytest
from ftui.core.data import (
    FORMATS,
    DataError,
    dataset_settings,
    detect_format,
    iter_examples,
    resolve_format,
    scan_dataset,
)
from ftui.core.errors import UserError

FIXTURES = Path(__file__).parent / "data" / "datasets"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("alpaca.json", "alpaca"),
        ("alpaca.csv", "alpaca"),
        ("sharegpt_tools.json", "sharegpt"),
        ("messages.jsonl", "messages"),
        ("completion.jsonl", "completion"),
        ("input_output.jsonl", "input_output"),
        ("pretokenized.jsonl", "pretokenized"),
    ],
)
def test_detects_each_fixture_format(name: str, expected: str) -> None:
    scan = scan_dataset({"path": name}, FIXTURES)
    assert (scan.format, scan.detected, scan.bad_count) == (expected, True, 0)
    assert expected in FORMATS


@pytest.mark.parametrize(
    ("name", "expected", "rows"),
    [
        ("alpaca_en_demo.json", "alpaca", 999),
        ("glaive_toolcall_en_demo.json", "sharegpt", 300),
        ("c4_demo.jsonl", "completion", 300),
        ("identity.json", "alpaca", 91),
    ],
)
def test_detects_shared_datasets(shared_datasets: Path, name: str, expected: str, rows: int) -> None:
    scan = scan_dataset({"path": name}, shared_datasets)
    assert (scan.format, scan.detected, scan.rows, scan.bad_count) == (expected, True, rows, 0)


def test_glaive_tool_roles_map_to_assistant_and_tool(shared_datasets: Path) -> None:
    examples = list(iter_examples({"path": "glaive_toolcall_en_demo.json"}, shared_datasets))
    pairs = {(m.original_role, m.role) for ex in examples for m in ex.messages}
    assert pairs == {
        ("human", "user"),
        ("gpt", "assistant"),
        ("function_call", "assistant"),
        ("observation", "tool"),
    }
    assert examples[0].tools and examples[0].tools[0]["name"] == "search_recipes"


def test_explicit_type_overrides_detection() -> None:
    # completion rows read as alpaca: every row lacks the alpaca fields.
    with pytest.raises(DataError) as err:
        list(iter_examples({"path": "completion.jsonl", "type": "alpaca"}, FIXTURES))
    assert "completion.jsonl:1: missing field 'instruction'" in err.value.message
    scan = scan_dataset({"path": "alpaca.json", "type": "alpaca"}, FIXTURES)
    assert (scan.format, scan.detected) == ("alpaca", False)


def test_axolotl_chat_template_with_sharegpt_mapping() -> None:
    entry = {
        "path": "sharegpt_tools.json",
        "type": "chat_template",
        "field_messages": "conversations",
        "message_property_mappings": {"role": "from", "content": "value"},
        "roles": {"user": ["human"], "assistant": ["gpt"]},
    }
    scan = scan_dataset(entry, FIXTURES)
    assert (scan.format, scan.rows, scan.bad_count) == ("sharegpt", 2, 0)
    first = scan.sample[0]
    assert [m.role for m in first.messages] == ["system", "user", "assistant", "tool", "assistant"]
    assert first.messages[2].original_role == "function_call"
    assert first.tools == [
        {
            "name": "weather",
            "description": "Current weather",
            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
        }
    ]


def test_chat_template_without_mapping_detects_row_shape() -> None:
    assert scan_dataset({"path": "messages.jsonl", "type": "chat_template"}, FIXTURES).format == "messages"
    assert (
        scan_dataset({"path": "sharegpt_tools.json", "type": "chat_template"}, FIXTURES).format == "sharegpt"
    )


def test_messages_train_flags_tool_calls_and_content_parts() -> None:
    examples = list(iter_examples({"path": "messages.jsonl"}, FIXTURES))
    assert [m.train for m in examples[1].messages] == [None, False, None, True]
    calls = examples[2].messages[1]
    assert (calls.role, calls.content, calls.tool_calls[0]["function"]["name"]) == (
        "assistant",
        "",
        "weather",
    )
    assert examples[2].messages[2].tool_call_id == "call_1"
    assert examples[2].messages[3].content == "It is sunny."
    assert examples[2].messages[3].train is True
    assert examples[2].tools[0]["function"]["name"] == "weather"


def test_other_kinds_normalize() -> None:
    text = list(iter_examples({"path": "completion.jsonl"}, FIXTURES))
    assert [(e.kind, e.source.line) for e in text] == [("completion", 1), ("completion", 3)]
    segs = list(iter_examples({"path": "input_output.jsonl"}, FIXTURES))
    assert [(s.label, s.text) for s in segs[0].segments] == [(False, "Question: 2+2?\n"), (True, "Answer: 4")]
    tok = list(iter_examples({"path": "pretokenized.jsonl"}, FIXTURES))
    assert (tok[0].input_ids, tok[0].labels, tok[1].labels, tok[1].attention_mask) == (
        [1, 15, 27, 2],
        [-100, 15, 27, 2],
        None,
        None,
    )


def test_alpaca_variants_and_custom_fields(tmp_path: Path) -> None:
    (tmp_path / "t.jsonl").write_text('{"question": "Q?", "response": "R.", "system_prompt": "S"}\n')
    (ex,) = iter_examples({"path": "t.jsonl", "type": "alpaca_w_system.load_open_orca"}, tmp_path)
    assert (ex.kind, ex.instruction, ex.input, ex.output, ex.system) == ("alpaca", "Q?", "", "R.", "S")
    (tmp_path / "g.jsonl").write_text('{"instruction": "I", "input": "X", "response": "R"}\n')
    (ex,) = iter_examples({"path": "g.jsonl", "type": "gpteacher"}, tmp_path)
    assert (ex.instruction, ex.input, ex.output) == ("I", "X", "R")
    custom = {"path": "t.jsonl", "type": {"field_instruction": "question", "field_output": "response"}}
    (ex,) = iter_examples(custom, tmp_path)
    assert (ex.instruction, ex.output) == ("Q?", "R.")


def test_field_overrides_completion_text(tmp_path: Path) -> None:
    (tmp_path / "t.jsonl").write_text('{"body": "hello world"}\n')
    (ex,) = iter_examples({"path": "t.jsonl", "type": "completion", "field": "body"}, tmp_path)
    assert ex.text == "hello world"


def test_roles_mapping_extends_defaults(tmp_path: Path) -> None:
    (tmp_path / "t.jsonl").write_text(
        '{"conversations": [{"from": "asker", "value": "q"}, {"from": "answerer", "value": "a"}]}\n'
    )
    entry = {"path": "t.jsonl", "roles": {"user": ["asker"], "assistant": ["answerer"]}}
    (ex,) = iter_examples(entry, tmp_path)
    assert [(m.role, m.original_role) for m in ex.messages] == [("user", "asker"), ("assistant", "answerer")]
    with pytest.raises(UserError, match="'narrator' is not a role"):
        scan_dataset({"path": "t.jsonl", "roles": {"narrator": ["asker"]}}, tmp_path)


def test_row_level_system_prompt_is_prepended(tmp_path: Path) -> None:
    (tmp_path / "t.jsonl").write_text(
        '{"system": "Be kind.", "messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}]}\n'
    )
    (ex,) = iter_examples({"path": "t.jsonl"}, tmp_path)
    assert [(m.role, m.content) for m in ex.messages][0] == ("system", "Be kind.")


def test_unknown_shape_and_unknown_type_are_user_errors(tmp_path: Path) -> None:
    (tmp_path / "t.jsonl").write_text('{"question": "q", "answer": "a"}\n')
    with pytest.raises(UserError) as err:
        scan_dataset({"path": "t.jsonl"}, tmp_path)
    assert "cannot tell the format" in err.value.message and "['answer', 'question']" in err.value.message
    assert "type:" in err.value.hint
    with pytest.raises(UserError, match="type 'pygmalion' is not supported"):
        scan_dataset({"path": "t.jsonl", "type": "pygmalion"}, tmp_path)


def test_detect_format_uses_the_majority_of_first_rows() -> None:
    rows = [
        {"weird": 1},
        {"text": "a"},
        {"instruction": "i", "output": "o"},
        {"instruction": "j", "output": "p"},
    ]
    assert detect_format(rows) == "alpaca"
    assert detect_format([{"nothing": 1}, 5, "x"]) is None


def test_settings_accept_objects_with_attributes() -> None:
    class Entry:
        path = "alpaca.json"
        type = None
        roles = {"assistant": "bot2"}

    settings = dataset_settings(Entry())
    assert (settings.path, settings.roles) == ("alpaca.json", {"assistant": ["bot2"]})
    spec = resolve_format(settings, [{"messages": []}], "x")
    assert spec.format == "messages" and spec.roles["bot2"] == "assistant"


def test_real_config_entries_from_yaml(tmp_path: Path) -> None:
    from ftui.core.config import parse_config

    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "chat.jsonl").write_text(
        '{"conversations": [{"from": "system", "value": "S"}, {"from": "human", "value": "q"},'
        ' {"from": "gpt", "value": "a"}]}\n'
    )
    (tmp_path / "data" / "qa.jsonl").write_text('{"q": "question", "a": "answer"}\n')
    text = """
base_model: HuggingFaceTB/SmolLM2-135M-Instruct
skip_bad_rows: true
datasets:
  - path: data/chat.jsonl
    type: chat_template
    field_messages: conversations
    message_property_mappings: {role: from, content: value}
    roles: {user: [human], assistant: [gpt]}
    drop_system_message: true
  - path: data/qa.jsonl
    type: {field_instruction: q, field_output: a}
"""
    cfg = parse_config(text, "config.yml", base_dir=tmp_path).config
    assert cfg.skip_bad_rows is True
    chat, qa = (list(iter_examples(entry, cfg.base_dir)) for entry in cfg.datasets)
    assert [m.role for m in chat[0].messages] == ["user", "assistant"]
    assert (qa[0].kind, qa[0].instruction, qa[0].output) == ("alpaca", "question", "answer")
    assert chat[0].source.file == "data/chat.jsonl"


def test_entry_level_field_keys_and_legacy_role_keys(tmp_path: Path) -> None:
    (tmp_path / "a.jsonl").write_text('{"prompt": "p", "completion": "c"}\n')
    entry = {"path": "a.jsonl", "type": "alpaca", "field_instruction": "prompt", "field_output": "completion"}
    (ex,) = iter_examples(entry, tmp_path)
    assert (ex.instruction, ex.output) == ("p", "c")
    (tmp_path / "c.jsonl").write_text(
        '{"chat": [{"who": "user", "says": "q"}, {"who": "assistant", "says": "a"}]}\n'
    )
    entry = {"path": "c.jsonl", "type": "chat_template", "field_messages": "chat"}
    entry |= {"message_field_role": "who", "message_field_content": "says"}
    (ex,) = iter_examples(entry, tmp_path)
    assert [(m.role, m.content) for m in ex.messages] == [("user", "q"), ("assistant", "a")]


def test_importing_the_data_package_stays_light() -> None:
    import subprocess
    import sys

    code = (
        "import sys, ftui.core.data as d; d.scan_dataset({'path': 'alpaca.json'}, sys.argv[1]);"
        "print(sorted(m for m in ('torch', 'datasets', 'pyarrow', 'transformers', 'textual') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(FIXTURES)], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"


def test_chat_turns_under_either_key_in_either_shape(tmp_path: Path) -> None:
    (tmp_path / "a.jsonl").write_text(
        '{"conversations": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}]}\n'
    )
    (tmp_path / "b.jsonl").write_text(
        '{"messages": [{"from": "human", "value": "q"}, {"from": "gpt", "value": "a"}]}\n'
    )
    for name, fmt in (("a.jsonl", "messages"), ("b.jsonl", "sharegpt")):
        scan = scan_dataset({"path": name}, tmp_path)
        assert (scan.format, scan.rows, scan.bad_count) == (fmt, 1, 0)
        assert [m.role for m in scan.sample[0].messages] == ["user", "assistant"]
