"""`ftui debug`: Axolotl-style token dump, text view and JSON, through the real CLI entry point."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from ftui.tui.cli import main

CHAT_ROWS = [
    {
        "conversations": [
            {"from": "system", "value": "Be brief."},
            {"from": "human", "value": "Hi there"},
            {"from": "gpt", "value": "Hello!"},
            {"from": "human", "value": "Two plus two?"},
            {"from": "gpt", "value": "Four."},
        ]
    },
    {"conversations": [{"from": "human", "value": "Name a fruit"}, {"from": "gpt", "value": "Apple."}]},
]


@pytest.fixture
def chat_config(tmp_path: Path, smollm_dir: Path) -> Path:
    (tmp_path / "chat.jsonl").write_text("".join(json.dumps(r) + "\n" for r in CHAT_ROWS), encoding="utf-8")
    config = tmp_path / "config.yml"
    config.write_text(
        f"""base_model: {smollm_dir}
chat_template: chatml
datasets:
  - path: chat.jsonl
    type: chat_template
    field_messages: conversations
    message_property_mappings:
      role: from
      content: value
    roles:
      user: [human]
      assistant: [gpt]
sequence_len: 256
""",
        encoding="utf-8",
    )
    return config


def run_cli(args: list[str], capsys) -> tuple[int, str, str]:
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


def test_json_tokens_and_counts(chat_config: Path, capsys):
    code, out, _ = run_cli(["debug", str(chat_config), "-n", "2", "--json"], capsys)
    assert code == 0
    data = json.loads(out)
    assert len(data["examples"]) == 2
    first = data["examples"][0]
    tokens = first["tokens"]
    assert first["num_tokens"] == len(tokens)
    assert first["num_trained"] == sum(1 for t in tokens if t["label"] != -100)
    assert set(tokens[0]) == {"text", "id", "label", "part", "trained"}
    trained_text = "".join(t["text"] for t in tokens if t["trained"])
    # Both assistant turns are trained (not only the last), the user turns are not.
    assert "Hello!" in trained_text and "Four." in trained_text
    assert "Two plus two" not in trained_text and "Be brief" not in trained_text
    assert {t["part"] for t in tokens if t["trained"]} <= {"assistant", "special"}
    assert first["origin"].endswith("chat.jsonl:1")


def test_token_dump_totals_match_labels(chat_config: Path, capsys):
    _, json_out, _ = run_cli(["debug", str(chat_config), "-n", "2", "--json"], capsys)
    examples = json.loads(json_out)["examples"]
    code, out, _ = run_cli(["debug", str(chat_config), "-n", "2"], capsys)
    assert code == 0
    assert "\x1b[" not in out  # not a terminal: no colour codes
    totals = [int(n) for n in re.findall(r"^Total input len: (\d+)$", out, re.M)]
    labels = [int(n) for n in re.findall(r"^Count of labels: (\d+)$", out, re.M)]
    assert totals == [e["num_tokens"] for e in examples]
    assert labels == [sum(1 for t in e["tokens"] if t["label"] != -100) for e in examples]
    first_token = examples[0]["tokens"][0]
    assert f"({first_token['label']}, {first_token['id']})" in out


def test_colour_and_text_only(chat_config: Path, capsys):
    code, out, _ = run_cli(["debug", str(chat_config), "-n", "1", "--color", "always"], capsys)
    assert code == 0 and "\x1b[32m" in out and "\x1b[31m" in out
    code, out, _ = run_cli(["debug", str(chat_config), "-n", "1", "--text-only"], capsys)
    assert code == 0
    assert "[[Hello!" in out and "[[Four." in out
    assert "(-100," not in out


def test_over_length_examples_are_shown_with_a_note(tmp_path: Path, smollm_dir: Path, capsys):
    (tmp_path / "d.jsonl").write_text(
        json.dumps({"instruction": "Go", "input": "", "output": "word " * 80}) + "\n", encoding="utf-8"
    )
    config = tmp_path / "c.yml"
    config.write_text(
        f"base_model: {smollm_dir}\ndatasets:\n  - path: d.jsonl\n    type: alpaca\nsequence_len: 32\n",
        encoding="utf-8",
    )
    code, out, err = run_cli(["debug", str(config), "-n", "5", "--json"], capsys)
    assert code == 0
    example = json.loads(out)["examples"][0]
    assert example["over_length"] is True and example["num_tokens"] > 32
    code, out, err = run_cli(["debug", str(config)], capsys)
    assert "over sequence_len 32: dropped (excess_length_strategy: drop) by preprocess" in err


def test_tui_flag_opens_token_view(chat_config: Path, monkeypatch):
    import ftui.tui.app as app

    opened = []
    monkeypatch.setattr(app, "run_token_view", lambda path: opened.append(path) or 0)
    assert main(["debug", str(chat_config), "--tui"]) == 0
    assert opened == [str(chat_config)]


def test_bad_arguments(chat_config: Path, capsys):
    code, _, err = run_cli(["debug", str(chat_config), "-n", "0"], capsys)
    assert code == 1 and "-n must be at least 1" in err
    code, _, err = run_cli(["debug", str(chat_config.parent / "missing.yml")], capsys)
    assert code == 2 and "Traceback" not in err
