"""`prepare_dataset`: every `datasets[]` entry tokenized, masked, length-limited, split and saved once.

Steps: fingerprint the inputs and reuse a matching prepared folder if there is one; otherwise read every
entry once to validate its rows (bad rows fail fast, before any tokenizing, and give the progress total),
then stream the entries again through the template engine in chunks (two in flight, so template rendering
in Python overlaps the Rust tokenizer), keep the kept rows as compact Arrow
batches, split off the validation rows (seeded) and save atomically.
"""

from __future__ import annotations

import itertools
import random
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ftui.core.errors import UserError
from ftui.core.fingerprint import fingerprint_inputs, json_digest
from ftui.core.preprocess.stats import DatasetStats, StatsCollector, column_lengths
from ftui.core.preprocess.store import StoredDataset, load_stored, prepared_root, save_stored

Progress = Callable[[int, int], None]  # (examples done, examples in total)
CHUNK = 1000
IGNORE_INDEX = -100


@dataclass
class PreparedDataset:
    """A prepared dataset: unpacked rows in source order, per split, with its stats.

    Behaves like a mapping of split name to `datasets.Dataset` ("train", and "validation" when
    val_set_size > 0). With sample_packing the trainer packs `train` through `packed_train()`.
    """

    path: Path
    fingerprint: str
    train: Any
    validation: Any | None
    stats: DatasetStats
    reused: bool
    sequence_len: int
    elapsed_s: float = 0.0

    def keys(self) -> list[str]:
        return ["train"] + (["validation"] if self.validation is not None else [])

    def __getitem__(self, split: str) -> Any:
        if split == "train":
            return self.train
        if split == "validation" and self.validation is not None:
            return self.validation
        raise KeyError(split)

    def __contains__(self, split: object) -> bool:
        return split in self.keys()

    def packed_train(self) -> Any:
        """The training rows packed into `sequence_len` bins (input_ids, labels, position_ids)."""
        from ftui.core.packing import pack_dataset

        return pack_dataset(self.train, self.sequence_len)

    def summary(self) -> dict[str, Any]:
        """What `ftui preprocess --json` prints."""
        data: dict[str, Any] = {
            "path": str(self.path),
            "fingerprint": self.fingerprint,
            "reused": self.reused,
        }
        data.update(self.stats.to_dict())
        if data.get("packing_efficiency") is None:
            data.pop("packing_efficiency", None)
            data.pop("packed_rows", None)
        return data


def prepare_dataset(
    config: Any, progress: Progress | None = None, force: bool = False, tokenizer: Any = None
) -> PreparedDataset:
    """Tokenize and mask the config's datasets, or reuse the copy saved for the same fingerprint.

    `progress(done, total)` is called while tokenizing; `force` re-tokenizes even when a copy exists;
    `tokenizer` skips loading one (the TUI already has it). Raises DataError / UserError for user mistakes.
    """
    started = time.perf_counter()
    inputs = fingerprint_inputs(config)
    fingerprint = json_digest(inputs)[:16]
    folder = prepared_root(config) / fingerprint
    if not force:
        stored = load_stored(folder, fingerprint)
        if stored is not None:
            return _result(config, folder, fingerprint, stored, True, started)

    if tokenizer is None:
        from ftui.core.tokenizer import load_tokenizer

        tokenizer = load_tokenizer(config)
    total, bad_rows = count_examples(config)
    train, validation, stats = tokenize_datasets(config, tokenizer, total, progress)
    stats.bad_rows = bad_rows
    meta = {
        "fingerprint": fingerprint,
        "inputs": inputs,
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "ftui_version": _ftui_version(),
    }
    stored = StoredDataset(train=train, validation=validation, stats=stats, meta=meta)
    save_stored(folder, stored, replace=force)
    # Hand back the memory-mapped copy on disk, not the in-memory tables.
    reloaded = load_stored(folder, fingerprint) or stored
    return _result(config, folder, fingerprint, reloaded, False, started)


