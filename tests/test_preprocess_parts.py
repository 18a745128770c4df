"""Preprocess building blocks: stats, the atomic on-disk store, the fingerprint's coverage."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from ftui.core.config import parse_config
from ftui.core.fingerprint import fingerprint_inputs, path_digest, preprocess_fingerprint, tokenizer_digest
from ftui.core.preprocess.stats import DatasetStats, StatsCollector, column_lengths, length_percentiles
from ftui.core.preprocess.store import (
    META_FILE,
    StoredDataset,
    load_stored,
    remove_stale_temporaries,
    save_stored,
)
from hypothesis import given, settings
from hypothesis import strategies as st


def test_length_percentiles_nearest_rank():
    assert length_percentiles(list(range(1, 101))) == {"p50": 50, "p90": 90, "p99": 99, "max": 100}
    assert length_percentiles([7]) == {"p50": 7, "p90": 7, "p99": 7, "max": 7}
    assert length_percentiles([]) == {"p50": 0, "p90": 0, "p99": 0, "max": 0}


def test_stats_collector_counts_duplicates_and_trainable():
    stats = StatsCollector(sequence_len=8)
    stats.add([1, 2, 3], [-100, 2, 3])
    stats.add([1, 2, 3], [-100, 2, 3])  # exact duplicate
    stats.add([1, 2, 3], [-100, -100, 3])  # same ids, other mask: not a duplicate
    stats.add([4, 5], [4, 5], truncated=True)
    stats.drop("too_long")
    stats.drop("no_trainable")
    result = stats.result(train_rows=3, val_rows=1, source_rows=6)
    assert result.rows == 4 and result.source_rows == 6
    assert result.duplicates == 1
    assert result.total_tokens == 11
    assert result.trainable_tokens == 2 + 2 + 1 + 2
    assert (result.dropped, result.dropped_too_long, result.dropped_no_trainable) == (2, 1, 1)
    assert result.truncated == 1
    assert result.length_percentiles["max"] == 3
    with pytest.raises(ValueError):
        stats.drop("bored")


def test_column_lengths_reads_arrow():
    from datasets import Dataset

    ds = Dataset.from_dict({"input_ids": [[1, 2], [3], [4, 5, 6]]})
    assert column_lengths(ds) == [2, 1, 3]
    assert column_lengths(ds.select([2, 0])) == [3, 2]


def _stored(n: int = 3) -> StoredDataset:
    from datasets import Dataset

    train = Dataset.from_dict(
        {"input_ids": [[i, i + 1] for i in range(n)], "labels": [[-100, i + 1] for i in range(n)]}
    )
    return StoredDataset(
        train=train, validation=None, stats=DatasetStats(rows=n), meta={"fingerprint": "abc"}
    )


def test_store_round_trip_and_fingerprint_check(tmp_path: Path):
    folder = save_stored(tmp_path / "abc", _stored())
    loaded = load_stored(folder, "abc")
    assert loaded is not None
    assert loaded.train["input_ids"] == [[0, 1], [1, 2], [2, 3]]
    assert loaded.stats.rows == 3 and loaded.validation is None
    assert load_stored(folder, "other") is None  # a folder made for another fingerprint is never used
    assert [p.name for p in tmp_path.iterdir()] == ["abc"]  # no temporaries left behind


def test_store_interrupted_write_leaves_nothing_reusable(tmp_path: Path, monkeypatch):
    import ftui.core.preprocess.store as store

    def crash(path, data):
        raise KeyboardInterrupt

    monkeypatch.setattr(store, "_write_json", crash)
    with pytest.raises(KeyboardInterrupt):
        save_stored(tmp_path / "abc", _stored())
    assert not (tmp_path / "abc").exists()
    assert load_stored(tmp_path / "abc", "abc") is None
    assert list(tmp_path.iterdir()) == []


def test_store_replaces_existing_folder_only_when_asked(tmp_path: Path):
    save_stored(tmp_path / "abc", _stored(2))
    save_stored(tmp_path / "abc", _stored(3))  # a parallel run finished first: its copy stays
    assert load_stored(tmp_path / "abc", "abc").stats.rows == 2
    save_stored(tmp_path / "abc", _stored(4), replace=True)
    loaded = load_stored(tmp_path / "abc", "abc")
    assert loaded is not None and loaded.stats.rows == 4
    assert [p.name for p in tmp_path.iterdir()] == ["abc"]


def test_stale_temporaries_of_dead_processes_are_removed(tmp_path: Path):
    dead = tmp_path / ".tmp-abc-999999999-deadbeef"
    dead.mkdir()
    mine = tmp_path / f".tmp-abc-{os.getpid()}-cafef00d"
    mine.mkdir()
    remove_stale_temporaries(tmp_path)
    assert not dead.exists()
    assert mine.exists()


def test_store_rejects_incomplete_meta(tmp_path: Path):
    folder = save_stored(tmp_path / "abc", _stored())
    (folder / META_FILE).write_text("{not json", encoding="utf-8")
    assert load_stored(folder, "abc") is None


# --- fingerprint ------------------------------------------------------------------------------------------


def _config(tmp_path: Path, tokenizer_dir: Path, extra: str = "", data: str = "data.jsonl"):
    text = f"""
