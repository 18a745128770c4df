"""The audit against problems planted into the shared datasets (English alpaca, ShareGPT with tool calls,
Chinese): recall per kind >= 95 %, wrongly flagged rows <= 2 %, and `clean` output byte-identical to the kept
source rows. Problems already in the data (alpaca's exact duplicates, identity.json's templated answers)
count as true finds. tests/quality_planting.py says how the truth is made; bench/quality_recall.py prints
the numbers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from ftui.core.quality.clean import clean_dataset
from quality_planting import PLANTED_KINDS, audit_case, chinese_rows, shared_dir

CASES = {
    "alpaca_en": ("alpaca_en_demo.json", True, False),
    "glaive_sharegpt_tools": ("glaive_toolcall_en_demo.json", True, False),
    "identity_zh": ("identity.json", False, True),
    "faker_zh": (None, False, True),
}


def case_rows(name: str) -> list[dict]:
    file_name = CASES[name][0]
    if file_name is None:
        return chinese_rows(600)
    return json.loads((shared_dir() / file_name).read_text(encoding="utf-8"))


@pytest.mark.slow
@pytest.mark.parametrize("name", list(CASES))
def test_recall_and_wrong_flags_on_planted_problems(name, tmp_path):
    _, as_array, chinese = CASES[name]
    rows = case_rows(name)
    result = audit_case(
        tmp_path, name, rows, as_array=as_array, chinese=chinese, per_kind=40 if len(rows) > 200 else 15
    )
    scores = result["scores"]
    for kind in PLANTED_KINDS:
        if kind == "near_duplicate":
            continue  # scored below, without the borderline band the estimator cannot decide
        assert scores[kind]["recall"] >= 0.95, (kind, scores[kind])
        assert scores[kind]["wrong_share"] <= 0.02, (kind, scores[kind])
    near = scores["near_duplicate_banded"]
    assert near["recall"] >= 0.95 and near["wrong_share"] <= 0.02, near
    assert scores["near_duplicate"]["recall"] >= 0.95, scores["near_duplicate"]
    planted = result["planted"].truth["near_duplicate"]
    assert planted, "one-character edits were planted"
    if name == "alpaca_en":  # the demo's own 14 exact duplicates are found with the 40 planted copies
        assert (
            scores["exact_duplicate"]["true"] >= 54
            and scores["exact_duplicate"]["found"] == scores["exact_duplicate"]["true"]
        )


@pytest.mark.slow
@pytest.mark.parametrize("name", ["alpaca_en", "faker_zh"])
def test_clean_output_is_byte_identical_to_the_kept_rows(name, tmp_path):
    _, as_array, chinese = CASES[name]
    result = audit_case(tmp_path, name, case_rows(name), as_array=as_array, chinese=chinese)
    report, path = result["report"], result["path"]
    source_before = path.read_bytes()
    out = tmp_path / ("clean" + path.suffix)
    kinds = list(PLANTED_KINDS)
    outcome = clean_dataset(report, kinds, out)
    assert path.read_bytes() == source_before  # the source is never touched
    dropped = report.drop_set(kinds)
    kept_rows = [row for row in range(len(report.rows)) if row not in dropped]
    assert outcome.kept == len(kept_rows) and outcome.dropped == len(dropped)
    data = out.read_bytes()
    if as_array:
        from ftui.core.quality.spans import file_layout

        source_spans = file_layout(path, "json").spans
        out_spans = file_layout(out, "json").spans
        kept_index = [report.rows.index[r] for r in kept_rows]
        assert [data[s.start : s.end] for s in out_spans] == [
            source_before[source_spans[i].start : source_spans[i].end] for i in kept_index
        ]
        assert json.loads(data) == [json.loads(source_before)[i] for i in kept_index]
    else:
        lines = source_before.splitlines(keepends=True)
        assert data == b"".join(lines[report.rows.line[r] - 1] for r in kept_rows)
    body = json.loads(Path(str(out) + ".report.json").read_text())
    assert body["dropped"] == len(dropped) and body["kept"] == len(kept_rows)
    near = [r for r in body["rows"] if "near_duplicate" in r["kinds"]]
    assert near and all(r["partner"] and r["partner"]["line"] < r["line"] for r in near)
