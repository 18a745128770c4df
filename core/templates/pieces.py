"""Tokenize `PieceRendered` examples: every piece on its own, then joined (Axolotl's legacy strategies).

A piece's tokens are what `tokenizer(text)` gives (special tokens added), BOS dropped when `strip_bos`, EOS
appended when `add_eos` and the text does not already end with it; an empty text gives no tokens at all.
The offsets of the joined example point into the joined text, so the UI shows it like any other example.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ftui.core.templates.tokenizer_info import TokenizerInfo
from ftui.core.templates.types import IGNORE_INDEX, PieceRendered, TokenizedExample


@dataclass
class JoinedOffsets:
    """Stands in for a tokenizers.Encoding where only `offsets` is read."""

    offsets: list[tuple[int, int]]


def piece_texts(rendered: PieceRendered) -> list[str]:
    """Every text to encode for one example: the pieces, then their masked prefixes."""
    texts = [p.text for p in rendered.pieces]
    texts += [p.masked_prefix.rstrip() for p in rendered.pieces if p.masked_prefix is not None]
    return texts


def _ids(encoding: Any, text: str, info: TokenizerInfo, strip_bos: bool, add_eos: bool) -> tuple[list, list]:
    """(ids, offsets) of one piece after Axolotl's BOS/EOS rules."""
    if not text:
        return [], []
    ids, offsets = list(encoding.ids), [tuple(o) for o in encoding.offsets]
    if strip_bos and ids and info.bos_id is not None and ids[0] == info.bos_id:
        ids, offsets = ids[1:], offsets[1:]
    if add_eos and info.eos_id is not None and (not ids or ids[-1] != info.eos_id):
        ids.append(info.eos_id)
        offsets.append((0, 0))
    return ids, offsets


def join_pieces(rendered: PieceRendered, encodings: list[Any], info: TokenizerInfo) -> TokenizedExample:
    """One TokenizedExample from the encodings of `piece_texts(rendered)` (same order)."""
    pieces = rendered.pieces
    prefix_encodings = iter(encodings[len(pieces) :])
    input_ids: list[int] = []
    labels: list[int] = []
    offsets: list[tuple[int, int]] = []
    runs: list[tuple[int, int, str]] = []
    start_char = 0
    for piece, encoding in zip(pieces, encodings[: len(pieces)], strict=True):
        ids, piece_offsets = _ids(encoding, piece.text, info, piece.strip_bos, piece.add_eos)
        masked = 0
        if piece.masked_prefix is not None:
            prefix = next(prefix_encodings)
            masked = min(len(_ids(prefix, piece.masked_prefix.rstrip(), info, True, False)[0]), len(ids))
        first = len(input_ids)
        input_ids += ids
        if piece.trained:
            labels += [IGNORE_INDEX] * masked + ids[masked:]
        else:
            labels += [IGNORE_INDEX] * len(ids)
        offsets += [(a + start_char, b + start_char) if b > a else (0, 0) for a, b in piece_offsets]
        if masked:
            runs.append((first, first + masked, "template"))
        if len(ids) > masked:
            runs.append((first + masked, len(input_ids), piece.part))
        start_char += len(piece.text)
    return TokenizedExample.fresh(input_ids, labels, rendered, runs, "template", JoinedOffsets(offsets), info)
