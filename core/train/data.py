"""Training data for the runner: tokenized rows (input_ids, labels[, position_ids]) and the batch collator.

Rows come from the foundation's `prepare_dataset(config)` (templates, masks, packing, cached on disk). The
collator pads a batch; `TokenCounter` counts trained tokens so step events can report raw and trained tokens/s.
Packed rows carry `position_ids` that restart for every example and no attention_mask: transformers then
builds a block-diagonal causal mask, so packed examples never attend to each other.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from ftui.core.errors import UserError
from ftui.core.train.settings import TrainSettings

IGNORE_INDEX = -100


@dataclass
class TrainData:
    train: list[dict[str, list[int]]]
    eval: list[dict[str, list[int]]]
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

    def __call__(self, rows: list[dict[str, Any]]) -> dict[str, Any]:
        import torch

        if "position_ids" in rows[0]:
            from ftui.core.packing import PackedCollator

            batch = PackedCollator(self.pad_id, pad_to=self.pad_to)(rows)
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
    expected = [v for v in labels[first:] if v != IGNORE_INDEX]
    return {"prompt_ids": list(row["input_ids"][:first]), "expected_ids": expected}


def load_train_data(settings: TrainSettings, config: Any, tokenizer: Any) -> TrainData:
    """Tokenized train/eval rows for the config, through the foundation's preprocessing."""
    try:
        from ftui.core.preprocess import prepare_dataset
    except ImportError:  # preprocessing not installed in this build: tokenize chat/alpaca rows here
        examples = tokenize_rows(settings, tokenizer)
        return split_and_pack(settings, examples)
    prepared = prepare_dataset(config)
    return from_prepared(settings, prepared)


def from_prepared(settings: TrainSettings, prepared: Any) -> TrainData:
    """Adapt what `prepare_dataset` returns (a DatasetDict-like mapping with train/eval splits)."""
    splits = prepared if isinstance(prepared, dict) or hasattr(prepared, "keys") else {"train": prepared}
    train = [dict(r) for r in splits["train"]]
    eval_rows = [dict(r) for r in splits[_eval_key(splits)]] if _eval_key(splits) else []
    packed = bool(train) and "position_ids" in train[0]
    prompts = []
    for row in eval_rows:
        if "position_ids" in row:
            continue
        p = prompt_of(row)
        if p:
            prompts.append(p)
    return TrainData(train=train, eval=eval_rows, eval_prompts=prompts, packed=packed)


def _eval_key(splits: Any) -> str | None:
    for key in ("eval", "validation", "test"):
        if key in splits:
            return key
    return None


def tokenize_rows(settings: TrainSettings, tokenizer: Any) -> list[dict[str, list[int]]]:
    """Chat (`messages`) and alpaca rows from local JSON/JSONL files, trained on the last answer only."""
    import json

    datasets = settings.raw.get("datasets") or []
    if not datasets:
        raise UserError(
            "the config has no datasets", hint="add datasets: [{path: data.jsonl, type: chat_template}]"
        )
    out: list[dict[str, list[int]]] = []
    for spec in datasets:
        path = settings.resolve_path(spec["path"])
        if not path.exists():
            raise UserError(f"dataset file not found: {path}", hint="check datasets[].path in the config")
        text = path.read_text(encoding="utf-8")
        rows = (
            json.loads(text)
            if text.lstrip().startswith("[")
            else [json.loads(x) for x in text.splitlines() if x.strip()]
        )
        for row in rows:
            if "messages" in row:
                messages = row["messages"]
            elif "instruction" in row:
                user = row["instruction"] + (("\n\n" + row["input"]) if row.get("input") else "")
                messages = [
                    {"role": "user", "content": user},
                    {"role": "assistant", "content": row["output"]},
                ]
            else:
                raise UserError(f"{path}: rows need `messages` or `instruction`/`output`")
            prompt = tokenizer.apply_chat_template(messages[:-1], tokenize=False, add_generation_prompt=True)
            full = tokenizer.apply_chat_template(messages, tokenize=False)
            p_ids = tokenizer(prompt, add_special_tokens=False)["input_ids"]
            f_ids = tokenizer(full, add_special_tokens=False)["input_ids"][: settings.sequence_len]
            labels = [IGNORE_INDEX] * len(p_ids) + f_ids[len(p_ids) :]
            out.append({"input_ids": f_ids, "labels": labels[: len(f_ids)]})
    return out


def split_and_pack(settings: TrainSettings, examples: list[dict[str, list[int]]]) -> TrainData:
    """Seeded validation split, then first-fit-decreasing packing of the training rows when enabled."""
    order = list(range(len(examples)))
    random.Random(settings.seed).shuffle(order)
    size = settings.val_set_size or 0
    n_eval = int(size) if size >= 1 else int(round(len(examples) * size))
    eval_rows = [examples[i] for i in order[:n_eval]]
    train_rows = [examples[i] for i in sorted(order[n_eval:])]
    packed = False
    if settings.sample_packing and train_rows:
        from ftui.core.packing import pack_examples, pack_ffd

        bins = pack_ffd([len(r["input_ids"]) for r in train_rows], settings.sequence_len)
        train_rows = [pack_examples(train_rows, b).as_dict() for b in bins]
        packed = True
    prompts = [p for p in (prompt_of(r) for r in eval_rows) if p]
    return TrainData(train=train_rows, eval=eval_rows, eval_prompts=prompts, packed=packed)
