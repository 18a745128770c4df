"""Plant known problems into real datasets and score the audit against them (tests and bench/ share this).

Plants, each recorded with the 1-based index of the row it creates: exact copies of earlier rows, copies with
one character changed (a 300-character-ish row gets a single substitution, insertion or deletion), empty
answers, and answers that fail the assertion (they get a marker the assertion refuses). Problems already in
the data count as true finds: identical records, and pairs whose exact 5-gram Jaccard similarity reaches the
audit's threshold (found exactly, by a prefix-filtered similarity join, so the approximation of MinHash + LSH is measured too).
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

FAIL_MARKER_EN = "As an AI language model, I cannot"
FAIL_MARKER_ZH = "作为一个人工智能语言模型，我无法"
ASSERTION_SOURCE = f'''\
def no_refusal(output, expected=None, prompt=None):
    """Level-1 assertion of the planting tests: an answer must not be a canned refusal."""
    return {FAIL_MARKER_EN!r} not in output and {FAIL_MARKER_ZH!r} not in output
'''
PLANTED_KINDS = ("exact_duplicate", "near_duplicate", "empty_response", "assertion_failed")
BAND_BELOW, BAND_ABOVE = 0.10, 0.10  # about two standard deviations of a 64-permutation estimate


@dataclass
class Planted:
    rows: list[Any]
    truth: dict[str, set[int]] = field(
        default_factory=lambda: {k: set() for k in PLANTED_KINDS}
    )  # row numbers
    best_similarity: dict[int, float] = field(
        default_factory=dict
    )  # row -> exact Jaccard with its closest earlier row


def _answer_slot(row: dict) -> tuple[Any, Any] | None:
    """(container, key) of a row's last trained answer: alpaca `output` or the last gpt turn's `value`."""
    if "output" in row:
        return row, "output"
    turns = row.get("conversations") or row.get("messages") or []
    for turn in reversed(turns):
        if turn.get("from", turn.get("role")) in ("gpt", "assistant"):
            return turn, "value" if "value" in turn else "content"
    return None


def row_text(row: dict) -> str:
    if "output" in row:
        return "\n".join(str(row.get(k) or "") for k in ("instruction", "input", "output"))
    return "\n".join(
        str(t.get("value", t.get("content", "")))
        for t in row.get("conversations") or row.get("messages") or []
    )


def one_char_edit(text: str, rng: random.Random, alphabet: str) -> str:
    pos = rng.randrange(len(text))
    how = rng.choice(("substitute", "insert", "delete"))
    if how == "delete":
        return text[:pos] + text[pos + 1 :]
    char = rng.choice([c for c in alphabet if c != text[pos]])
    return text[:pos] + char + text[pos + (1 if how == "substitute" else 0) :]


def plant(rows: list[dict], seed: int = 0, per_kind: int = 40, chinese: bool = False) -> Planted:
    """A copy of `rows` with `per_kind` problems of each planted kind inserted at random places."""
    import copy

    rng = random.Random(seed)
    alphabet = (
        "的一是不了人我在有他这中大来上国个到说们为子和你地出道也时年"
        if chinese
        else "abcdefghijklmnopqrstuvwxyz"
    )
    marker = FAIL_MARKER_ZH if chinese else FAIL_MARKER_EN
    out = [copy.deepcopy(r) for r in rows]
    kinds: list[str | None] = [None] * len(out)
    plan = [k for k in PLANTED_KINDS for _ in range(per_kind)]
    rng.shuffle(plan)
    for kind in plan:
        originals = [i for i, k in enumerate(kinds) if k is None]
        if kind == "near_duplicate":  # an edit of a row long enough that one character is a small change
            originals = [i for i in originals if len(row_text(out[i])) >= (60 if chinese else 150)]
        source = rng.choice(originals)
        new = copy.deepcopy(out[source])
        slot = _answer_slot(new)
        if kind == "near_duplicate":
            container, key = slot
            if len(str(container[key])) < 20:
                container, key = (new, "instruction") if "instruction" in new else slot
            container[key] = one_char_edit(str(container[key]), rng, alphabet)
        elif kind == "empty_response":
            container, key = slot
            container[key] = rng.choice(["", " ", "\n"])
        elif kind == "assertion_failed":
            container, key = slot
            container[key] = f"{marker} {container[key]}"
        position = rng.randrange(source + 1, len(out) + 1)  # always after its original
        out.insert(position, new)
        kinds.insert(position, kind)
    planted = Planted(out)
    for number, kind in enumerate(kinds, 1):
        if kind is not None:
            planted.truth[kind].add(number)
    return planted


def shingles(text: str, n: int = 5) -> set[str]:
    return {text[i : i + n] for i in range(max(1, len(text) - n + 1))}


def existing_problems(planted: Planted, threshold: float, texts: list[str]) -> None:
    """Add what was in the data already: identical records, and near pairs by exact Jaccard (an exact similarity join)."""
    seen: dict[str, int] = {}
    exact: set[int] = set()
    for number, row in enumerate(planted.rows, 1):
        key = json.dumps(row, sort_keys=True, ensure_ascii=False)
        if key in seen:
            exact.add(number)
        seen.setdefault(key, number)
    planted.truth["exact_duplicate"] |= exact
    for number, row in enumerate(planted.rows, 1):
        slot = _answer_slot(row)
        answer = str(slot[0][slot[1]]) if slot else ""
        if FAIL_MARKER_EN in answer or FAIL_MARKER_ZH in answer:
            planted.truth["assertion_failed"].add(number)
        elif slot and not answer.strip():
            planted.truth["empty_response"].add(number)
    sets = [shingles(t) if len(t) >= 20 else None for t in texts]
    floor = threshold - BAND_BELOW  # below this the exact value does not matter: recorded as 0
    skip = exact | planted.truth["empty_response"]
    best = exact_best_similarity(sets, floor, skip)
    for number in range(1, len(sets) + 1):
        if sets[number - 1] is None or number in skip:
            continue
        planted.best_similarity[number] = best.get(number, 0.0)
        if best.get(number, 0.0) >= threshold:
            planted.truth["near_duplicate"].add(number)


def exact_best_similarity(sets: list[set[str] | None], floor: float, skip: set[int]) -> dict[int, float]:
    """Row number -> the exact Jaccard similarity with its most similar earlier row (every pair compared: the
    intersection sizes of all pairs come from one sparse matrix product), kept when at or above `floor`."""
    import numpy as np
    from scipy.sparse import csr_matrix

    usable = [j for j, s in enumerate(sets) if s is not None and (j + 1) not in skip]
    vocabulary: dict[str, int] = {}
    indptr, indices = [0], []
    for j in usable:
        indices.extend(vocabulary.setdefault(g, len(vocabulary)) for g in sets[j])
        indptr.append(len(indices))
    matrix = csr_matrix(
        (np.ones(len(indices), dtype=np.float32), indices, indptr), shape=(len(usable), len(vocabulary))
    )
    inter = (matrix @ matrix.T).toarray()
    sizes = np.diag(inter).copy()
    best: dict[int, float] = {}
    for k in range(1, len(usable)):
        similarity = inter[k, :k] / (sizes[k] + sizes[:k] - inter[k, :k])
        top = float(similarity.max())
        if top >= floor:
            best[usable[k] + 1] = top
    return best


def numbered(report_json: dict, starts: list[int]) -> dict[str, set[int]]:
    """The audit's problem lines turned back into 1-based row numbers (`starts[i]` = line of row i + 1)."""
    index = {line: i + 1 for i, line in enumerate(starts)}
    return {kind: {index[line] for line in lines} for kind, lines in report_json["problems"].items()}


