"""The legacy types give Axolotl's own input_ids and labels: ShareGPT with FastChat conversation templates
(alpaca, vicuna_v1.1, llama-2, mistral, zephyr, llama3, chatml, one_shot; from `chat_template`; the
vicuna default; weight-0 turns; tool roles), and the instruction types (oasst, alpaca_chat.load_qa,
load_concise, load_camel_ai, alpaca_w_system.load_open_orca[_chatml], load_chat, load_instruct,
context_qa, context_qa.load_v2, alpaca:chat, alpaca:chatml, alpaca_instruct, alpaca_chat, gpteacher,
jeopardy, a user-defined `type:` mapping), with train_on_inputs false and true.

The expected values come from Axolotl itself at the last release line that had these types (git 3265b70,
0.4.1, with FastChat 27a05b04): tests/data/parity/make_legacy_parity.py. The rows are stored in the fixture.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from ftui.core.config import FtuiConfig
from ftui.core.data.formats import resolve_format
from ftui.core.data.model import RowOrigin
from ftui.core.data.rows import normalize_row
from ftui.core.data.settings import dataset_settings
from ftui.core.templates import IGNORE_INDEX, MaskSettings, tokenize_batch
from ftui.core.templates.library import template_from_config

FIXTURE = Path(__file__).parent / "data" / "parity" / "axolotl_legacy_parity.json"


def labels_from_runs(ids: list[int], runs: list[int]) -> list[int]:
    """Labels from alternating masked/trained run lengths (masked first), as the fixture stores them."""
    labels, pos, trained = [], 0, False
    for length in runs:
        labels += ids[pos : pos + length] if trained else [IGNORE_INDEX] * length
        pos += length
        trained = not trained
    return labels


def _cases() -> list[dict]:
    return json.loads(FIXTURE.read_text())["cases"]


@pytest.fixture(scope="module")
def tokenizers(mistral_tokenizer_dir: Path, smollm_dir: Path) -> dict:
    from ftui.core.tokenizer import load_tokenizer

    return {"mistral": load_tokenizer(str(mistral_tokenizer_dir)), "smollm": load_tokenizer(str(smollm_dir))}


def ftui_results(case: dict, tokenizer) -> list:
    config = FtuiConfig(base_model="m", datasets=[case["entry"]], sequence_len=100_000, **case["config"])
    entry = config.datasets[0]
    rows = [r["row"] for r in case["rows"]]
    spec = resolve_format(dataset_settings(entry), rows[:5], "rows.json")
    examples = [normalize_row(row, spec, RowOrigin("rows.json", index=i)) for i, row in enumerate(rows)]
    template = template_from_config(config, entry)
    return tokenize_batch(examples, template, tokenizer, MaskSettings.from_config(config, entry)).examples


def test_the_fixture_came_from_the_legacy_axolotl():
    meta = json.loads(FIXTURE.read_text())["meta"]
    assert meta["axolotl"].startswith("0.4.1") and "3265b70" in meta["axolotl"]
    assert len(_cases()) == 64


@pytest.mark.parametrize("index", range(len(_cases())), ids=[c["name"] for c in _cases()])
def test_legacy_type_matches_axolotl(index: int, tokenizers: dict) -> None:
    case = _cases()[index]
    results = ftui_results(case, tokenizers[case["tokenizer"]])
    assert len(results) == len(case["rows"])
    mismatches = []
    for i, (expected, got) in enumerate(zip(case["rows"], results, strict=True)):
        labels = labels_from_runs(expected["input_ids"], expected["trained_runs"])
        if got.input_ids != expected["input_ids"] or got.labels != labels:
            mismatches.append(i)
    assert not mismatches, (
        f"{len(mismatches)}/{len(case['rows'])} rows differ from Axolotl: {mismatches[:10]}"
    )
