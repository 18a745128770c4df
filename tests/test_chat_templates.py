"""Every chat template name Axolotl accepts resolves to a shipped template, renders, and - for 24 of them on
two tokenizers - gives Axolotl 0.19's own input_ids and labels (tests/data/parity/make_template_parity.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from ftui.core.config import FtuiConfig
from ftui.core.config.choices import axolotl_chat_templates
from ftui.core.data.formats import resolve_format
from ftui.core.data.model import RowOrigin
from ftui.core.data.rows import normalize_row
from ftui.core.data.settings import dataset_settings
from ftui.core.templates import IGNORE_INDEX, MaskSettings, tokenize_batch, tokenize_example
from ftui.core.templates.library import template_for, template_from_config

FIXTURE = Path(__file__).parent / "data" / "parity" / "axolotl_template_parity.json"


@pytest.fixture(autouse=True)
def _recorded_date(monkeypatch: pytest.MonkeyPatch) -> None:
    """Templates that print today's date (mistral_v7_tekken's system prompt) render the day Axolotl's
    output was recorded, so the comparison does not break at midnight."""
    from datetime import datetime

    from ftui.core.templates import jinja_env

    recorded = datetime.fromisoformat(json.loads(FIXTURE.read_text())["meta"]["date"])

    class _RecordedDay(datetime):
        @classmethod
        def now(cls, tz=None):  # noqa: ANN001, ANN206 - datetime's own signature
            return recorded

    monkeypatch.setattr(jinja_env, "datetime", _RecordedDay)


def _cases() -> list[dict]:
    return json.loads(FIXTURE.read_text())["cases"]


@pytest.fixture(scope="module")
def tokenizers(mistral_tokenizer_dir: Path, smollm_dir: Path) -> dict:
    from ftui.core.tokenizer import load_tokenizer

    return {"mistral": load_tokenizer(str(mistral_tokenizer_dir)), "smollm": load_tokenizer(str(smollm_dir))}


@pytest.mark.parametrize("name", [n for n in axolotl_chat_templates() if n != "jinja"])
def test_every_axolotl_template_name_renders_and_trains_the_answer(name, tokenizers):
    from ftui.core.data.model import Example, Message

    template = template_for("chat_template", name)
    assert template.kind in ("chat", "tokenizer")
    messages = [Message("user", "Hi there", "user"), Message("assistant", "Hello friend", "assistant")]
    example = Example(kind="chat", source=RowOrigin("x"), messages=messages)
    tok = tokenizers["smollm"]
    tokenized = tokenize_example(example, template, tok, MaskSettings())
    trained = tok.decode(
        [i for i, label in zip(tokenized.input_ids, tokenized.labels, strict=True) if label != IGNORE_INDEX]
    )
    assert "Hello friend" in trained and "Hi there" not in trained


def labels_from_runs(ids: list[int], runs: list[int]) -> list[int]:
    labels, pos, trained = [], 0, False
    for length in runs:
        labels += ids[pos : pos + length] if trained else [IGNORE_INDEX] * length
        pos += length
        trained = not trained
    return labels


@pytest.mark.parametrize("index", range(len(_cases())), ids=[c["name"] for c in _cases()])
def test_template_matches_axolotl(index: int, tokenizers: dict) -> None:
    case = _cases()[index]
    entry = {"path": "rows.json", "type": "chat_template", "chat_template": case["chat_template"]}
    config = FtuiConfig(
        base_model="m", datasets=[entry], chat_template=case["chat_template"], sequence_len=100_000
    )
    rows = [r["row"] for r in case["rows"]]
    spec = resolve_format(dataset_settings(config.datasets[0]), rows[:5], "rows.json")
    examples = [normalize_row(row, spec, RowOrigin("rows.json", index=i)) for i, row in enumerate(rows)]
    template = template_from_config(config, config.datasets[0])
    results = tokenize_batch(
        examples,
        template,
        tokenizers[case["tokenizer"]],
        MaskSettings.from_config(config, config.datasets[0]),
    ).examples
    mismatches = [
        i
        for i, (expected, got) in enumerate(zip(case["rows"], results, strict=True))
        if got.input_ids != expected["input_ids"]
        or got.labels != labels_from_runs(expected["input_ids"], expected["trained_runs"])
    ]
    assert not mismatches, f"{len(mismatches)}/{len(case['rows'])} rows differ from Axolotl: {mismatches}"