def score(
    found: dict[str, set[int]], planted: Planted, rows: int, threshold: float
) -> dict[str, dict[str, float]]:
    """Per planted kind: recall (true rows found) and wrongly flagged (share of all rows flagged for nothing).

    `near_duplicate_banded` scores near duplicates without the borderline band that a MinHash estimate
    (64 permutations: about +-0.06) cannot decide: recall over the planted edits and pairs at least
    BAND_ABOVE over the threshold, wrong only for rows at least BAND_BELOW under it."""
    truth = planted.truth
    out = {}
    for kind in PLANTED_KINDS:
        hits = found.get(kind, set())
        true = truth[kind]
        out[kind] = {
            "true": len(true),
            "found": len(hits & true),
            "recall": len(hits & true) / len(true) if true else 1.0,
            "wrong": len(hits - true),
            "wrong_share": len(hits - true) / rows,
        }
    near = found.get("near_duplicate", set())
    core = {
        n for n in truth["near_duplicate"] if planted.best_similarity.get(n, 1.0) >= threshold + BAND_ABOVE
    }
    plausible = {n for n, j in planted.best_similarity.items() if j >= threshold - BAND_BELOW}  # 0 below it
    wrong = near - plausible - truth["near_duplicate"]
    out["near_duplicate_banded"] = {
        "true": len(core),
        "found": len(near & core),
        "recall": len(near & core) / len(core) if core else 1.0,
        "wrong": len(wrong),
        "wrong_share": len(wrong) / rows,
    }
    return out


