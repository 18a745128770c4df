"""`ftui check CONFIG [--json]`: one JSON object whatever happens, exit 0 exactly when ok, missing files are
warnings, nothing heavy imported."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from ftui.core.config import check_config
from ftui.tui.cli import main

BASE = "base_model: m\ndatasets:\n  - path: d.json\n"


def run_check(path: Path, capsys, *flags: str) -> tuple[int, str]:
    code = main(["check", str(path), *flags])
    return code, capsys.readouterr().out


@pytest.mark.parametrize(
    ("text", "ok"),
    [
        (BASE, True),
        ("base_model: m\ndatasets: [\n", False),  # broken YAML
        ("", False),
        ("- a list\n", False),
        (BASE + "learning_rate: -1\n", False),
        (BASE + "rl: dpo\n", True),  # opens; train refuses
        ("base_model: !!python/object:os.system {}\n", False),
    ],
)
def test_json_is_one_object_and_exit_code_follows_ok(tmp_path, capsys, text, ok):
    path = tmp_path / "c.yml"
    path.write_text(text)
    code, out = run_check(path, capsys, "--json")
    report = json.loads(out)  # exactly one JSON document on stdout
    assert set(report) == {"ok", "errors", "warnings", "ignored_keys", "unsupported"}
    assert report["ok"] is ok and (report["errors"] == []) is ok
    assert code == (0 if ok else 2)
    for item in report["errors"] + report["warnings"]:
        assert set(item) == {"line", "key", "message"}
        assert item["line"] is None or isinstance(item["line"], int)


def test_missing_file_and_folder_are_one_json_error(tmp_path, capsys):
    for target in (tmp_path / "nope.yml", tmp_path):
        code, out = run_check(target, capsys, "--json")
        report = json.loads(out)
        assert code == 2 and report["ok"] is False and len(report["errors"]) == 1
        assert report["errors"][0]["line"] is None


def test_error_items_name_line_and_key_path(tmp_path, capsys):
    path = tmp_path / "c.yml"
    path.write_text(BASE + "    type: alpacca\nseed: 1\nseed: 2\n")
    report = json.loads(run_check(path, capsys, "--json")[1])
    assert report["errors"] == [
        {
            "line": 4,
            "key": "datasets[0].type",
            "message": "unknown dataset type 'alpacca' (did you mean 'alpaca'?); choose from: alpaca, chat_template, "
            "messages, completion, input_output, pretokenized, tokenized",
        }
    ]
    assert {"line": 6, "key": "seed", "message": report["warnings"][0]["message"]} in report["warnings"]


def test_missing_data_model_and_files_are_warnings_not_errors(tmp_path):
    path = tmp_path / "c.yml"
    path.write_text(
        "base_model: ./no-such-model\ndatasets:\n  - path: missing.jsonl\ndeepspeed: ds.json\n"
        "eval_assertions: checks.py:check\n"
    )
    report = check_config(path)
    assert report.ok
    keys = [p.key for p in report.warnings]
    assert keys == ["base_model", "datasets[0].path", "deepspeed", "eval_assertions"]
    assert all(p.severity == "warning" for p in report.warnings)


def test_text_report_says_what_ftui_will_do(tmp_path, capsys):
    data = tmp_path / "rows.jsonl"
    data.write_text('{"instruction": "a", "output": "b"}\n')
    path = tmp_path / "c.yml"
    path.write_text(
        "base_model: embedded\nadapter: lora\nlora_r: 4\ndatasets:\n  - path: rows.jsonl\n    type: alpaca\n"
        "liger_cross_entropy: true\n"
    )
    code, out = run_check(path, capsys)
    assert code == 0 and out.startswith(f"{path}: ok; `ftui train` can run it")
    assert "method: LoRA r=4" in out and "rows.jsonl - type alpaca, rendered with the alpaca template" in out
    assert "ignored (read, no effect on training):\n  liger_cross_entropy: a speed/memory kernel" in out
    path.write_text(path.read_text() + "rl: grpo\n")
    code, out = run_check(path, capsys)
    assert code == 0 and "opens; `ftui train` refuses it" in out
    assert "unsupported (ftui train refuses):\n  rl: preference/RL training (rl: grpo)" in out


def test_train_refuses_unsupported_features_at_once(tmp_path, capsys):
    path = tmp_path / "c.yml"
    path.write_text(BASE + "rl: grpo\noutput_dir: out\n")
    code = main(["train", str(path)])
    err = capsys.readouterr().err
    assert code == 2
    assert "ftui cannot train this config yet: it asks for preference/RL training (rl: grpo)" in err
    assert "Traceback" not in err
    assert not (tmp_path / "out").exists()  # refused before anything is written


def test_check_never_imports_torch_or_transformers(tmp_path):
    path = tmp_path / "c.yml"
    path.write_text(
        "base_model: mistralai/Mistral-7B-v0.1\ndatasets:\n  - path: x.jsonl\n    type: sharegpt\n"
    )
    code = (
        "import sys; from ftui.tui.cli import main; main(['check', sys.argv[1]]); "
        "heavy = [m for m in ('torch', 'transformers', 'datasets', 'peft', 'textual') if m in sys.modules]; "
        "sys.exit(3 if heavy else 0)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, str(path)], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr
