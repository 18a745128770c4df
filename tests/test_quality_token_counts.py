"""The audit's fast token counts (`RowTokenizer.facts`: one `encode_batch`, labels counted, no training
examples built) equal the reference path (`Tokenizing.run` + `limit_length`, as preprocessing does) row for
row on shared-dataset rows: English alpaca, the Chinese identity set, tool-call chats, and Chinese answers,
with both length strategies and with and without training on inputs."""

from __future__ import annotations

import json

import pytest
from ftui.core.config import FtuiConfig
from ftui.core.quality.tokens import RowTokenizer
from ftui.core.tokenizer import load_tokenizer
from quality_planting import chinese_rows, shared_dir


def _examples(config: FtuiConfig) -> list:
    from ftui.core.data import iter_examples

    return list(iter_examples(config.datasets[0], config.base_dir, skip_bad_rows=True))


def _config(tmp_path, name: str, rows: list[dict], kind: str, **keys) -> FtuiConfig:
    path = tmp_path / name
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return FtuiConfig(base_model="embedded", datasets=[{"path": str(path), "type": kind}], **keys)


def _shared_rows(name: str, count: int) -> list[dict]:
    rows = json.loads((shared_dir() / name).read_text(encoding="utf-8"))
    assert len(rows) >= min(count, 50), f"{name}: too few rows in the shared data"
    return rows[:count]


@pytest.fixture(scope="module")
def tokenizer():
    return load_tokenizer(FtuiConfig(base_model="embedded", datasets=[{"path": "unused.jsonl"}]))


CASES = {
    "alpaca_en": ("alpaca_en_demo.json", "alpaca", {}),
    "identity_zh_en": ("identity.json", "alpaca", {"train_on_inputs": True}),
    "toolcall_chat": ("glaive_toolcall_en_demo.json", "chat_template", {"chat_template": "chatml"}),
}


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("strategy", ["drop", "truncate"])
def test_fast_counts_equal_the_reference(tmp_path, tokenizer, case, strategy):
    name, kind, keys = CASES[case]
    rows = _shared_rows(name, 300)
    config = _config(
        tmp_path, f"{case}.jsonl", rows, kind, sequence_len=96, excess_length_strategy=strategy, **keys
    )
    job = RowTokenizer(config, config.datasets[0], tokenizer)
    examples = _examples(config)
    assert len(examples) >= 50
    fast = job.facts(examples)
    assert fast == job.reference_facts(examples)
    assert any(f.too_long for f in fast) and any(not f.too_long for f in fast)


def test_fast_counts_on_chinese_answers(tmp_path, tokenizer):
    config = _config(tmp_path, "zh.jsonl", chinese_rows(200, seed=3), "alpaca", sequence_len=128)
    job = RowTokenizer(config, config.datasets[0], tokenizer)
    examples = _examples(config)
    fast = job.facts(examples)
    assert fast == job.reference_facts(examples)
    assert all(f.trained > 0 for f in fast) and any(f.too_long for f in fast)
