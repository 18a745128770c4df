"""Crash-safe checkpoints: every checkpoint is written into a temporary folder and renamed into place.

A rename is atomic, so `checkpoint-N` either exists complete or not at all: a SIGKILL in the middle of a save
leaves only a `.tmp-checkpoint-N` folder, which `last_checkpoint` ignores and `clean_partial` removes.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
from pathlib import Path
from typing import Any

from ftui.core.errors import UserError
from ftui.core.runs.layout import CHECKPOINT_PREFIX, TMP_PREFIX, TRAINER_STATE_FILE, checkpoint_name
from ftui.core.train.settings import TrainSettings
from ftui.core.train.write_errors import reported_writes

CHECKPOINT_RE = re.compile(rf"^{CHECKPOINT_PREFIX}(\d+)$")


def checkpoints(output_dir: str | Path) -> list[Path]:
    """Complete checkpoints, oldest step first."""
    root = Path(output_dir)
    if not root.is_dir():
        return []
    found = []
    for child in root.iterdir():
        match = CHECKPOINT_RE.match(child.name)
        if match and child.is_dir() and (child / TRAINER_STATE_FILE).exists():
            found.append((int(match.group(1)), child))
    return [path for _, path in sorted(found)]


def last_checkpoint(output_dir: str | Path) -> Path | None:
    found = checkpoints(output_dir)
    return found[-1] if found else None


def clean_partial(output_dir: str | Path) -> list[Path]:
    """Remove half-written checkpoints left by a killed run; returns what was removed."""
    root = Path(output_dir)
    removed = []
    if root.is_dir():
        for child in root.iterdir():
            if child.name.startswith(TMP_PREFIX) and child.is_dir():
                shutil.rmtree(child, ignore_errors=True)
                removed.append(child)
    return removed


def publish(tmp_dir: Path, final_dir: Path) -> None:
    """Move a finished checkpoint into place atomically and make the rename durable."""
    for path in tmp_dir.rglob("*"):
        if path.is_file():
            with open(path, "rb") as f:
                os.fsync(f.fileno())
    if final_dir.exists():  # a checkpoint of the same step from an earlier, interrupted attempt
        shutil.rmtree(final_dir)
    os.replace(tmp_dir, final_dir)
    fd = os.open(final_dir.parent, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def save_final(trainer: Any, output_dir: Path) -> None:
    """`trainer.save_model` into a temporary folder, then each file renamed into `output_dir`: a failed
    write (disk full, ...) leaves the files of an earlier save whole and ends with one WriteFailed message."""
    tmp = output_dir / f"{TMP_PREFIX}final"
    lead = trainer.args.should_save
    what = "the trained adapter" if getattr(trainer.model, "peft_config", None) else "the trained model"
    with reported_writes(what, output_dir, output_dir, partial=tmp):
        if lead:
            shutil.rmtree(tmp, ignore_errors=True)
        trainer.save_model(str(tmp))
        if lead:
            for path in sorted(tmp.iterdir()):
                target = output_dir / path.name
                if path.is_dir() and target.is_dir():
                    shutil.rmtree(target)
                os.replace(path, target)
            shutil.rmtree(tmp, ignore_errors=True)


def rotate(output_dir: str | Path, keep: int | None) -> list[Path]:
    """Delete the oldest checkpoints beyond `save_total_limit`."""
    if not keep or keep <= 0:
        return []
    found = checkpoints(output_dir)
    old = found[:-keep]
    for path in old:
        shutil.rmtree(path, ignore_errors=True)
    return old


def resume_checkpoint(settings: TrainSettings, resume: bool) -> str | None:
    """The checkpoint to continue from: --resume / resume_from_checkpoint: true -> the last complete one."""
    value = settings.resume_from_checkpoint
    if isinstance(value, str) and value.lower() not in ("true", "false", ""):
        path = settings.resolve_path(value) if not Path(value).is_absolute() else Path(value)
        if not (path / TRAINER_STATE_FILE).exists():
            raise UserError(
                f"resume_from_checkpoint: {path} is not a complete checkpoint",
                hint="point it at a checkpoint-N folder",
            )
        return str(path)
    auto = bool(settings.raw.get("auto_resume_from_checkpoints"))
    if resume or auto or value is True or (isinstance(value, str) and value.lower() == "true"):
        last = last_checkpoint(settings.output_path)
        if last is None:
            if resume:
                print(f"no checkpoint in {settings.output_path}: starting from step 0", file=sys.stderr)
            return None
        return str(last)
    return None


def checkpoint_step(checkpoint: str | None) -> int:
    """The global step a checkpoint was saved at (0 for none or an unreadable state file)."""
    if not checkpoint:
        return 0
    try:
        return int(json.loads((Path(checkpoint) / TRAINER_STATE_FILE).read_text())["global_step"])
    except (OSError, KeyError, ValueError):
        return 0


def atomic_trainer_class(base=None):
    """A transformers Trainer (or the `base` subclass of it, e.g. a TRL trainer) whose checkpoints are saved
    to a temp folder, then renamed, and which counts the tokens it trains on (imported lazily)."""
    if base is None:
        from transformers import Trainer as base

    class AtomicCheckpointTrainer(base):
        ftui_on_checkpoint = None  # callable(step, path) set by the runner (emits the `checkpoint` event)
        ftui_save_total_limit: int | None = None
        ftui_counter = None  # TokenCounter: tokens of the micro-batches actually trained
        _ftui_tmp_root: str | None = None

        def compute_loss(self, model, inputs, *args, **kwargs):
            if self.ftui_counter is not None and model.training:
                self.ftui_counter.count(inputs)
            return super().compute_loss(model, inputs, *args, **kwargs)

        def _get_output_dir(self, trial):
            if self._ftui_tmp_root is not None:
                return self._ftui_tmp_root
            return super()._get_output_dir(trial)

        def _save_checkpoint(self, model, trial):
            run_dir = Path(self.args.output_dir)
            name = checkpoint_name(self.state.global_step)
            tmp_root = run_dir / f"{TMP_PREFIX}{name}"
            with reported_writes(name, tmp_root, run_dir, partial=tmp_root):
                self._write_checkpoint(model, trial, run_dir, name, tmp_root)
            if self.args.should_save:
                rotate(run_dir, self.ftui_save_total_limit)
                if self.ftui_on_checkpoint is not None:
                    self.ftui_on_checkpoint(self.state.global_step, str(run_dir / name))
            self.accelerator.wait_for_everyone()

        def _write_checkpoint(self, model, trial, run_dir: Path, name: str, tmp_root: Path) -> None:
            if self.args.should_save:
                shutil.rmtree(tmp_root, ignore_errors=True)
                tmp_root.mkdir(parents=True)
            self.accelerator.wait_for_everyone()
            self._ftui_tmp_root = str(tmp_root)
            try:
                super()._save_checkpoint(model, trial)
            finally:
                self._ftui_tmp_root = None
            self.accelerator.wait_for_everyone()  # every rank wrote its RNG state before the rename
            if self.args.should_save:
                publish(tmp_root / name, run_dir / name)
                shutil.rmtree(tmp_root, ignore_errors=True)

    return AtomicCheckpointTrainer
