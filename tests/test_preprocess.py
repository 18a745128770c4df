"""prepare_dataset and `ftui preprocess`: real tokenizer (SmolLM2 ChatML), real CLI, fingerprint reuse."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from ftui.core.config import load_config
from ftui.core.preprocess import prepare_dataset, split_indices
from ftui.tui.cli import main

ROWS = [
    {"instruction": "Say hi.", "input": "", "output": "Hi!"},
    {"instruction": "Add the numbers.", "input": "2 and 3", "output": "5"},
    {"instruction": "Name a colour.", "input": "", "output": "Blue, like the sky on a clear day."},
    {"instruction": "Say hi.", "input": "", "output": "Hi!"},  # exact duplicate of row 1
    {"instruction": "Count to five.", "input": "", "output": "1, 2, 3, 4, 5"},
    {"instruction": "Write a long story.", "input": "", "output": "Once upon a time " * 30},
]


@pytest.fixture(autouse=True)
def steady_code_digest(monkeypatch):
    """The fingerprint covers ftui's own tokenizing code; in a shared working tree other edits to it could
    land between two calls of one test. An installed ftui's code does not change, so pin it as such."""
    import ftui.core.fingerprint as fingerprint

    digest = fingerprint.code_digest()
    monkeypatch.setattr(fingerprint, "code_digest", lambda: digest)


def write_config(folder: Path, model: Path, extra: str = "", rows: list[dict] | None = None) -> Path:
    data = folder / "data.jsonl"
    if rows is not None or not data.exists():
        data.write_text("".join(json.dumps(r) + "\n" for r in (rows or ROWS)), encoding="utf-8")
    config = folder / "config.yml"
    config.write_text(
        f"base_model: {model}\ndatasets:\n  - path: data.jsonl\n    type: alpaca\nsequence_len: 96\n{extra}",
        encoding="utf-8",
    )
    return config


def load(path: Path):
    return load_config(path).config


def test_cli_json_end_to_end(tmp_path: Path, smollm_dir: Path, capsys):
    config_path = write_config(tmp_path, smollm_dir, "sample_packing: true\n")
    assert main(["preprocess", str(config_path), "--json"]) == 0
    out = capsys.readouterr().out
    summary = json.loads(out)  # exactly one JSON object on stdout
    for key in (
        "path",
        "rows",
        "dropped",
        "truncated",
        "total_tokens",
        "trainable_tokens",
        "length_percentiles",
        "duplicates",
        "packing_efficiency",
    ):
        assert key in summary, key
    assert summary["rows"] == 5 and summary["dropped"] == 1  # the long story is over 96 tokens
    assert summary["duplicates"] == 1
    assert set(summary["length_percentiles"]) == {"p50", "p90", "p99", "max"}
    assert summary["length_percentiles"]["max"] <= 96

    from datasets import load_from_disk

    opened = load_from_disk(summary["path"])  # the printed path is a DatasetDict folder, as in Axolotl
    assert list(opened.keys()) == ["train"]
    saved = opened["train"]
    assert saved.column_names == ["input_ids", "labels", "attention_mask"]
    assert len(saved) == 5
    assert summary["total_tokens"] == sum(len(ids) for ids in saved["input_ids"])
    assert summary["trainable_tokens"] == sum(sum(1 for x in lab if x != -100) for lab in saved["labels"])
    lengths = [len(ids) for ids in saved["input_ids"]]
    assert summary["packing_efficiency"] == pytest.approx(
        sum(lengths) / (summary["packed_rows"] * 96), abs=1e-6
    )
    stats_file = json.loads((Path(summary["path"]) / "stats.json").read_text())
    assert stats_file["rows"] == 5


def test_rows_match_the_template_engine_in_source_order(tmp_path: Path, smollm_dir: Path):
    from ftui.core.data import iter_examples
    from ftui.core.templates import MaskSettings, tokenize_example
    from ftui.core.tokenizer import load_tokenizer

    config = load(write_config(tmp_path, smollm_dir))
    prepared = prepare_dataset(config)
    tokenizer = load_tokenizer(config)
    settings = MaskSettings.from_config(config, config.datasets[0])
    expected = []
    for example in iter_examples(config.datasets[0], tmp_path):
        tokenized = tokenize_example(example, "alpaca", tokenizer, settings)
        if not tokenized.stats.over_length:
            expected.append((tokenized.input_ids, tokenized.labels))
    assert [(r["input_ids"], r["labels"]) for r in prepared.train] == expected
    assert all(set(mask) == {1} for mask in prepared.train["attention_mask"])


def test_second_call_reuses_without_tokenizing(tmp_path: Path, smollm_dir: Path, monkeypatch):
    config = load(write_config(tmp_path, smollm_dir))
    first = prepare_dataset(config)
    assert not first.reused

    import ftui.core.templates.engine as engine
    import ftui.core.tokenizer as tokenizer_module

    def forbidden(*args, **kwargs):
        raise AssertionError("the tokenizer must not be used when the fingerprint matches")

    monkeypatch.setattr(tokenizer_module, "load_tokenizer", forbidden)
    monkeypatch.setattr(engine.Tokenizing, "run", forbidden)
    second = prepare_dataset(config)
    assert second.reused and second.path == first.path
    assert second.train["input_ids"] == first.train["input_ids"]


