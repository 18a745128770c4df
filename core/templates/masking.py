"""Labels from spans: map each span's character range to tokens through the encoding's offsets, then
mask with list slices. End-of-turn tokens follow Axolotl's `train_on_eos` rule: the first EOS/EOT token
within 3 tokens after a turn's content.
"""

from __future__ import annotations

from typing import Any

from ftui.core.templates.types import IGNORE_INDEX, MaskSettings, Rendered

EOS_WINDOW = 3  # Axolotl: an end-of-turn token counts for a turn when it is at most 3 tokens after it


def _token_range(encoding: Any, start: int, end: int) -> tuple[int, int] | None:
    """Tokens [first, last + 1) that overlap characters [start, end); None when no token does."""
    first = last = None
    for pos in range(start, end):
        first = encoding.char_to_token(pos)
        if first is not None:
            break
    if first is None:
        return None
    for pos in range(end - 1, start - 1, -1):
        last = encoding.char_to_token(pos)
        if last is not None:
            break
    return first, (last if last is not None else first) + 1


def _find_in_window(ids: list[int], start: int, wanted: set[int] | frozenset[int]) -> int:
    for i in range(start, min(len(ids), start + EOS_WINDOW + 1)):
        if ids[i] in wanted:
            return i
    return -1


def labels_from_spans(
    rendered: Rendered,
    encoding: Any,
    eot_ids: frozenset[int],
    eos_ids: frozenset[int],
    settings: MaskSettings,
) -> tuple[list[int], list[int], list[tuple[int, int, str]]]:
    ids = encoding.ids
    n = len(ids)
    labels = list(ids) if rendered.default_trained else [IGNORE_INDEX] * n
    runs: list[tuple[int, int, str]] = []
    turns: list[tuple[int, bool]] = []  # (token after the turn's content, trained)
    for span in rendered.spans:
        found = _token_range(encoding, span.start, span.end) if span.end > span.start else None
        if found is None:
            continue
        a, b = found
        runs.append((a, b, span.part))
        labels[a:b] = ids[a:b] if span.trained else [IGNORE_INDEX] * (b - a)
        if span.turn:
            turns.append((b, span.trained))
    eos_mode = settings.train_on_eos
    eot_mode = settings.train_on_eot or eos_mode
    last = {"eot": -1, "eos": -1}
    for turn_end, trained in turns:
        if not trained and eos_mode != "all" and eot_mode != "all":
            continue
        for kind, wanted, mode in (("eot", eot_ids, eot_mode), ("eos", eos_ids, eos_mode)):
            idx = _find_in_window(ids, turn_end, wanted)
            if idx == -1:
                continue
            last[kind] = idx
            if mode == "all" or (mode == "turn" and trained):
                labels[idx] = ids[idx]
    for kind, mode in (("eot", eot_mode), ("eos", eos_mode)):
        if mode == "last" and last[kind] != -1:
            labels[last[kind]] = ids[last[kind]]
    return ids, labels, runs