def _result(
    config: Any, folder: Path, fingerprint: str, stored: StoredDataset, reused: bool, started: float
) -> PreparedDataset:
    stats = stored.stats
    stats.packing_efficiency = None
    stats.packed_rows = None
    if config.sample_packing and len(stored.train):
        from ftui.core.packing import pack_ffd

        lengths = column_lengths(stored.train)
        bins = pack_ffd(lengths, config.sequence_len)
        stats.packed_rows = len(bins)
        stats.packing_efficiency = round(sum(lengths) / (len(bins) * config.sequence_len), 6)
    return PreparedDataset(
        path=folder,
        fingerprint=fingerprint,
        train=stored.train,
        validation=stored.validation,
        stats=stats,
        reused=reused,
        sequence_len=config.sequence_len,
        elapsed_s=time.perf_counter() - started,
    )


def count_examples(config: Any) -> tuple[int, int]:
    """Read every entry once, before tokenizing: (usable examples, bad rows). Bad rows raise one DataError
    listing them, unless the config says `skip_bad_rows: true`."""
    from ftui.core.data import BadRowLog, iter_config_examples

    log = BadRowLog()
    skip = bool(getattr(config, "skip_bad_rows", False))
    count = sum(
        1 for _ in iter_config_examples(config.datasets, config.base_dir, skip_bad_rows=skip, bad_rows=log)
    )
    return count, log.count


def jobs_for(config: Any, tokenizer: Any) -> Iterator[tuple[Any, Any]]:
    """(dataset entry, Tokenizing job) for every `datasets[]` entry: its template and mask settings."""
    from ftui.core.templates import MaskSettings, Tokenizing, check_template_fits
    from ftui.core.templates.library import template_from_config

    for entry in config.datasets:
        template = template_from_config(config, entry)
        check_template_fits(template, tokenizer)
        yield entry, Tokenizing(template, tokenizer, MaskSettings.from_config(config, entry))


def chunked(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    """Lists of up to `size` items from a stream."""
    stream = iter(items)
    while chunk := list(itertools.islice(stream, size)):
        yield chunk


def tokenize_chunks(job: Any, chunks: Iterable[list[Any]]) -> Iterator[tuple[list[Any], list[Any]]]:
    """(chunk, its TokenizedExamples) in order, two chunks in flight: while one thread renders templates
    (Python, holding the GIL) the other runs the Rust tokenizer (which releases it), so both cores work."""
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="ftui-tokenize") as pool:
        pending: deque[tuple[list[Any], Future[Any]]] = deque()
        for chunk in chunks:
            pending.append((chunk, pool.submit(job.run, chunk)))
            if len(pending) >= 2:
                done, future = pending.popleft()
                yield done, future.result()
        while pending:
            done, future = pending.popleft()
            yield done, future.result()


def tokenize_datasets(
    config: Any, tokenizer: Any, total: int, progress: Progress | None = None
) -> tuple[Any, Any | None, DatasetStats]:
    """Tokenize every entry in order; returns (train, validation or None, stats) as in-memory Datasets."""
    from ftui.core.data import iter_examples

    collector = StatsCollector(config.sequence_len)
    builder = _ArrowBuilder()
    done = 0
    if progress is not None:
        progress(0, total)
    for entry, job in jobs_for(config, tokenizer):
        stream = iter_examples(entry, config.base_dir, skip_bad_rows=True)
        for chunk, tokenized_chunk in tokenize_chunks(job, chunked(stream, CHUNK)):
            for example, tokenized in zip(chunk, tokenized_chunk, strict=True):
                for ids, labels, mask, truncated in _rows_of(example, tokenized, job, collector):
                    collector.add(ids, labels, truncated=truncated)
                    builder.add(ids, labels, mask)
            done += len(chunk)
            if progress is not None:
                progress(done, max(total, done))
    table = builder.table()
    if table.num_rows == 0:
        raise UserError(
            f"no examples left after tokenizing: {collector.dropped_too_long} longer than sequence_len "
            f"{config.sequence_len}, {collector.dropped_no_trainable} with no trained tokens",
            hint="raise sequence_len, set excess_length_strategy: truncate, or check the mask settings "
            "(train_on_inputs, roles_to_train) with `ftui debug CONFIG`",
        )
    train_idx, val_idx = split_indices(table.num_rows, config.val_set_size, config.seed)
    train = _dataset(table.take(train_idx) if val_idx else table)
    validation = _dataset(table.take(val_idx)) if val_idx else None
    return train, validation, collector.result(len(train_idx), len(val_idx), done)