def test_changes_that_matter_re_tokenize(tmp_path: Path, smollm_dir: Path):
    config_path = write_config(tmp_path, smollm_dir)
    base = prepare_dataset(load(config_path))

    other_len = prepare_dataset(
        load(write_config(tmp_path, smollm_dir, "excess_length_strategy: truncate\n"))
    )
    assert not other_len.reused and other_len.path != base.path
    assert other_len.stats.truncated == 1 and other_len.stats.dropped == 0
    assert max(len(ids) for ids in other_len.train["input_ids"]) == 96

    data = tmp_path / "data.jsonl"
    data.write_bytes(data.read_bytes().replace(b"Blue", b"Bluf"))  # one byte
    changed = prepare_dataset(load(write_config(tmp_path, smollm_dir)))
    assert not changed.reused and changed.path != base.path

    not_tokens = prepare_dataset(load(write_config(tmp_path, smollm_dir, "learning_rate: 0.5\nlora_r: 4\n")))
    assert not_tokens.reused and not_tokens.path == changed.path


def test_force_re_tokenizes(tmp_path: Path, smollm_dir: Path):
    config = load(write_config(tmp_path, smollm_dir))
    first = prepare_dataset(config)
    again = prepare_dataset(config, force=True)
    assert not again.reused and again.path == first.path
    assert [p.name for p in first.path.parent.iterdir()] == [first.path.name]


def test_interrupted_preprocess_is_not_reused(tmp_path: Path, smollm_dir: Path, monkeypatch):
    import ftui.core.preprocess.store as store

    config = load(write_config(tmp_path, smollm_dir))
    real_write = store._write_json

    def crash(path, data):
        if path.name == "meta.json":
            raise KeyboardInterrupt  # Ctrl-C after the rows and stats were written
        real_write(path, data)

    monkeypatch.setattr(store, "_write_json", crash)
    with pytest.raises(KeyboardInterrupt):
        prepare_dataset(config)
    root = tmp_path / "last_run_prepared"
    assert [p for p in root.iterdir() if not p.name.startswith(".")] == []
    monkeypatch.setattr(store, "_write_json", real_write)
    prepared = prepare_dataset(config)
    assert not prepared.reused and len(prepared.train) == 5


def test_progress_callback(tmp_path: Path, smollm_dir: Path):
    calls = []
    prepare_dataset(
        load(write_config(tmp_path, smollm_dir)), progress=lambda done, total: calls.append((done, total))
    )
    assert calls[0] == (0, 6) and calls[-1] == (6, 6)


def test_validation_split_is_seeded_and_ordered(tmp_path: Path, smollm_dir: Path):
    rows = [{"instruction": f"Say {i}.", "input": "", "output": str(i)} for i in range(20)]
    config = load(write_config(tmp_path, smollm_dir, "val_set_size: 0.25\nseed: 7\n", rows=rows))
    prepared = prepare_dataset(config)
    assert len(prepared.train) == 15 and len(prepared.validation) == 5
    assert list(prepared.keys()) == ["train", "validation"] and "validation" in prepared
    from datasets import load_from_disk

    opened = load_from_disk(str(prepared.path))
    assert list(opened.keys()) == ["train", "validation"] and opened["validation"].num_rows == 5
    train_idx, val_idx = split_indices(20, 0.25, 7)
    assert (train_idx, val_idx) == split_indices(20, 0.25, 7)
    assert split_indices(20, 0.25, 8) != (train_idx, val_idx)
    assert sorted(train_idx + val_idx) == list(range(20)) and val_idx == sorted(val_idx)
    assert split_indices(20, 3, 7)[1].__len__() == 3  # a count, not a fraction
    with pytest.raises(Exception, match="leaving none to train on"):
        split_indices(3, 3, 0)


def test_skip_bad_rows_counts_them(tmp_path: Path, smollm_dir: Path):
    config_path = write_config(tmp_path, smollm_dir, "skip_bad_rows: true\n")
    with open(tmp_path / "data.jsonl", "a", encoding="utf-8") as handle:
        handle.write("{not json\n")
    prepared = prepare_dataset(load(config_path))
    assert prepared.stats.bad_rows == 1 and prepared.stats.rows == 5


def test_bad_data_is_one_error_without_traceback(tmp_path: Path, smollm_dir: Path, capsys):
    config_path = write_config(tmp_path, smollm_dir)
    with open(tmp_path / "data.jsonl", "a", encoding="utf-8") as handle:
        handle.write('{"instruction": 5}\n')
    assert main(["preprocess", str(config_path)]) == 1
    err = capsys.readouterr().err
    assert "data.jsonl:7" in err and "Traceback" not in err


