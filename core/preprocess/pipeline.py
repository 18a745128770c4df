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
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ftui.core.errors import UserError
from ftui.core.fingerprint import fingerprint_inputs, json_digest
from ftui.core.labels import IGNORE_INDEX
from ftui.core.preprocess.rows import RowBuilder, as_dataset
from ftui.core.preprocess.stats import DatasetStats, StatsCollector, column_lengths, no_rows_left
from ftui.core.preprocess.store import StoredDataset, load_stored, prepared_root, save_stored

Progress = Callable[[int, int], None]  # (examples done, examples in total)
CHUNK = 1000


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
    from ftui.core.fingerprint import training_datasets

    log = BadRowLog()
    skip = bool(getattr(config, "skip_bad_rows", False))
    entries = training_datasets(config) + list(getattr(config, "test_datasets", None) or [])
    count = sum(1 for _ in iter_config_examples(entries, config.base_dir, skip_bad_rows=skip, bad_rows=log))
    return count, log.count


def jobs_for(config: Any, tokenizer: Any, entries: Any = None) -> Iterator[tuple[Any, Any]]:
    """(dataset entry, Tokenizing job) for every training entry (`datasets` and `pretraining_dataset`,
    or the given `entries`): its template and mask settings."""
    from ftui.core.fingerprint import training_datasets
    from ftui.core.templates import MaskSettings, Tokenizing, check_template_fits
    from ftui.core.templates.library import template_from_config

    for entry in training_datasets(config) if entries is None else entries:
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
    from ftui.core.quality.curation import quality_drops

    collector = StatsCollector(config.sequence_len)
    builder = RowBuilder()
    done = 0
    if progress is not None:
        progress(0, total)
    drops = quality_drops(config, tokenizer)  # dataset_drop / dataset_near_deduplication: audited first
    dedupe = bool(getattr(config, "dataset_exact_deduplication", False))

    def tokenize_into(builder: RowBuilder, entries: Any, drops: Any) -> None:
        nonlocal done
        for index, (entry, job) in enumerate(jobs_for(config, tokenizer, entries)):
            stream = iter_examples(entry, config.base_dir, skip_bad_rows=True)
            dropped_before = sum(drops.counts.values()) if drops else 0
            if drops is not None:
                stream = drops.filter(index, stream)
            for chunk, tokenized_chunk in tokenize_chunks(job, chunked(stream, CHUNK)):
                for example, tokenized in zip(chunk, tokenized_chunk, strict=True):
                    for ids, labels, mask in kept_rows(example, tokenized, job, collector, dedupe):
                        builder.add(ids, labels, mask)
                done += len(chunk)
                if progress is not None:
                    progress(done, max(total, done))
            done += (sum(drops.counts.values()) - dropped_before) if drops else 0

    tokenize_into(builder, None, drops)  # the audit's entry numbers are those of `datasets` (first here)
    if drops is not None:
        collector.dropped_quality = dict(drops.counts)
    test_entries = list(getattr(config, "test_datasets", None) or [])
    tests = RowBuilder()
    if test_entries:  # the eval set: test_datasets instead of a val_set_size split (Axolotl)
        tokenize_into(tests, test_entries, None)
    table = builder.table()
    if table.num_rows == 0:
        raise no_rows_left(collector.result(0, 0, done))
    if test_entries:
        test_table = tests.table()
        validation = as_dataset(test_table) if test_table.num_rows else None
        return as_dataset(table), validation, collector.result(table.num_rows, test_table.num_rows, done)
    train_idx, val_idx = split_indices(table.num_rows, config.val_set_size, config.seed)
    train = as_dataset(table.take(train_idx) if val_idx else table)
    validation = as_dataset(table.take(val_idx)) if val_idx else None
    return train, validation, collector.result(len(train_idx), len(val_idx), done)


def kept_rows(
    example: Any, tokenized: Any, job: Any, collector: StatsCollector, dedupe: bool
) -> Iterator[tuple[list[int], list[int], list[int]]]:
    """The rows one tokenized example adds to the prepared dataset, each counted in `collector` (the one
    rule for drops, truncation, splits and `dataset_exact_deduplication`; the wizard's stats use it too)."""
    for ids, labels, mask, truncated in _rows_of(example, tokenized, job, collector):
        if dedupe and collector.seen_before(ids, labels):
            collector.drop("exact_duplicate")
            continue
        collector.add(ids, labels, truncated=truncated)
        yield ids, labels, mask


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


def _ftui_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("ftui")
    except PackageNotFoundError:
        return "unknown"
