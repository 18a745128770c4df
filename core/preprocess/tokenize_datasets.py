"""Every dataset entry streamed through the template engine into prepared rows, then split.

Entries are read in chunks, two in flight, so template rendering in Python overlaps the Rust tokenizer;
`kept_rows` is the one rule for drops, truncation, completion windows and exact deduplication (the
wizard's stats use it too); `split_indices` picks the seeded validation rows.
"""

from __future__ import annotations

import itertools
import random
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from ftui.core.errors import UserError
from ftui.core.labels import IGNORE_INDEX
from ftui.core.preprocess.rows import RowBuilder, as_dataset
from ftui.core.preprocess.stats import DatasetStats, StatsCollector, no_rows_left

Progress = Callable[[int, int], None]  # (examples done, examples in total)
CHUNK = 1000


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