def test_real_cli_bad_config_exits_2(tmp_path: Path):
    config = tmp_path / "bad.yml"
    config.write_text(
        "base_model: embedded\ndatasets: []\nsequence_len: -3\nlora_r: many\n", encoding="utf-8"
    )
    for command in ("preprocess", "debug"):
        result = subprocess.run(
            [sys.executable, "-m", "ftui.tui.cli", command, str(config), "--json"],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 2, result.stderr
        assert "Traceback" not in result.stderr
        assert "lora_r" in result.stderr and "bad.yml" in result.stderr
        assert result.stdout == ""


def test_human_summary(tmp_path: Path, smollm_dir: Path, capsys):
    config_path = write_config(tmp_path, smollm_dir, "sample_packing: true\n")
    assert main(["preprocess", str(config_path)]) == 0
    out = capsys.readouterr().out
    assert "prepared dataset:" in out and "tokenized in" in out
    assert "dropped     1 (1 longer than sequence_len 96" in out
    assert "packing" in out and "efficient" in out
    assert main(["preprocess", str(config_path)]) == 0
    assert "reused the saved copy" in capsys.readouterr().out


@pytest.mark.parametrize("tokenizer_fixture", ["smollm_dir", "mistral_tokenizer_dir"])
def test_packing_efficiency_on_alpaca_demo(tmp_path: Path, shared_datasets: Path, tokenizer_fixture, request):
    """Measured: SmolLM2 ChatML 99.51% (101 rows), Mistral v1 99.12% (110 rows) at sequence_len 2048."""
    model = request.getfixturevalue(tokenizer_fixture)
    config = tmp_path / "config.yml"
    config.write_text(
        f"base_model: {model}\ndatasets:\n  - path: {shared_datasets / 'alpaca_en_demo.json'}\n"
        "    type: alpaca\nsequence_len: 2048\nsample_packing: true\n",
        encoding="utf-8",
    )
    prepared = prepare_dataset(load(config))
    assert prepared.stats.rows >= 999 and prepared.stats.dropped == 0
    assert prepared.stats.packing_efficiency >= 0.97
    packed = prepared.packed_train()
    assert len(packed) == prepared.stats.packed_rows
    assert max(len(ids) for ids in packed["input_ids"]) <= 2048
    assert sorted(i for row in packed["example_indices"] for i in row) == list(range(len(prepared.train)))


def test_truncated_prompt_with_nothing_trained_is_dropped(tmp_path: Path, smollm_dir: Path):
    rows = ROWS[:2] + [{"instruction": "Explain this. " * 40, "input": "", "output": "Sure."}]
    config = load(write_config(tmp_path, smollm_dir, "excess_length_strategy: truncate\n", rows=rows))
    stats = prepare_dataset(config).stats
    assert (stats.rows, stats.dropped_no_trainable, stats.dropped_too_long) == (2, 1, 0)


def test_long_completion_texts_are_split_into_windows(tmp_path: Path, smollm_dir: Path):
    (tmp_path / "text.jsonl").write_text(
        json.dumps({"text": "The quick brown fox jumps over the lazy dog. " * 30})
        + "\n"
        + json.dumps({"text": "Short one."})
        + "\n",
        encoding="utf-8",
    )
    config_path = tmp_path / "c.yml"
    config_path.write_text(
        f"base_model: {smollm_dir}\ndatasets:\n  - path: text.jsonl\n    type: completion\nsequence_len: 96\n",
        encoding="utf-8",
    )
    config = load(config_path)
    prepared = prepare_dataset(config)
    from ftui.core.preprocess import preview_examples

    full = preview_examples(config, 1)[0]
    assert full.over_length and "split into" in full.length_note(96)
    ids = full.tokenized.input_ids
    rows = prepared.train["input_ids"]
    expected = [ids[i : i + 96] for i in range(0, len(ids), 96)]
    expected = [w for w in expected if len(w) > 1]
    assert rows[: len(expected)] == expected
    assert len(rows) == len(expected) + 1 and all(len(r) <= 96 for r in rows)
    assert prepared.stats.split == 1 and prepared.stats.source_rows == 2 and prepared.stats.dropped == 0


def test_parallel_preparations_of_the_same_config(tmp_path: Path, smollm_dir: Path):
    """Two preparations racing (trainer ranks, TUI and CLI) both succeed and leave one complete folder."""
    from concurrent.futures import ThreadPoolExecutor

    from ftui.core.tokenizer import load_tokenizer

    config = load(write_config(tmp_path, smollm_dir))
    tokenizers = [load_tokenizer(config), load_tokenizer(config)]
    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(lambda tok: prepare_dataset(config, tokenizer=tok), tokenizers))
    assert results[0].path == results[1].path
    assert results[0].train["input_ids"] == results[1].train["input_ids"]
    assert [p.name for p in results[0].path.parent.iterdir()] == [results[0].path.name]


def test_unwritable_prepared_path_is_a_user_error(tmp_path: Path, smollm_dir: Path, capsys):
    (tmp_path / "a_file").write_text("not a folder", encoding="utf-8")
    config_path = write_config(tmp_path, smollm_dir, "dataset_prepared_path: a_file/prepared\n")
    assert main(["preprocess", str(config_path)]) == 1
    err = capsys.readouterr().err
    assert "cannot save the prepared dataset in" in err and "dataset_prepared_path" in err
    assert "Traceback" not in err
