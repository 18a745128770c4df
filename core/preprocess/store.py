"""Prepared datasets on disk: one folder per fingerprint, written atomically.

Layout of `<dataset_prepared_path>/<fingerprint>/` (a `datasets.DatasetDict` folder: open it with
`datasets.load_from_disk(path)`):
    dataset_dict.json  {"splits": ["train", "validation"]} (what makes load_from_disk see a DatasetDict)
    train/        datasets.Dataset.save_to_disk (input_ids, labels, attention_mask; source order)
    validation/   the same, when val_set_size > 0
    stats.json    DatasetStats
    meta.json     fingerprint, what it covers, when and by which ftui

Everything is written into a hidden temporary folder next to it and renamed into place as the last step,
so a folder named by a fingerprint is always complete: an interrupted preprocess leaves only a temporary
folder, which is never reused and is removed by the next run.
"""

from __future__ import annotations

import json
import os
import shutil
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ftui.core.errors import UserError
from ftui.core.preprocess.stats import DatasetStats

DEFAULT_PREPARED_DIR = "last_run_prepared"  # Axolotl's default, relative to the config's folder
TRAIN, VALIDATION = "train", "validation"
STATS_FILE, META_FILE = "stats.json", "meta.json"
DICT_FILE = "dataset_dict.json"  # datasets' marker of a DatasetDict folder
_TEMP_PREFIX, _OLD_PREFIX = ".tmp-", ".old-"


@dataclass
class StoredDataset:
    train: Any  # datasets.Dataset
    validation: Any | None
    stats: DatasetStats
    meta: dict[str, Any]


def prepared_root(config: Any) -> Path:
    """`dataset_prepared_path` (relative to the config's folder), else `last_run_prepared/` there."""
    return config.resolve_path(config.dataset_prepared_path or DEFAULT_PREPARED_DIR)


def load_stored(folder: Path, fingerprint: str) -> StoredDataset | None:
    """The dataset in `folder` if it is complete and made for `fingerprint`, else None (then re-prepare)."""
    from datasets import load_from_disk

    try:
        meta = json.loads((folder / META_FILE).read_text(encoding="utf-8"))
        if meta.get("fingerprint") != fingerprint:
            return None
        stats = DatasetStats.from_dict(json.loads((folder / STATS_FILE).read_text(encoding="utf-8")))
        train = load_from_disk(str(folder / TRAIN))
        validation = load_from_disk(str(folder / VALIDATION)) if (folder / VALIDATION).exists() else None
        if not (folder / DICT_FILE).is_file():  # saved by an older ftui: make it a DatasetDict folder
            _write_json(
                folder / DICT_FILE, {"splits": [TRAIN] + ([VALIDATION] if validation is not None else [])}
            )
    except (OSError, ValueError, KeyError, FileNotFoundError):
        return None
    return StoredDataset(train=train, validation=validation, stats=stats, meta=meta)


def save_stored(folder: Path, stored: StoredDataset, replace: bool = False) -> Path:
    """Write `stored` to `folder` atomically (temp folder + rename) and return the folder.

    An existing `folder` is replaced only with `replace` (a forced re-run); otherwise another process
    finished the same fingerprint first (parallel trainer ranks, TUI and CLI) and its identical copy stays."""
    temp = folder.parent / f"{_TEMP_PREFIX}{folder.name}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
        remove_stale_temporaries(folder.parent)
        temp.mkdir()
        with _quiet_datasets():
            stored.train.save_to_disk(str(temp / TRAIN))
            if stored.validation is not None:
                stored.validation.save_to_disk(str(temp / VALIDATION))
        splits = [TRAIN] + ([VALIDATION] if stored.validation is not None else [])
        _write_json(temp / DICT_FILE, {"splits": splits})
        _write_json(temp / STATS_FILE, stored.stats.to_dict())
        _write_json(temp / META_FILE, stored.meta)
        _install(temp, folder, replace)
    except OSError as err:  # not writable, not a folder, disk full: the user can fix these
        from ftui.core.metrics import format_bytes
        from ftui.core.train.write_errors import free_space, write_cause

        cause = write_cause(err)
        reason = cause[0] if cause else (err.strerror or str(err))
        raise UserError(
            f"cannot save the prepared dataset in {folder.parent}: {reason} "
            f"({format_bytes(free_space(folder.parent))} free there); nothing earlier was replaced",
            hint="set dataset_prepared_path in the config to a writable folder with free space",
        ) from err
    finally:
        shutil.rmtree(temp, ignore_errors=True)
    return folder


@contextmanager
def _quiet_datasets() -> Iterator[None]:
    """No "Saving the dataset" bars from `datasets`: ftui shows its own progress."""
    from datasets.utils import logging as ds_logging

    was_enabled = ds_logging.is_progress_bar_enabled()
    ds_logging.disable_progress_bar()
    try:
        yield
    finally:
        if was_enabled:
            ds_logging.enable_progress_bar()


def _install(temp: Path, folder: Path, replace: bool) -> None:
    """Rename `temp` to `folder`; with `replace` an existing `folder` is moved aside first."""
    old = None
    if replace and folder.exists():
        old = folder.parent / f"{_OLD_PREFIX}{folder.name}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        os.rename(folder, old)
    try:
        os.rename(temp, folder)
    except OSError:
        if not folder.exists():  # not a lost race: give the old copy back and report the failure
            if old is not None:
                os.rename(old, folder)
            raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _write_json(path: Path, data: dict[str, Any]) -> None:
    path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def remove_stale_temporaries(root: Path, max_age_s: float = 24 * 3600) -> None:
    """Delete temporary folders of interrupted runs: their process is gone, or they are over a day old."""
    if not root.is_dir():
        return
    for child in root.iterdir():
        if not child.is_dir() or not child.name.startswith((_TEMP_PREFIX, _OLD_PREFIX)):
            continue
        pid = _pid_of(child.name)
        too_old = time.time() - child.stat().st_mtime > max_age_s
        if too_old or (pid is not None and pid != os.getpid() and not _alive(pid)):
            shutil.rmtree(child, ignore_errors=True)


def _pid_of(name: str) -> int | None:
    parts = name.split("-")
    try:
        return int(parts[-2])
    except (IndexError, ValueError):
        return None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
