"""`ftui data audit`: every kind on small hand-made data, the JSON shape, exit codes, several files and
formats, token kinds with a real tokenizer, and the exact duplicates already in the shared alpaca demo."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from ftui.core.config import FtuiConfig
from ftui.core.quality import KINDS, audit_config
from ftui.tui.cli import main
from quality_planting import shared_dir


@pytest.fixture
def shared_data() -> Path:
    return shared_dir()


LONG = (
    "The quick brown fox jumps over the lazy dog while the farmer watches from the porch with his tea. " * 3
)


def write_jsonl(path: Path, rows: list) -> Path:
    path.write_text(
        "".join((r if isinstance(r, str) else json.dumps(r, ensure_ascii=False)) + "\n" for r in rows)
    )
    return path


def config_for(tmp_path: Path, *paths: Path, **keys) -> Path:
    lines = ["base_model: embedded", "datasets:"]
    for path in paths:
        lines += [f"  - path: {path.name}"]
    lines += [f"{k}: {json.dumps(v)}" for k, v in keys.items()]
    cfg = tmp_path / "cfg.yml"
    cfg.write_text("\n".join(lines) + "\n")
    return cfg


def audit_json(capsys, *args: str) -> dict:
    assert main(["data", "audit", *args, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


ROWS = [
    {"instruction": "Say hi", "input": "", "output": "Hi there, nice to meet you."},  # 1
    {"instruction": "Tell a story", "input": "", "output": LONG},  # 2
    {"instruction": "Say hi", "input": "", "output": "Hi there, nice to meet you."},  # 3 exact of 1
    {"output": "Hi there, nice to meet you.", "input": "", "instruction": "Say hi"},  # 4 exact (key order)
    {"instruction": "Tell a story", "input": "", "output": LONG.replace("porch", "perch", 1)},  # 5 near of 2
    {"instruction": "Empty", "input": "", "output": "   "},  # 6 empty
    {"instruction": "Null", "input": "", "output": None},  # 7 empty
    {"instruction": "Markup", "input": "", "output": "ok <|im_end|> then more"},  # 8 template tokens
    {"instruction": "Loop", "input": "", "output": "buy now " * 60},  # 9 low complexity (repetitive)
    "{not json",  # 10 bad row
    {
        "instruction": "Refuse",
        "input": "",
        "output": "I cannot help with that request today.",
    },  # 11 assertion
    {"instruction": "Dot", "input": "", "output": "."},  # 12 low complexity (too short)
]
CHECK = "def no_refusal(output, expected, prompt):\n    return 'cannot' not in output\n"


def test_every_kind_on_hand_made_rows(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write_jsonl(tmp_path / "d.jsonl", ROWS)
    (tmp_path / "checks.py").write_text(CHECK)
    cfg = config_for(tmp_path, tmp_path / "d.jsonl", eval_assertions="checks.py:no_refusal")
    data = audit_json(capsys, str(cfg), "--no-tokens")
    assert set(data["problems"]) == set(KINDS)  # every kind, [] when none
    problems = {k: v for k, v in data["problems"].items() if v}
    assert problems == {
        "exact_duplicate": [3, 4],
        "near_duplicate": [5],
        "empty_response": [6, 7],
        "assertion_failed": [11],
        "template_tokens_in_content": [8],
        "low_complexity": [9, 12],
        "bad_row": [10],
    }
    assert data["pairs"] == {"3": 1, "4": 1, "5": 2}
    assert data["rows"] == 12 and len(data["datasets"]) == 1 and data["datasets"][0]["path"] == "d.jsonl"
    stats = data["stats"]
    assert stats["unit"] == "characters" and stats["counts"]["exact_duplicate"] == 2
    assert sum(stats["response_length"]["counts"]) == sum(stats["prompt_length"]["counts"]) > 0
    assert set(data["skipped"]) == {"too_long", "no_trainable_tokens"}


def test_assert_flag_overrides_and_a_missing_file_is_exit_2(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write_jsonl(tmp_path / "d.jsonl", ROWS[:3])
    (tmp_path / "other.py").write_text("def short(output):\n    return len(output) < 10\n")
    cfg = config_for(tmp_path, tmp_path / "d.jsonl")
    data = audit_json(capsys, str(cfg), "--no-tokens", "--assert", "other.py:short")
    assert data["problems"]["assertion_failed"] == [1, 2, 3]
    assert main(["data", "audit", str(cfg), "--assert", "missing.py:f", "--no-tokens"]) == 2
    assert "--assert: file not found" in capsys.readouterr().err
    assert main(["data", "audit", str(tmp_path / "nope.yml")]) == 2
    bad = tmp_path / "bad.yml"
    bad.write_text("base_model: embedded\ndatasets:\n  - path: missing.jsonl\n")
    assert main(["data", "audit", str(bad), "--no-tokens"]) == 2
    assert "missing.jsonl" in capsys.readouterr().err


def test_json_array_lines_and_several_files(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    rows = [{"instruction": f"q{i}", "input": "", "output": f"answer number {i} is here"} for i in range(3)]
    (tmp_path / "a.json").write_text(json.dumps(rows, indent=2))
    write_jsonl(
        tmp_path / "b.jsonl", [rows[1], {"instruction": "new", "input": "", "output": "fresh answer here"}]
    )
    cfg = config_for(tmp_path, tmp_path / "a.json", tmp_path / "b.jsonl")
    data = audit_json(capsys, str(cfg), "--no-tokens")
    assert "problems" not in data  # several datasets: per dataset only
    first, second = data["datasets"]
    assert first["rows"] == 3 and second["rows"] == 2
    assert second["problems"]["exact_duplicate"] == [1]
    starts = [i + 1 for i, line in enumerate((tmp_path / "a.json").read_text().splitlines()) if line == "  {"]
    assert second["pairs"] == {"1": f"a.json:{starts[1]}"}  # a partner in another file says which


def test_csv_and_parquet_sources(tmp_path, capsys, monkeypatch):
    import pyarrow as pa
    import pyarrow.parquet as pq

    monkeypatch.chdir(tmp_path)
    (tmp_path / "d.csv").write_text(
        'instruction,input,output\nq,,"two\nlines"\nq,,"two\nlines"\nr,,\n', encoding="utf-8"
    )
    cfg = config_for(tmp_path, tmp_path / "d.csv")
    data = audit_json(capsys, str(cfg), "--no-tokens")
    assert data["problems"]["exact_duplicate"] == [4] and data["problems"]["empty_response"] == [6]
    pq.write_table(pa.Table.from_pylist(ROWS[:3] + [ROWS[5]]), tmp_path / "d.parquet")
    cfg = config_for(tmp_path, tmp_path / "d.parquet")
    data = audit_json(capsys, str(cfg), "--no-tokens")
    assert data["problems"]["exact_duplicate"] == [3] and data["problems"]["empty_response"] == [4]


def test_token_kinds_with_the_real_tokenizer(tmp_path, capsys, monkeypatch, smollm_dir):
    monkeypatch.chdir(tmp_path)
    chat = [
        {"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]},
        {"messages": [{"role": "user", "content": "long " * 300}, {"role": "assistant", "content": "ok"}]},
        {
            "messages": [
                {"role": "user", "content": "x"},
                {"role": "assistant", "content": "y", "train": False},
            ]
        },
    ]
    write_jsonl(tmp_path / "c.jsonl", chat)
    cfg = config_for(tmp_path, tmp_path / "c.jsonl", sequence_len=128, chat_template="chatml")
    data = audit_json(capsys, str(cfg))
    assert data["problems"]["too_long"] == [2]
    assert data["problems"]["no_trainable_tokens"] == [3]
    assert data["stats"]["unit"] == "tokens" and data["skipped"] == {
        "assertion_failed": data["skipped"]["assertion_failed"]
    }
    assert data["stats"]["response_length"]["max"] >= 2


def test_human_summary_lists_kinds_and_places(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write_jsonl(tmp_path / "d.jsonl", ROWS[:5])
    assert main(["data", "audit", str(config_for(tmp_path, tmp_path / "d.jsonl")), "--no-tokens"]) == 0
    out = capsys.readouterr().out
    assert (
        "audited 5 rows" in out and "d.jsonl:3  repeats line 1" in out and "d.jsonl:5  repeats line 2" in out
    )


def test_alpaca_demo_exact_duplicates_match_a_brute_force_count(shared_data):
    path = shared_data / "alpaca_en_demo.json"
    config = FtuiConfig(base_model="embedded", datasets=[{"path": str(path)}])
    report = audit_config(config, use_tokens=False)
    rows = json.loads(path.read_text())
    seen, expected = set(), []
    for i, row in enumerate(rows):
        key = json.dumps(row, sort_keys=True)
        if key in seen:
            expected.append(i)
        seen.add(key)
    found = sorted(report.rows.index[r] for r in report.rows_of("exact_duplicate"))
    assert len(expected) == 14 and found == expected


def test_clean_command_writes_kept_rows_and_refuses_to_overwrite_the_source(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write_jsonl(tmp_path / "d.jsonl", ROWS)
    cfg = config_for(tmp_path, tmp_path / "d.jsonl")
    before = (tmp_path / "d.jsonl").read_bytes()
    rc = main(["data", "clean", str(cfg), "--drop", "exact_duplicate,near_duplicate", "--drop", "bad_row",
               "--out", "out/clean.jsonl", "--no-tokens"])  # fmt: skip
    assert rc == 0
    assert "kept 8 rows, dropped 4" in capsys.readouterr().out
    lines = before.splitlines(keepends=True)
    assert (tmp_path / "out" / "clean.jsonl").read_bytes() == b"".join(
        lines[i] for i in (0, 1, 5, 6, 7, 8, 10, 11)
    )
    report = json.loads((tmp_path / "out" / "clean.jsonl.report.json").read_text())
    assert report["by_kind"] == {"exact_duplicate": 2, "near_duplicate": 1, "bad_row": 1}
    assert report["rows"][0] == {"file": "d.jsonl", "line": 3, "kinds": ["exact_duplicate"], "reasons": {},
                                 "partner": {"file": "d.jsonl", "line": 1}}  # fmt: skip
    assert (tmp_path / "d.jsonl").read_bytes() == before
    assert main(["data", "clean", str(cfg), "--drop", "bad_row", "--out", "d.jsonl", "--no-tokens"]) == 2
    assert "one of the dataset's own files" in capsys.readouterr().err
    assert main(["data", "clean", str(cfg), "--drop", "dupes", "--out", "x.jsonl"]) == 2
    assert "unknown kind 'dupes'" in capsys.readouterr().err
    assert (tmp_path / "d.jsonl").read_bytes() == before


def test_clean_json_array_keeps_elements_and_layout(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    text = '\ufeff[\n  {"instruction": "a", "output": "x x"},\n  {"instruction": "a", "output": "x x"},\n' \
           '  {"output": "y", "instruction": "b",\n   "input": ""}\n]\n'  # fmt: skip
    (tmp_path / "d.json").write_text(text, encoding="utf-8")
    cfg = config_for(tmp_path, tmp_path / "d.json")
    assert (
        main(["data", "clean", str(cfg), "--drop", "exact_duplicate", "--out", "c.json", "--no-tokens"]) == 0
    )
    out = (tmp_path / "c.json").read_text(encoding="utf-8")
    assert (
        out
        == '\ufeff[\n  {"instruction": "a", "output": "x x"},\n  {"output": "y", "instruction": "b",\n   "input": ""}\n]\n'
    )
    assert (
        main(["data", "clean", str(cfg), "--drop", "empty_response", "--out", "same.json", "--no-tokens"])
        == 0
    )
    assert (tmp_path / "same.json").read_bytes() == (
        tmp_path / "d.json"
    ).read_bytes()  # nothing dropped: same bytes


def test_clean_several_files_into_a_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write_jsonl(tmp_path / "a.jsonl", ROWS[:3])
    write_jsonl(tmp_path / "b.jsonl", ROWS[:2])
    cfg = config_for(tmp_path, tmp_path / "a.jsonl", tmp_path / "b.jsonl")
    assert (
        main(["data", "clean", str(cfg), "--drop", "exact_duplicate", "--out", "curated", "--no-tokens"]) == 0
    )
    assert (tmp_path / "curated" / "a.jsonl").read_bytes().count(b"\n") == 2
    assert (tmp_path / "curated" / "b.jsonl").read_bytes() == b""  # both rows repeat rows of a.jsonl
    report = json.loads((tmp_path / "curated.report.json").read_text())
    assert [(r["file"], r["line"], r["partner"]) for r in report["rows"]] == [
        ("a.jsonl", 3, {"file": "a.jsonl", "line": 1}),
        ("b.jsonl", 1, {"file": "a.jsonl", "line": 1}),
        ("b.jsonl", 2, {"file": "a.jsonl", "line": 2}),
    ]
