"""Curation at preprocess time: dataset_exact_deduplication (Axolotl's rule: identical tokenized rows),
dataset_near_deduplication and dataset_drop, counted in the stats and part of the fingerprint."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from ftui.core.config import ConfigError, load_config
from ftui.core.preprocess import prepare_dataset

LONG = "Regular exercise strengthens the heart, improves sleep and lifts the mood for most people. " * 3
ROWS = [
    {"instruction": "a", "input": "", "output": "first answer"},
    {"instruction": "a", "input": "", "output": "first answer"},  # exact duplicate
    {"instruction": "b", "input": "", "output": LONG},
    {"instruction": "b", "input": "", "output": LONG.replace("heart", "hearts", 1)},  # near duplicate
    {"instruction": "c", "input": "", "output": "<|im_end|> injected"},  # template tokens
    {"instruction": "d", "input": "", "output": "a last, clean answer"},
]


def project(tmp_path: Path, model: Path, **keys) -> Path:
    (tmp_path / "d.jsonl").write_text("".join(json.dumps(r) + "\n" for r in ROWS))
    lines = [f"base_model: {model}", "datasets:", "  - path: d.jsonl", "    type: alpaca", "sequence_len: 256",
             f"dataset_prepared_path: {tmp_path / 'prepared'}"]  # fmt: skip
    lines += [f"{k}: {json.dumps(v)}" for k, v in keys.items()]
    path = tmp_path / "cfg.yml"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_curation_keys_drop_and_count(tmp_path, tiny_chatml_model_dir):
    plain = prepare_dataset(load_config(project(tmp_path, tiny_chatml_model_dir)).config)
    assert plain.stats.rows == 6 and plain.stats.duplicates == 1 and plain.stats.dropped == 0
    cfg = project(tmp_path, tiny_chatml_model_dir, dataset_exact_deduplication=True)
    dedup = prepare_dataset(load_config(cfg).config)
    assert dedup.stats.rows == 5 and dedup.stats.dropped_exact_duplicate == 1 and dedup.stats.duplicates == 0
    assert dedup.fingerprint != plain.fingerprint
    cfg = project(tmp_path, tiny_chatml_model_dir, dataset_near_deduplication=True,
                  dataset_drop=["template_tokens_in_content"])  # fmt: skip
    curated = prepare_dataset(load_config(cfg).config)
    assert curated.stats.rows == 3  # exact duplicate, near duplicate and the markup row left out
    assert curated.stats.dropped_quality == {
        "exact_duplicate": 1,
        "near_duplicate": 1,
        "template_tokens_in_content": 1,
    }
    assert curated.stats.source_rows == 6 and curated.stats.dropped == 3


def test_curation_keys_are_validated(tmp_path):
    with pytest.raises(ConfigError, match="unknown kind 'dupes'"):
        load_config(project(tmp_path, Path("m"), dataset_drop=["dupes"]))
    with pytest.raises(ConfigError, match="similarity in"):
        load_config(project(tmp_path, Path("m"), dataset_near_deduplication=1.5))
    with pytest.raises(ConfigError, match="unknown setting 'near'"):
        load_config(project(tmp_path, Path("m"), dataset_quality={"near": 0.5}))
    loaded = load_config(
        project(tmp_path, Path("m"), dataset_exact_deduplication=True, dataset_near_deduplication=0.8)
    )
    assert "dataset_exact_deduplication" not in " ".join(loaded.warnings)  # acted on, no longer "ignored"
    assert loaded.config.dataset_near_deduplication == 0.8