base_model: {tokenizer_dir}
datasets:
  - path: {data}
    type: alpaca
sequence_len: 64
{extra}
"""
    return parse_config(text, base_dir=tmp_path).config


@pytest.fixture
def fake_model(tmp_path: Path) -> Path:
    model = tmp_path / "model"
    model.mkdir()
    (model / "config.json").write_text("{}", encoding="utf-8")
    (model / "tokenizer.json").write_text('{"v": 1}', encoding="utf-8")
    (model / "tokenizer_config.json").write_text("{}", encoding="utf-8")
    (model / "model.safetensors").write_bytes(b"weights")
    (tmp_path / "data.jsonl").write_text('{"instruction": "a", "output": "b"}\n', encoding="utf-8")
    return model


def test_fingerprint_is_stable_and_covers_token_settings(tmp_path: Path, fake_model: Path):
    base = preprocess_fingerprint(_config(tmp_path, fake_model))
    assert base == preprocess_fingerprint(_config(tmp_path, fake_model))
    assert len(base) == 16
    changed = {
        "sequence_len": _config(tmp_path, fake_model).model_copy(update={"sequence_len": 65}),
        "train_on_inputs": _config(tmp_path, fake_model, "train_on_inputs: true"),
        "truncate": _config(tmp_path, fake_model, "excess_length_strategy: truncate"),
        "val": _config(tmp_path, fake_model, "val_set_size: 0.1"),
        "special": _config(tmp_path, fake_model, "special_tokens:\n  pad_token: <pad>"),
        "template": _config(tmp_path, fake_model, "chat_template: chatml"),
    }
    prints = {name: preprocess_fingerprint(cfg) for name, cfg in changed.items()}
    assert base not in prints.values()
    assert len(set(prints.values())) == len(prints)


def test_fingerprint_ignores_training_settings(tmp_path: Path, fake_model: Path):
    base = preprocess_fingerprint(_config(tmp_path, fake_model))
    other = _config(
        tmp_path, fake_model, "learning_rate: 0.1\nlora_r: 64\noutput_dir: elsewhere\nsample_packing: true"
    )
    assert preprocess_fingerprint(other) == base


def test_fingerprint_follows_file_contents(tmp_path: Path, fake_model: Path):
    config = _config(tmp_path, fake_model)
    base = preprocess_fingerprint(config)
    data = tmp_path / "data.jsonl"
    data.write_bytes(data.read_bytes().replace(b'"b"', b'"c"'))  # one byte of data
    after_data = preprocess_fingerprint(config)
    assert after_data != base
    (fake_model / "tokenizer.json").write_text('{"v": 2}', encoding="utf-8")
    assert preprocess_fingerprint(config) != after_data
    # Weights are not tokenizer files: changing them does not re-tokenize.
    before_weights = tokenizer_digest(fake_model)
    (fake_model / "model.safetensors").write_bytes(b"other weights")
    assert tokenizer_digest(fake_model) == before_weights


def test_fingerprint_mapping_keys_and_folders(tmp_path: Path, fake_model: Path):
    folder = tmp_path / "shards"
    folder.mkdir()
    (folder / "a.jsonl").write_text('{"text": "x"}\n', encoding="utf-8")
    base = path_digest(folder)
    (folder / "b.jsonl").write_text('{"text": "y"}\n', encoding="utf-8")
    assert path_digest(folder) != base
    plain = _config(tmp_path, fake_model)
    mapped = plain.model_copy(
        update={"datasets": [plain.datasets[0].model_copy(update={"field_instruction": "question"})]}
    )
    assert preprocess_fingerprint(mapped) != preprocess_fingerprint(plain)
    inputs = fingerprint_inputs(plain)
    assert set(inputs) == {"format", "settings", "datasets", "test_datasets", "tokenizer", "code"}
    json.dumps(inputs)  # kept in meta.json, so it must be JSON


@settings(max_examples=200, deadline=None)
@given(
    rows=st.integers(min_value=2, max_value=300),
    size=st.one_of(st.floats(min_value=0.01, max_value=0.9), st.integers(min_value=1, max_value=5)),
    seed=st.integers(min_value=0, max_value=2**31),
)
def test_split_indices_partition_in_source_order(rows, size, seed):
    from ftui.core.errors import UserError
    from ftui.core.preprocess import split_indices

    try:
        train, val = split_indices(rows, size, seed)
    except UserError:
        assert (round(rows * size) if size < 1 else size) >= rows
        return
    assert sorted(train + val) == list(range(rows))
    assert train == sorted(train) and val == sorted(val)
    assert len(val) == (max(1, round(rows * size)) if size < 1 else size)
    assert (train, val) == split_indices(rows, size, seed)


def test_code_digest_follows_shipped_templates(tmp_path: Path, monkeypatch):
    import ftui.core.paths as paths
    from ftui.core.fingerprint import code_digest

    (tmp_path / "prompts").mkdir()
    template = tmp_path / "prompts" / "chatml.jinja"
    template.write_text("{{ messages }}", encoding="utf-8")
    monkeypatch.setattr(paths, "templates_dir", lambda: tmp_path)
    before = code_digest()
    template.write_text("{{ messages }}\n", encoding="utf-8")
    assert code_digest() != before
