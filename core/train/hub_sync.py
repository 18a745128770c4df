"""Pushing while a run trains (rank 0): `hub_model_id` with `hub_strategy`, as transformers names them.

- end: the final model and its model card, once, when the model is saved.
- every_save: also the model files of each checkpoint, to the repo's root.
- checkpoint: as every_save, plus the whole latest checkpoint in `last-checkpoint/` (to resume elsewhere).
- all_checkpoints: each checkpoint in its own `checkpoint-N/` folder, plus the final model.

Checkpoint pushes run in the background (huggingface_hub's run_as_future: one at a time, in order) from a
hard-linked snapshot, so checkpoint rotation cannot pull files from under an upload. The final push comes
before the terminal event. A push that fails is a `warning` event and a line on stderr, never a failed run:
the model is saved locally and `ftui push RUN_DIR` pushes it later.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path
from typing import Any

from ftui.core.events import EventWriter
from ftui.core.hub_push import HubError, HubTarget, model_files, no_token_message, operations, push, token

SNAPSHOT_DIR = ".hub-upload"  # under output_dir, removed after each upload


class HubSync:
    def __init__(self, target: HubTarget, output_dir: Path, writer: EventWriter, quiet: bool = False) -> None:
        from ftui.core.hub_push import endpoint
        from huggingface_hub import HfApi

        self.target = target
        self.output_dir = Path(output_dir)
        self.writer = writer
        self.quiet = quiet
        self.api = HfApi(endpoint=endpoint())
        self.pending: list[tuple[Any, str, int]] = []  # (future, what, step)
        self.disabled = token() is None

    def announce(self) -> None:
        """Right after run_started: say once that this run cannot push (it still trains and saves)."""
        if self.disabled:
            self._warn(no_token_message(self.target.repo_id), None)

    def describe(self) -> dict[str, Any]:
        """For run_started: where and when this run pushes."""
        return {
            "repo": self.target.repo_id,
            "strategy": self.target.strategy,
            "private": self.target.private,
            "token": not self.disabled,
        }

    # --- during training ---------------------------------------------------------------------------
    def follow_checkpoints(self, trainer: Any) -> None:
        """Push every checkpoint the trainer saves, after ftui's own `checkpoint` event for it."""
        emit_checkpoint = trainer.ftui_on_checkpoint

        def on_checkpoint(step: int, path: str) -> None:
            emit_checkpoint(step, path)
            self.on_checkpoint(step, path)

        trainer.ftui_on_checkpoint = on_checkpoint

    def on_checkpoint(self, step: int, path: str) -> None:
        self.harvest()
        if self.disabled or self.target.strategy == "end":
            return
        snapshot = self._snapshot(Path(path))
        strategy = self.target.strategy
        ops = []
        if strategy in ("every_save", "checkpoint"):
            ops += operations(model_files(snapshot), snapshot)
        if strategy == "checkpoint":
            ops += operations(_all_files(snapshot), snapshot, prefix="last-checkpoint/")
        if strategy == "all_checkpoints":
            ops += operations(_all_files(snapshot), snapshot, prefix=f"{Path(path).name}/")
        what = "last-checkpoint" if strategy == "checkpoint" else Path(path).name
        future = self.api.run_as_future(
            self._push_snapshot, ops, snapshot, f"ftui: checkpoint at step {step}"
        )
        self.pending.append((future, what, step))

    def _push_snapshot(self, ops: list[Any], snapshot: Path, message: str) -> Any:
        try:
            return push(self.target.repo_id, ops, private=self.target.private, message=message, api=self.api)
        finally:
            shutil.rmtree(snapshot, ignore_errors=True)

    def _snapshot(self, checkpoint: Path) -> Path:
        """Hard links to the checkpoint's files (a copy where links are refused): rotation may delete it."""
        target = self.output_dir / SNAPSHOT_DIR / checkpoint.name
        shutil.rmtree(target, ignore_errors=True)
        for source in _all_files(checkpoint):
            dest = target / source.relative_to(checkpoint)
            dest.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.link(source, dest)
            except OSError:
                shutil.copy2(source, dest)
        return target

    def harvest(self, wait: bool = False) -> None:
        """Events for the background pushes that ended (all of them with wait=True); main thread only."""
        still = []
        for future, what, step in self.pending:
            if not wait and not future.done():
                still.append((future, what, step))
                continue
            try:
                result = future.result()
            except HubError as err:
                self._warn(err.message, step)
                self.disabled = True  # one message, not one per checkpoint
                continue
            self._pushed(result, what, step)
        self.pending = still

    # --- at the end --------------------------------------------------------------------------------
    def finish(self, step: int) -> None:
        """After the final model is saved and before the terminal event: wait, then push model + card."""
        self.harvest(wait=True)
        shutil.rmtree(self.output_dir / SNAPSHOT_DIR, ignore_errors=True)
        if self.disabled:
            return
        from ftui.core.hub_push import push_run

        if not self.quiet:
            print(f"pushing {self.output_dir} to the Hub as {self.target.repo_id} ...", file=sys.stderr)
        try:
            result = push_run(self.output_dir, repo_id=self.target.repo_id, private=self.target.private)
        except HubError as err:
            self._warn(err.message, step)
            return
        self._pushed(result, "model", step)

    def _pushed(self, result: Any, what: str, step: int) -> None:
        self.writer.emit(
            "pushed",
            step=step,
            repo=result.repo_id,
            url=result.url,
            commit=result.commit,
            what=what,
            files=result.files,
        )
        if not self.quiet:
            print(f"pushed {what} to {result.url}", file=sys.stderr, flush=True)

    def _warn(self, message: str, step: int | None) -> None:
        hint = f"the run goes on and saves locally; push later with `ftui push {self.output_dir}`"
        self.writer.emit("warning", kind="hub", step=step, message=message, hint=hint)
        print(f"warning: {message}\n  {hint}", file=sys.stderr, flush=True)


def _all_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file())


def hub_sync_for(
    config: Any, output_dir: Path, writer: EventWriter, rank: int, quiet: bool
) -> HubSync | None:
    """The run's pusher: rank 0 of a config with hub_model_id; None otherwise."""
    from ftui.core.hub_push import hub_target

    target = hub_target(config)
    if target is None or rank != 0:
        return None
    return HubSync(target, output_dir, writer, quiet=quiet)
