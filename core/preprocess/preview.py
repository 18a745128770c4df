"""`preview_examples`: the first few examples of a config, tokenized for `ftui debug` and the TUI.

Same templates, masks and length settings as `prepare_dataset`, but nothing is dropped: an example over
`sequence_len` is shown with a note saying what preprocessing will do with it.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

from ftui.core.preprocess.tokenize_datasets import jobs_for


@dataclass
class PreviewItem:
    """One example for `ftui debug` and the TUI: where it came from and its tokens (not length-filtered)."""

    index: int
    origin: str
    kind: str  # the example's kind: chat, alpaca, completion, segments, tokenized
    tokenized: Any  # TokenizedExample

    @property
    def over_length(self) -> bool:
        return bool(self.tokenized.stats.over_length)

    def length_note(self, sequence_len: int) -> str | None:
        """What preprocess does with this example when it is over `sequence_len` (None when it fits)."""
        if not self.over_length:
            return None
        tokens = self.tokenized.stats.original_tokens
        if self.kind == "completion":
            action = f"split into {-(-tokens // sequence_len)} rows"
        elif self.tokenized.stats.truncated:
            action = "truncated"
        else:
            action = "dropped (excess_length_strategy: drop)"
        return f"{tokens} tokens, over sequence_len {sequence_len}: {action} by preprocess"


def preview_examples(config: Any, count: int, tokenizer: Any = None) -> list[PreviewItem]:
    """The first `count` examples across the config's datasets, tokenized and masked like prepare_dataset
    does, but over-length ones kept (marked, or truncated under excess_length_strategy: truncate)."""
    from ftui.core.data import BadRowLog, iter_examples

    if tokenizer is None:
        from ftui.core.light_tokenizer import load_light_tokenizer

        tokenizer = load_light_tokenizer(config)
    items: list[PreviewItem] = []
    for entry, job in jobs_for(config, tokenizer):
        if len(items) >= count:
            break
        stream = iter_examples(entry, config.base_dir, skip_bad_rows=True, bad_rows=BadRowLog())
        examples = list(itertools.islice(stream, count - len(items)))
        for example, tokenized in zip(examples, job.run(examples), strict=True):
            limited = job.limit_length(tokenized)
            shown = limited if limited is not None else tokenized
            items.append(
                PreviewItem(index=len(items), origin=str(example.source), kind=example.kind, tokenized=shown)
            )
    return items