def write_rows(path: Path, rows: list[dict], as_array: bool) -> list[int]:
    """Write rows (a pretty JSON array or JSON Lines); returns the line each row starts on."""
    starts = []
    if as_array:
        lines = ["["]
        for i, row in enumerate(rows):
            starts.append(len(lines) + 1)
            text = json.dumps(row, ensure_ascii=False, indent=2)
            indented = "\n".join("  " + part for part in text.split("\n"))
            lines.extend((indented + ("," if i < len(rows) - 1 else "")).split("\n"))
        lines.append("]")
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    else:
        path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
        starts = list(range(1, len(rows) + 1))
    return starts


def chinese_rows(count: int, seed: int = 0) -> list[dict]:
    """Alpaca rows of Chinese text from Faker's zh_CN provider (a question and a paragraph-long answer)."""
    from faker import Faker

    fake = Faker("zh_CN")
    fake.seed_instance(seed)
    return [
        {
            "instruction": fake.sentence(nb_words=8) + "？",
            "input": "",
            "output": fake.text(max_nb_chars=rng_len),
        }
        for rng_len in random.Random(seed).choices([80, 200, 300, 500], k=count)
    ]


def audit_case(
    folder: Path,
    name: str,
    rows: list[dict],
    *,
    as_array: bool,
    chinese: bool = False,
    seed: int = 0,
    per_kind: int = 40,
) -> dict[str, Any]:
    """Plant, write, audit (no tokenizer needed for these kinds) and score one dataset."""
    from ftui.core.config import FtuiConfig
    from ftui.core.quality import AuditSettings, audit_config
    from ftui.core.quality.records import RowReader, open_rows

    planted = plant(rows, seed=seed, per_kind=per_kind, chinese=chinese)
    path = folder / (name + (".json" if as_array else ".jsonl"))
    starts = write_rows(path, planted.rows, as_array)
    (folder / "checks.py").write_text(ASSERTION_SOURCE, encoding="utf-8")
    config = FtuiConfig(
        base_model="embedded", datasets=[{"path": str(path)}], eval_assertions="checks.py:no_refusal"
    )
    config.base_dir = folder
    settings = AuditSettings.from_config(config)
    _, spec, raw_rows = open_rows(config.datasets[0], folder)
    reader = RowReader(spec)
    texts = [reader.facts(r.origin, r.value, r.error).text for r in raw_rows]
    existing_problems(planted, settings.near_threshold, texts)
    report = audit_config(config, use_tokens=False)
    data = report.to_json()
    found = numbered(data, starts)
    return {
        "report": report,
        "json": data,
        "planted": planted,
        "path": path,
        "starts": starts,
        "scores": score(found, planted, len(planted.rows), settings.near_threshold),
        "found": found,
    }


def shared_dir() -> Path:
    """../shared/datasets beside the repository; a clear failure (never a skip) when it is missing."""
    import pytest

    folder = Path(__file__).resolve().parent.parent.parent / "shared" / "datasets"
    if not folder.is_dir():
        pytest.fail(
            f"the shared datasets are missing: {folder} (link ../shared to the project's shared/ folder)"
        )
    return folder
