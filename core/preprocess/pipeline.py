"""`prepare_dataset`: every `datasets[]` entry tokenized, masked, length-limited, split and saved once.

Steps: fingerprint the inputs and reuse a matching prepared folder if there is one; otherwise read every
entry once to validate its rows (bad rows fail fast, before any tokenizing, and give the progress total),
then stream the entries again through the template engine (core/preprocess/tokenize_datasets.py), keep the
kept rows as compact Arrow batches, split off the validation rows (seeded) and save atomically.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ftui.core.fingerprint import fingerprint_inputs, json_digest
from ftui.core.preprocess.stats import DatasetStats, column_lengths
from ftui.core.preprocess.store import StoredDataset, load_stored, prepared_root, save_stored
from ftui.core.preprocess.tokenize_datasets import Progress, tokenize_datasets


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
        from ftui.core.light_tokenizer import load_light_tokenizer

        tokenizer = load_light_tokenizer(config)
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


def _ftui_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("ftui")
    except PackageNotFoundError:
        return "unknown"
