"""Sample packing: several short examples share one row of `sequence_len` tokens.

Examples are assigned to rows ("bins") by first-fit-decreasing, which wastes few tokens and is deterministic.
Inside a packed row every example keeps its own `position_ids` (restarting at 0), so attention can tell the
examples apart: transformers builds a block-diagonal causal mask from position_ids when no attention_mask is
given (and flash-attention uses the same boundaries). The first label of every example is -100, because a
causal LM predicts token t from tokens before it, and the tokens before an example's first token belong to a
different example.

No heavy imports at module level: `pack_ffd` and `packing_efficiency` are pure Python.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ftui.core.labels import IGNORE_INDEX


class _LeftmostFit:
    """A max segment tree over bin free space: finds the leftmost bin with room for `size` in O(log n).

    All `n` leaves start with `capacity` free, so the leftmost fitting leaf is either an opened bin or the
    first unopened one; the number of bins used is one past the highest leaf ever touched.
    """

    def __init__(self, n: int, capacity: int) -> None:
        self.size = 1
        while self.size < max(n, 1):
            self.size *= 2
        self.tree = [0] * (2 * self.size)
        for leaf in range(n):
            self.tree[self.size + leaf] = capacity
        for node in range(self.size - 1, 0, -1):
            self.tree[node] = max(self.tree[2 * node], self.tree[2 * node + 1])

    def take(self, size: int) -> int:
        """Reserve `size` in the leftmost bin that has room; return that bin's index."""
        tree = self.tree
        node = 1
        while node < self.size:
            node = 2 * node if tree[2 * node] >= size else 2 * node + 1
        leaf = node - self.size
        tree[node] -= size
        node //= 2
        while node:
            tree[node] = max(tree[2 * node], tree[2 * node + 1])
            node //= 2
        return leaf


def pack_ffd(lengths: Sequence[int], capacity: int) -> list[list[int]]:
    """First-fit-decreasing: group example indices into bins whose total length is <= `capacity`.

    Longest examples are placed first (ties keep source order), each into the first bin with room. Inside a bin
    the indices are in placement order. Deterministic for the same input. Raises ValueError if an example is
    longer than `capacity` (preprocessing drops or truncates those first) or has length <= 0.
    """
    if capacity <= 0:
        raise ValueError(f"capacity must be positive, got {capacity}")
    for index, length in enumerate(lengths):
        if length <= 0 or length > capacity:
            raise ValueError(f"example {index} has length {length}, which does not fit in 1..{capacity}")
    order = sorted(range(len(lengths)), key=lambda i: (-lengths[i], i))
    fit = _LeftmostFit(len(lengths), capacity)
    bins: list[list[int]] = []
    for index in order:
        slot = fit.take(lengths[index])
        if slot == len(bins):
            bins.append([])
        bins[slot].append(index)
    return bins


def packing_efficiency(
    lengths: Sequence[int], capacity: int, bins: Sequence[Sequence[int]] | None = None
) -> float:
    """Used tokens / (bins x capacity): the share of a packed batch that is real tokens, not padding."""
    if not lengths:
        return 0.0
    if bins is None:
        bins = pack_ffd(lengths, capacity)
    return sum(lengths) / (len(bins) * capacity)


@dataclass(frozen=True)
class PackedRow:
    """One packed training row. `example_indices` says which source examples it holds, in order."""

    input_ids: list[int]
    labels: list[int]
    position_ids: list[int]
    example_indices: list[int]

    def as_dict(self) -> dict[str, list[int]]:
        return {
            "input_ids": self.input_ids,
            "labels": self.labels,
            "position_ids": self.position_ids,
            "example_indices": self.example_indices,
        }


def pack_examples(examples: Sequence[Mapping[str, Sequence[int]]], indices: Iterable[int]) -> PackedRow:
    """Concatenate the examples at `indices` into one row with restarting position_ids and boundary labels."""
    input_ids: list[int] = []
    labels: list[int] = []
    position_ids: list[int] = []
    taken: list[int] = []
    for index in indices:
        example = examples[index]
        ids = list(example["input_ids"])
        example_labels = list(example["labels"])
        if len(ids) != len(example_labels):
            raise ValueError(f"example {index}: input_ids and labels differ in length")
        if not ids:
            continue
        input_ids += ids
        labels += [IGNORE_INDEX] + example_labels[1:]
        position_ids += range(len(ids))
        taken.append(index)
    return PackedRow(input_ids, labels, position_ids, taken)


def pack_rows(examples: Sequence[Mapping[str, Sequence[int]]], capacity: int) -> list[PackedRow]:
    """Pack tokenized examples (each with input_ids and labels) into rows of at most `capacity` tokens."""
    lengths = [len(example["input_ids"]) for example in examples]
    return [pack_examples(examples, bin_) for bin_ in pack_ffd(lengths, capacity)]


