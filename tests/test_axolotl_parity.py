"""ftui's input_ids and labels equal Axolotl's for the same tokenizer files, rows and settings.

The expected values were produced by Axolotl itself (tests/data/parity/make_parity.py, run in a separate
venv with axolotl installed): `type: alpaca` (train_on_inputs false and true) and `type: chat_template`
with ShareGPT mapping (tokenizer default template for SmolLM2, chatml for the template-less Mistral v1
tokenizer; roles_to_train, train_on_eos turn/all/last, train_on_inputs).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from ftui.core.data.formats import resolve_format
from ftui.core.data.model import RowOrigin
from ftui.core.data.rows import normalize_row
from ftui.core.data.settings import dataset_settings
from ftui.core.templates import IGNORE_INDEX, MaskSettings, template_for, tokenize_batch

FIXTURE = Path(__file__).parent / "data" / "parity" / "axolotl_parity.json"
SHAREGPT = {
    "field_messages": "conversations",
    "message_property_mappings": {"role": "from", "content": "value"},
    "roles": {"user": ["human"], "assistant": ["gpt", "function_call"], "tool": ["observation"]},
}


def labels_from_runs(ids: list[int], runs: list[int]) -> list[int]:
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


def ftui_results(case: dict, tokenizer, shared: Path) -> list:
    rows = json.loads((shared / case["dataset"]).read_text())
    wanted = [rows[r["index"]] for r in case["rows"]]
    entry = {"path": case["dataset"], "type": case["type"]}
    if case["type"] == "chat_template":
        entry.update(SHAREGPT)
    spec = resolve_format(dataset_settings(entry), wanted[:5], case["dataset"])
    examples = [
        normalize_row(row, spec, RowOrigin(case["dataset"], index=r["index"]))
        for row, r in zip(wanted, case["rows"], strict=True)
    ]
    s = case["settings"]
    settings = MaskSettings(
        train_on_inputs=s["train_on_inputs"],
        roles_to_train=tuple(s.get("roles_to_train", ["assistant"])),
        train_on_eos=s.get("train_on_eos", "turn"),
        sequence_len=100_000,
    )
    template = template_for(case["type"], case["chat_template"])
    return tokenize_batch(examples, template, tokenizer, settings).examples


@pytest.mark.parametrize("case_index", range(len(_cases())), ids=[c["name"] for c in _cases()])
def test_matches_axolotl(case_index: int, tokenizers: dict, shared_datasets: Path) -> None:
    case = _cases()[case_index]
    results = ftui_results(case, tokenizers[case["tokenizer"]], shared_datasets)
    mismatches = []
    for expected, got in zip(case["rows"], results, strict=True):
        labels = labels_from_runs(expected["input_ids"], expected["trained_runs"])
        if got.input_ids != expected["input_ids"] or got.labels != labels:
            mismatches.append(expected["index"])
    assert not mismatches, (
        f"{len(mismatches)}/{len(case['rows'])} rows differ from Axolotl: {mismatches[:10]}"
    )
