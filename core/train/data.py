"""Training data for the runner: tokenized rows (input_ids, labels[, position_ids]) and the batch collator.

Rows come from the foundation's `prepare_dataset(config)` (templates, masks, split, cached on disk) and
`packed_train()` (first-fit-decreasing packing). The
collator pads a batch; `TokenCounter` counts trained tokens so step events can report raw and trained tokens/s.
Packed rows carry `position_ids` that restart for every example and no attention_mask: transformers then
builds a block-diagonal causal mask, so packed examples never attend to each other.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ftui.core.labels import IGNORE_INDEX
from ftui.core.train.settings import TrainSettings


@dataclass
class TrainData:
    train: Any  # datasets.Dataset (or a list of row dicts)
    eval: Any
    eval_prompts: list[dict[str, Any]]  # {prompt_ids, expected_ids}: unpacked validation examples
    packed: bool


@dataclass
class TokenCounter:
    """Tokens seen by the collator since the last `take()` (read once per optimizer step)."""

    tokens: int = 0
    trained: int = 0
    samples: int = 0

    def count(self, batch: dict[str, Any]) -> None:
        labels = batch["labels"]
        self.tokens += int(batch["input_ids"].numel())
        self.trained += int((labels != IGNORE_INDEX).sum())
        self.samples += int(labels.shape[0])

    def take(self) -> tuple[int, int, int]:
        out = (self.tokens, self.trained, self.samples)
        self.tokens = self.trained = self.samples = 0
        return out


@dataclass
class Collator:
    pad_id: int
    pad_to: int | None = None  # pad every batch to this length (pad_to_sequence_len)
    flatten: bool = False  # packed rows as one [1, tokens] row (FlashAttention: see PackedCollator)

    def __call__(self, rows: list[dict[str, Any]]) -> dict[str, Any]:
        import torch

        if "position_ids" in rows[0]:
            from ftui.core.packing import PackedCollator

            batch = PackedCollator(self.pad_id, pad_to=self.pad_to, flatten=self.flatten)(rows)
        else:
            length = max(max(len(r["input_ids"]) for r in rows), self.pad_to or 0)
            input_ids, labels, mask = [], [], []
            for row in rows:
                ids, pad = list(row["input_ids"]), length - len(row["input_ids"])
                input_ids.append(ids + [self.pad_id] * pad)
                labels.append(list(row["labels"]) + [IGNORE_INDEX] * pad)
                mask.append([1] * len(ids) + [0] * pad)
            batch = {
                "input_ids": torch.tensor(input_ids, dtype=torch.long),
                "labels": torch.tensor(labels, dtype=torch.long),
                "attention_mask": torch.tensor(mask, dtype=torch.long),
            }
        return batch


def prompt_of(row: dict[str, Any]) -> dict[str, Any] | None:
    """Split an unpacked tokenized example into the prompt (before the first trained token) and the answer."""
    labels = list(row["labels"])
    first = next((i for i, v in enumerate(labels) if v != IGNORE_INDEX), None)
    if first is None or first == 0:
        return None
    end = next((i for i in range(first, len(labels)) if labels[i] == IGNORE_INDEX), len(labels))
    expected = labels[first:end]  # the first trained span: the answer to this prompt
    return {"prompt_ids": list(row["input_ids"][:first]), "expected_ids": expected}


def load_train_data(settings: TrainSettings, config: Any, tokenizer: Any, progress: Any = None) -> TrainData:
    """Tokenized train/eval rows through the foundation's preprocessing (cached on disk by fingerprint)."""
    from ftui.core.preprocess import prepare_dataset

    prepared = prepare_dataset(config, progress=progress, tokenizer=tokenizer)
    train = prepared.packed_train() if settings.sample_packing else prepared.train
    validation = prepared.validation
    eval_rows = validation if validation is not None and len(validation) else []
    prompts = [p for p in (prompt_of(row) for row in eval_rows) if p]
    return TrainData(train=train, eval=eval_rows, eval_prompts=prompts, packed=bool(settings.sample_packing))


def tokenizing_progress() -> Callable[[int, int], None]:
    """A throttled `tokenizing N/M` line on stderr while preprocessing runs (large datasets take a while)."""
    last = [0.0]

    def report(done: int, total: int) -> None:
        now = time.time()
        if now - last[0] >= 2 or done >= total:
            last[0] = now
            print(
                f"\rtokenizing {done}/{total} examples",
                end="\n" if done >= total else "",
                file=sys.stderr,
                flush=True,
            )

    return report