def pack_dataset(dataset: Any, capacity: int) -> Any:
    """A `datasets.Dataset` of packed rows (input_ids, labels, position_ids, example_indices) from a prepared one.

    `dataset` is what `prepare_dataset` saved (columns input_ids and labels). Rows come out in bin order,
    which is deterministic; the trainer's sampler shuffles them. Works on the Arrow columns with numpy, so
    packing a large dataset costs no Python list per token (same result as `pack_rows`).
    """
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc
    from datasets import Dataset

    table = dataset.with_format("arrow")[:]
    lengths = pc.list_value_length(table.column("input_ids")).to_numpy(zero_copy_only=False)
    bins = pack_ffd(lengths.tolist(), capacity)
    order = np.fromiter((i for bin_ in bins for i in bin_), dtype=np.int64, count=len(lengths))
    packed_lengths = lengths[order]
    starts = (np.cumsum(packed_lengths) - packed_lengths).astype(np.int64)
    taken = table.take(pa.array(order))
    ids = pc.list_flatten(taken.column("input_ids")).to_numpy(zero_copy_only=False)
    labels = pc.list_flatten(taken.column("labels")).to_numpy(zero_copy_only=False).copy()
    labels[starts] = IGNORE_INDEX  # an example's first token is never predicted from the one before it
    index_type = np.int32 if len(ids) < 2**31 else np.int64
    positions = np.arange(len(ids), dtype=index_type) - np.repeat(starts.astype(index_type), packed_lengths)
    bin_sizes = np.array([len(bin_) for bin_ in bins], dtype=np.int64)
    bin_token_offsets = np.concatenate(([0], np.cumsum([lengths[b].sum() for b in bins]))).astype(np.int32)
    bin_example_offsets = np.concatenate(([0], np.cumsum(bin_sizes))).astype(np.int32)

    def rows(values: Any, offsets: Any, kind: Any) -> Any:
        return pa.ListArray.from_arrays(pa.array(offsets, pa.int32()), pa.array(values, kind))

    packed = pa.table(
        {
            "input_ids": rows(ids, bin_token_offsets, pa.int32()),
            "labels": rows(labels, bin_token_offsets, pa.int32()),
            "position_ids": rows(positions, bin_token_offsets, pa.int32()),
            "example_indices": rows(order, bin_example_offsets, pa.int64()),
        }
    )
    # An explicit fingerprint: otherwise `datasets` pickles the whole table to hash it.
    return Dataset(packed, fingerprint=uuid.uuid4().hex)


class PackedCollator:
    """Pads packed rows into a batch: input_ids, labels (-100 on padding) and position_ids; no attention_mask.

    Leaving attention_mask out is what makes transformers derive the per-example (block-diagonal) causal mask
    from position_ids. Padding gets its own position run starting at 0, so it forms a separate, fully ignored
    segment. The model must run with use_cache=False (the Trainer's default): with a cache, transformers
    does not derive the packed mask. `pad_to_multiple_of` keeps shapes stable; `pad_to` pads every batch to a fixed length
    (pad_to_sequence_len). `flatten` (FlashAttention) puts the whole batch in one unpadded row instead.
    """

    def __init__(
        self,
        pad_token_id: int,
        pad_to: int | None = None,
        pad_to_multiple_of: int | None = None,
        flatten: bool = False,
    ):
        self.pad_token_id = pad_token_id
        self.pad_to = pad_to
        self.pad_to_multiple_of = pad_to_multiple_of
        self.flatten = flatten

    def _target_length(self, longest: int) -> int:
        length = max(longest, self.pad_to or 0)
        if self.pad_to_multiple_of:
            length = -(-length // self.pad_to_multiple_of) * self.pad_to_multiple_of
        return length

    def __call__(self, features: Sequence[Mapping[str, Sequence[int]]]) -> dict[str, Any]:
        import torch

        if not features:
            raise ValueError("PackedCollator received an empty batch")
        if self.flatten:
            return self._flat(features)
        length = self._target_length(max(len(f["input_ids"]) for f in features))
        batch: dict[str, list[list[int]]] = {"input_ids": [], "labels": [], "position_ids": []}
        for feature in features:
            ids = list(feature["input_ids"])
            pad = length - len(ids)
            batch["input_ids"].append(ids + [self.pad_token_id] * pad)
            batch["labels"].append(list(feature["labels"]) + [IGNORE_INDEX] * pad)
            batch["position_ids"].append(list(feature["position_ids"]) + list(range(pad)))
        return {key: torch.tensor(value, dtype=torch.long) for key, value in batch.items()}

    @staticmethod
    def _flat(features: Sequence[Mapping[str, Sequence[int]]]) -> dict[str, Any]:
        """All rows as one [1, tokens] row, no padding (transformers' DataCollatorWithFlattening layout).
        FlashAttention finds the examples from position_ids only in a batch of one row (transformers'
        `_is_packed_sequence`), and then runs varlen attention with per-example boundaries; in a batch of
        several packed rows it would run plain causal attention across the examples of a row."""
        import torch

        batch: dict[str, list[int]] = {"input_ids": [], "labels": [], "position_ids": []}
        for feature in features:
            for key in batch:
                batch[key] += list(feature[key])
        return {key: torch.tensor([value], dtype=torch.long) for key, value in batch.items()}
