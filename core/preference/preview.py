"""Preference rows for the wizard's Data step: a bounded scan (rows, bad rows, a sample) and one example's
tokens (prompt, then the chosen answer, then the rejected one; KTO: its completion) after the length limits.
No torch; the UI adapts the plain results."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

from ftui.core.data.report import BadRowLog
from ftui.core.labels import IGNORE_INDEX
from ftui.core.preference.methods import METHODS
from ftui.core.preference.rows import PreferenceRow

SEPARATOR = "\n── rejected ──\n"


@dataclass
class PreferenceScan:
    format: str
    rows: int = 0
    sample: list[PreferenceRow] = field(default_factory=list)
    bad_rows: list[str] = field(default_factory=list)
    bad_count: int = 0
    complete: bool = True


def scan(
    entry: Any, base_dir: Any, method: str, sample_size: int = 200, limit: int = 20000
) -> PreferenceScan:
    from ftui.core.preference.dataset import iter_rows
    from ftui.core.preference.rows import EntryKeys

    keys = EntryKeys.of(entry)
    kind = "KTO completions" if method == "kto" else f"{METHODS[method].label} pairs"
    result = PreferenceScan(format=f"{kind} ({keys.type})" if keys.type else kind)
    log = BadRowLog()
    rows = iter_rows(entry, base_dir, method, log)
    for row in itertools.islice(rows, limit):
        result.rows += 1
        if len(result.sample) < sample_size:
            result.sample.append(row)
    result.complete = next(rows, None) is None
    result.rows += 0 if result.complete else 1
    result.bad_rows = [str(bad) for bad in log.rows[:10]]
    result.bad_count = log.count
    return result


def example_tokens(
    values: dict[str, Any], entry: Any, tokenizer: Any, row: PreferenceRow
) -> tuple[list[dict], str]:
    """(tokens as dicts with text/id/label/part/trained, a status line) for one row."""
    from ftui.core.preference.dataset import Renderer
    from ftui.core.preference.tokens import labeled

    config = PlainConfig(values)
    renderer = Renderer(config, entry, tokenizer)
    tokens = renderer.tokens(row)
    if tokens is None:
        return [], f"dropped in training: longer than sequence_len {config.sequence_len}"
    info = renderer.info
    chosen = labeled(tokens, "chosen", info)
    out = [_as_dict(t) for t in chosen]
    if tokens.rejected_ids is not None:
        out.append(
            {
                "text": SEPARATOR,
                "id": -1,
                "label": IGNORE_INDEX,
                "part": "separator",
                "trained": False,
                "special": True,
            }
        )
        out += [_as_dict(t) for t in labeled(tokens, "rejected", info)[len(tokens.prompt_ids) :]]
    notes = []
    if tokens.label is not None:
        notes.append("desirable completion" if tokens.label else "undesirable completion")
    if tokens.prompt_cut:
        notes.append(f"prompt cut by {tokens.prompt_cut} tokens (max_prompt_len)")
    if tokens.answer_cut:
        notes.append(f"answers cut by up to {tokens.answer_cut} tokens (sequence_len)")
    return out, "; ".join(notes)


def _as_dict(token: Any) -> dict[str, Any]:
    return {
        "text": token.text,
        "id": token.id,
        "label": token.label,
        "part": token.part,
        "trained": token.trained,
    }


class PlainConfig:
    """The few config attributes the renderer reads, from the wizard's plain values."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.values = values
        self.max_prompt_len = values.get("max_prompt_len")
        self.sequence_len = int(values.get("sequence_len") or 512)
        self.excess_length_strategy = values.get("excess_length_strategy") or "drop"

    def __getattr__(self, key: str) -> Any:
        return self.values.get(key)
