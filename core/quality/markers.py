"""Chat-template markup that must not appear inside a message: a model trained on it learns to end turns or
open new ones in the middle of an answer.

The markers are those of the well-known chat formats, plus, when a tokenizer is at hand, its own special
tokens and the template's stop tokens (so a model's unusual markup is found too).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

KNOWN_MARKERS: tuple[str, ...] = (
    "<|im_start|>",
    "<|im_end|>",
    "[INST]",
    "[/INST]",
    "<<SYS>>",
    "<</SYS>>",
    "<|begin_of_text|>",
    "<|start_header_id|>",
    "<|end_header_id|>",
    "<|eot_id|>",
    "<start_of_turn>",
    "<end_of_turn>",
    "<|system|>",
    "<|user|>",
    "<|assistant|>",
    "<|end|>",
    "<|endoftext|>",
)
# Short tokens like <s> and </s> are also HTML (strikethrough): only a tokenizer that uses them makes them markup.
_AMBIGUOUS = {"<s>", "</s>", "<unk>", "<pad>"}


def tokenizer_markers(tokenizer: Any) -> list[str]:
    """The special and added tokens of a tokenizer that look like markup (not plain words)."""
    found: list[str] = []
    names = list(getattr(tokenizer, "all_special_tokens", []) or [])
    added = getattr(tokenizer, "added_tokens_decoder", None) or {}
    names += [str(getattr(token, "content", token)) for token in added.values()]
    for name in names:
        if len(name) >= 3 and (name[0] in "<[" or "|" in name) and not name.isalnum():
            found.append(name)
    return found


class MarkerFinder:
    """`find(text)` -> the first marker inside `text`, or None. One compiled alternation for all markers."""

    def __init__(self, extra: Iterable[str] = ()) -> None:
        markers = {m for m in KNOWN_MARKERS}
        markers.update(m for m in extra if m and m.strip())
        self.markers = sorted(markers, key=len, reverse=True)
        self.pattern = re.compile("|".join(re.escape(m) for m in self.markers))

    def find(self, text: str) -> str | None:
        match = self.pattern.search(text)
        return match.group() if match else None


def marker_finder(tokenizer: Any = None, template: Any = None) -> MarkerFinder:
    extra: list[str] = []
    if tokenizer is not None:
        extra += tokenizer_markers(tokenizer)
    extra += list(getattr(template, "stop_tokens", None) or [])
    if getattr(template, "name", None) == "alpaca":
        extra += ["### Instruction:", "### Response:"]
    return MarkerFinder(m for m in extra if m not in _AMBIGUOUS or tokenizer is not None)
