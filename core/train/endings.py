"""How a run ends: the `RunResult` and the terminal event (finished / stopped / failed) that closes the stream.

Every run ends with exactly one terminal event, so a monitor can tell a finished run from a crashed one;
this module writes it, whether training came back normally or raised.
"""

from __future__ import annotations

import sys
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ftui.core.events import EventWriter
from ftui.core.train.settings import TrainSettings

OOM_SUGGESTIONS = [
    "lower micro_batch_size (raise gradient_accumulation_steps to keep the effective batch)",
    "set gradient_checkpointing: true",
    "lower sequence_len",
    "use adapter: qlora with load_in_4bit: true",
]


# How an allocation failure reads: CUDA's and MPS's "out of memory", and the CPU allocator's
# "DefaultCPUAllocator: can't allocate memory ... Error code 12 (Cannot allocate memory)".
OOM_MARKERS = ("out of memory", "can't allocate memory", "cannot allocate memory")


def is_out_of_memory(err: BaseException) -> bool:
    message = str(err).lower()
    return type(err).__name__ in ("OutOfMemoryError", "MemoryError") or any(m in message for m in OOM_MARKERS)


@dataclass
class RunResult:
    status: str  # "finished" | "stopped" | "failed"
    output_dir: Path
    step: int
    final_loss: float | None = None
    message: str | None = None

    @property
    def exit_code(self) -> int:
        return 0 if self.status in ("finished", "stopped") else 1


@dataclass
class RunProgress:
    """How far a run got, filled in as it goes: what the `failed` event of a crash reports."""

    step: int | None = None  # the last step once training returned
    trainer: Any = None  # once built: its step counter is the live one
    estimate: dict[str, Any] | None = None  # the estimator's numbers: out-of-memory fixes

    @property
    def current_step(self) -> int | None:
        return self.trainer.state.global_step if self.trainer is not None else self.step


def emit_crash(writer: EventWriter, err: BaseException, progress: RunProgress) -> None:
    """The `failed` event for an exception: traceback tail, and for out-of-memory the estimator's fixes."""
    step = progress.current_step
    tail = "".join(traceback.format_exception(type(err), err, err.__traceback__)).splitlines()[-15:]
    message = str(err) or type(err).__name__
    oom = is_out_of_memory(err)
    suggestions = OOM_SUGGESTIONS
    estimate = progress.estimate or {}
    if oom and estimate.get("suggestions"):
        suggestions = [
            f"{s['title']} ({', '.join(f'{k}: {v}' for k, v in s.get('changes', {}).items())})"
            for s in estimate["suggestions"]
            if isinstance(s, dict) and s.get("title")
        ] or OOM_SUGGESTIONS
    if isinstance(err, KeyboardInterrupt):
        hint = "interrupted before training started; run again (use --resume to continue from a checkpoint)"
    elif oom:
        hint = "the run ran out of memory; try: " + "; ".join(suggestions)
    else:
        hint = (
            "see traceback_tail; fix the cause and rerun with --resume to continue from the last checkpoint"
        )
    writer.emit(
        "failed",
        step=step,
        error_class=type(err).__name__,
        message=message[:2000],
        traceback_tail="\n".join(tail),
        hint=hint,
        suggestions=suggestions if oom else None,
    )


def finish_run(
    trainer: Any,
    outcome: Any,
    writer: EventWriter,
    settings: TrainSettings,
    *,
    rank: int,
    quiet: bool,
    started: float,
    on_saved: Any = None,
) -> RunResult:
    """After `trainer.train()` returned: save the model unless the run failed or was stopped by a signal,
    and write the terminal event for why it ended (watchdog, signal, early stopping or done)."""
    output_dir = settings.output_path
    step = trainer.state.global_step
    if outcome.stop_reason == "watchdog":
        writer.emit(
            "failed",
            step=step,
            error_class="TrainingDiverged",
            message=outcome.failure,
            traceback_tail=None,
            hint=outcome.failure_hint,
        )
        if rank == 0:
            print(f"error: {outcome.failure}\nhint: {outcome.failure_hint}", file=sys.stderr)
        return RunResult("failed", output_dir, step, outcome.last_loss, outcome.failure)
    if outcome.stop_reason == "signal":
        writer.emit("stopped", step=step, reason="signal", checkpoint=outcome.last_checkpoint)
        if rank == 0 and not quiet:
            print(
                f"stopped at step {step}; checkpoint {outcome.last_checkpoint}; continue with --resume",
                file=sys.stderr,
            )
        return RunResult("stopped", output_dir, step, outcome.last_loss)

    from ftui.core.train.checkpoints import save_final

    save_final(trainer, output_dir)  # adapter (or full model) + tokenizer, ready for chat/merge
    if on_saved is not None:
        on_saved(step)  # the Hub push (core/train/hub_sync.py): its events come before the terminal one
    if outcome.stop_reason == "early_stopping":
        writer.emit("stopped", step=step, reason="early_stopping", checkpoint=outcome.last_checkpoint)
        return RunResult("stopped", output_dir, step, outcome.last_loss)
    key = "adapter_dir" if settings.adapter else "model_dir"
    writer.emit(
        "finished",
        step=step,
        final_loss=outcome.last_loss,
        best_eval_loss=outcome.best_eval_loss,
        output_dir=str(output_dir),
        elapsed_s=time.time() - started,
        **{key: str(output_dir)},
    )
    if rank == 0 and not quiet:
        print(
            f"finished: {step} steps in {time.time() - started:.0f}s; saved to {output_dir}", file=sys.stderr
        )
    return RunResult("finished", output_dir, step, outcome.last_loss)