def _rows_of(
    example: Any, tokenized: Any, job: Any, collector: StatsCollector
) -> list[tuple[list[int], list[int], list[int], bool]]:
    """The rows one example becomes under `sequence_len`: itself, truncated, nothing (dropped), or for a
    long completion text consecutive windows of `sequence_len` tokens (as Axolotl splits them)."""
    limit = job.settings.sequence_len
    ids, labels, mask = tokenized.input_ids, tokenized.labels, tokenized.attention_mask
    if getattr(example, "kind", None) == "completion" and len(ids) > limit:
        collector.split += 1
        windows = range(0, len(ids), limit)
        rows = [(ids[i : i + limit], labels[i : i + limit], mask[i : i + limit], False) for i in windows]
        # A last window of one token predicts nothing; an all-masked window teaches nothing.
        return [row for row in rows if len(row[0]) > 1 and any(x != IGNORE_INDEX for x in row[1])]
    kept = job.limit_length(tokenized)
    if kept is None:
        collector.drop("too_long")
        return []
    if kept.stats.trained_tokens == 0:  # nothing to learn from (or empty): Axolotl drops these too
        collector.drop("no_trainable")
        return []
    return [(kept.input_ids, kept.labels, kept.attention_mask, bool(kept.stats.truncated))]


def split_indices(rows: int, val_set_size: float, seed: int) -> tuple[list[int], list[int]]:
    """Train and validation row indices, each in source order. `val_set_size` < 1 is a fraction of the
    rows, >= 1 a count; which rows go to validation depends only on (rows, val_set_size, seed)."""
    if not val_set_size or val_set_size <= 0:
        return list(range(rows)), []
    count = round(rows * val_set_size) if val_set_size < 1 else int(val_set_size)
    count = max(count, 1)
    if count >= rows:
        raise UserError(
            f"val_set_size {val_set_size:g} takes {count} of {rows} examples, leaving none to train on",
            hint="lower val_set_size (a fraction like 0.05, or a row count below the dataset size)",
        )
    chosen = set(random.Random(seed).sample(range(rows), count))
    train = [i for i in range(rows) if i not in chosen]
    return train, sorted(chosen)


class _ArrowBuilder:
    """Collects rows as compact Arrow record batches (int32 ids/labels, int8 mask) instead of Python lists."""

    def __init__(self) -> None:
        self.batches: list[Any] = []
        self.pending: dict[str, list[list[int]]] = {"input_ids": [], "labels": [], "attention_mask": []}

    def add(self, input_ids: list[int], labels: list[int], attention_mask: list[int]) -> None:
        self.pending["input_ids"].append(input_ids)
        self.pending["labels"].append(labels)
        self.pending["attention_mask"].append(attention_mask)
        if len(self.pending["input_ids"]) >= CHUNK:
            self._flush()

    def _flush(self) -> None:
        import pyarrow as pa

        if not self.pending["input_ids"]:
            return
        self.batches.append(
            pa.record_batch(
                [
                    pa.array(self.pending["input_ids"], type=pa.list_(pa.int32())),
                    pa.array(self.pending["labels"], type=pa.list_(pa.int32())),
                    pa.array(self.pending["attention_mask"], type=pa.list_(pa.int8())),
                ],
                names=["input_ids", "labels", "attention_mask"],
            )
        )
        self.pending = {key: [] for key in self.pending}

    def table(self) -> Any:
        import pyarrow as pa

        self._flush()
        schema = pa.schema(
            [
                ("input_ids", pa.list_(pa.int32())),
                ("labels", pa.list_(pa.int32())),
                ("attention_mask", pa.list_(pa.int8())),
            ]
        )
        return pa.Table.from_batches(self.batches, schema=schema)


def _dataset(table: Any) -> Any:
    from datasets import Dataset

    # An explicit fingerprint: otherwise `datasets` pickles the whole table to hash it.
    return Dataset(table, fingerprint=uuid.uuid4().hex)


def _ftui_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("ftui")
    except PackageNotFoundError:
        return "unknown"
