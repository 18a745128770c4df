"""`run_training`: one training run from a config, start to a terminal event (finished/stopped/failed).

This is the process the TUI spawns and monitors. It loads model and data, wires the transformers Trainer
to ftui's callbacks (events, watchdog, signals, atomic checkpoints), and always ends the event stream with a
terminal event, so a monitor can tell a finished run from a crashed one.
"""

from __future__ import annotations

import json
import os
import sys
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ftui.core.errors import UserError
from ftui.core.events import EventWriter
from ftui.core.train.callbacks import StopBeforeTraining
from ftui.core.train.settings import TrainSettings, config_to_dict, redact

OOM_SUGGESTIONS = [
    "lower micro_batch_size (raise gradient_accumulation_steps to keep the effective batch)",
    "set gradient_checkpointing: true",
    "lower sequence_len",
    "use adapter: qlora with load_in_4bit: true",
]


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


def dist_info() -> tuple[int, int]:
    """(rank, world_size) from the launcher's environment (accelerate/torchrun set these)."""
    return int(os.environ.get("RANK", 0)), int(os.environ.get("WORLD_SIZE", 1))


def run_training(
    config: Any,
    *,
    config_dir: str | Path | None = None,
    resume: bool = False,
    max_steps: int | None = None,
    quiet: bool = False,
) -> RunResult:
    """Train; returns how it ended. Never returns without writing a terminal event (rank 0)."""
    config = ensure_config(config, config_dir)
    settings = TrainSettings.from_config(config, config_dir)
    if max_steps is not None:
        settings.max_steps = max_steps
    rank, world_size = dist_info()
    output_dir = settings.output_path
    output_dir.mkdir(parents=True, exist_ok=True)
    writer = EventWriter(output_dir, enabled=rank == 0)
    state: dict[str, Any] = {"step": None, "trainer": None}
    try:
        return _train(settings, config, writer, state, resume, quiet, rank, world_size)
    except UserError as err:
        writer.emit(
            "failed",
            step=state["step"],
            error_class=type(err).__name__,
            message=err.message,
            traceback_tail=None,
            hint=err.hint,
        )
        raise
    except StopBeforeTraining as err:
        writer.emit("stopped", step=0, reason="signal", checkpoint=None)
        print(f"received {err}: stopped before training started", file=sys.stderr)
        return RunResult("stopped", output_dir, 0)
    except BaseException as err:
        _emit_crash(writer, err, state)
        raise
    finally:
        writer.close()


def ensure_config(config: Any, config_dir: str | Path | None) -> Any:
    """A validated FtuiConfig (preprocessing needs one); dicts are validated here."""
    if isinstance(config, dict):
        import json as _json

        from ftui.core.config import parse_config

        loaded = parse_config(_json.dumps(config), source="<dict>", base_dir=Path(config_dir or "."))
        return loaded.config
    return config


def _emit_crash(writer: EventWriter, err: BaseException, state: dict[str, Any]) -> None:
    trainer = state.get("trainer")
    step = trainer.state.global_step if trainer is not None else state["step"]
    tail = "".join(traceback.format_exception(type(err), err, err.__traceback__)).splitlines()[-15:]
    message = str(err) or type(err).__name__
    oom = "out of memory" in message.lower() or type(err).__name__ in ("OutOfMemoryError", "MemoryError")
    suggestions = OOM_SUGGESTIONS
    estimate = state.get("estimate") or {}
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


def resume_checkpoint(settings: TrainSettings, resume: bool) -> str | None:
    """The checkpoint to continue from: --resume / resume_from_checkpoint: true -> the last complete one."""
    from ftui.core.train.checkpoints import last_checkpoint

    value = settings.resume_from_checkpoint
    if isinstance(value, str) and value.lower() not in ("true", "false", ""):
        path = settings.resolve_path(value) if not Path(value).is_absolute() else Path(value)
        if not (path / "trainer_state.json").exists():
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


def _train(settings, config, writer, state, resume, quiet, rank, world_size) -> RunResult:
    from ftui.core.train.callbacks import RunOutcome, SignalStopCallback

    outcome = RunOutcome()
    stopper = SignalStopCallback(outcome)
    stopper.install()  # from here on a signal is a clean stop (at once while loading, else after the step)
    try:
        return _train_with(settings, config, writer, state, resume, quiet, rank, world_size, outcome, stopper)
    finally:
        stopper.uninstall()


def _train_with(
    settings, config, writer, state, resume, quiet, rank, world_size, outcome, stopper
) -> RunResult:
    from ftui.core.train import loading
    from ftui.core.train.arguments import count_steps, every, parallel_args, training_arguments
    from ftui.core.train.callbacks import EarlyStoppingCallback, EventCallback, WatchdogCallback
    from ftui.core.train.checkpoints import atomic_trainer_class, clean_partial
    from ftui.core.train.data import Collator, TokenCounter, load_train_data
    from ftui.core.train.evaluation import EvalEventCallback, load_assertion
    from ftui.core.train.run_files import memory_estimate, write_run_files
    from transformers import set_seed

    started = time.time()
    output_dir = settings.output_path
    if rank == 0:
        clean_partial(output_dir)
    checkpoint = resume_checkpoint(settings, resume)
    set_seed(settings.seed)
    precision = loading.detect_precision(settings)
    source = loading.resolve_base(settings)
    tokenizer = loading.load_tokenizer_for(config)
    data = load_train_data(
        settings, config, tokenizer, progress=None if quiet or rank != 0 else _tokenizing_progress()
    )
    if not data.train:
        raise UserError(
            "the training set is empty after preprocessing", hint="check datasets and val_set_size"
        )
    assertion = (
        load_assertion(settings.eval_assertions, settings.config_dir) if settings.eval_assertions else None
    )
    if precision.device == "cpu" and (settings.bf16 is True or settings.fp16 is True):
        writer.emit(
            "warning",
            kind="config",
            message="bf16/fp16 requested but there is no GPU: training in fp32 on CPU",
        )
    model = loading.load_base_model(settings, source, precision)
    if loading.fit_embeddings(model, tokenizer):
        writer.emit(
            "warning", kind="config", message=f"embeddings resized to {len(tokenizer)} tokens (added tokens)"
        )
    model = loading.apply_adapter(model, settings)
    trainable, total_params = loading.count_parameters(model)
    per_epoch, total_steps = count_steps(settings, len(data.train), world_size)
    has_eval = bool(data.eval)
    eval_steps = every(per_epoch, settings.evals_per_epoch or 1, settings.eval_steps) if has_eval else None
    save_steps = every(per_epoch, settings.saves_per_epoch, settings.save_steps)
    estimate = memory_estimate(config)
    state["estimate"] = estimate
    if rank == 0:
        write_run_files(settings, config, tokenizer, source, estimate, precision, world_size)

    args = training_arguments(
        output_dir=str(output_dir),
        per_device_train_batch_size=settings.micro_batch_size,
        per_device_eval_batch_size=settings.micro_batch_size,
        gradient_accumulation_steps=settings.gradient_accumulation_steps,
        num_train_epochs=float(settings.num_epochs),
        max_steps=settings.max_steps if settings.max_steps and settings.max_steps > 0 else -1,
        learning_rate=settings.learning_rate,
        lr_scheduler_type=settings.lr_scheduler,
        warmup_steps=settings.warmup(total_steps),
        weight_decay=settings.weight_decay,
        max_grad_norm=settings.max_grad_norm,
        optim=settings.optimizer,
        bf16=precision.bf16,
        fp16=precision.fp16,
        tf32=precision.tf32 if precision.device == "cuda" else None,
        activation_checkpointing=settings.gradient_checkpointing,
        activation_checkpointing_kwargs={"use_reentrant": False} if settings.gradient_checkpointing else None,
        eval_strategy="steps" if eval_steps else "no",
        eval_steps=eval_steps,
        eval_on_start=bool(has_eval and assertion is not None and checkpoint is None),
        save_strategy="steps" if save_steps else "no",
        save_steps=save_steps or 500,
        save_total_limit=None,  # rotation happens after the atomic rename (checkpoints.rotate)
        logging_strategy="steps",
        logging_steps=settings.logging_steps,
        logging_nan_inf_filter=False,  # the watchdog must see NaN/inf
        seed=settings.seed,
        data_seed=settings.seed,
        use_cpu=precision.device == "cpu",
        ddp_backend="gloo" if precision.device == "cpu" and world_size > 1 else None,
        report_to="none",
        disable_tqdm=True,
        remove_unused_columns=False,
        dataloader_num_workers=0,
        save_only_model=False,
        **parallel_args(settings),
    )
    counter = TokenCounter()
    collator = Collator(
        pad_id=tokenizer.pad_token_id,
        pad_to=settings.sequence_len if settings.pad_to_sequence_len else None,
    )
    events = EventCallback(writer, counter, outcome, world_size=world_size, quiet=quiet or rank != 0)

    trainer_class = atomic_trainer_class()
    trainer = trainer_class(
        model=model,
        args=args,
        train_dataset=data.train,
        eval_dataset=data.eval or None,
        data_collator=collator,
        processing_class=tokenizer,
        callbacks=[
            events,
            EvalEventCallback(
                writer,
                outcome,
                tokenizer,
                data.eval_prompts,
                assertion,
                settings.eval_table_size,
                settings.eval_max_new_tokens,
                quiet=quiet,
            ),
            WatchdogCallback(
                writer, outcome, settings.loss_watchdog_threshold, settings.loss_watchdog_patience
            ),
            EarlyStoppingCallback(outcome, settings.early_stopping_patience),
            stopper,
        ],
    )
    state["trainer"] = trainer
    trainer.ftui_counter = counter
    from transformers.trainer_callback import PrinterCallback, ProgressCallback

    trainer.remove_callback(PrinterCallback)  # ftui prints its own progress line and events
    trainer.remove_callback(ProgressCallback)
    trainer.ftui_save_total_limit = settings.save_total_limit

    def on_checkpoint(step: int, path: str) -> None:
        outcome.last_checkpoint = path
        writer.emit("checkpoint", step=step, path=path)

    trainer.ftui_on_checkpoint = on_checkpoint
    resumed_from = _checkpoint_step(checkpoint)

    def on_begin(train_state) -> None:
        writer.emit(
            "run_started",
            run_id=output_dir.name,
            config=redact(config_to_dict(config)),
            estimate=estimate,
            world_size=world_size,
            device=precision.device,
            device_name=precision.device_name,
            precision="bf16" if precision.bf16 else "fp16" if precision.fp16 else "fp32",
            total_steps=train_state.max_steps,
            num_epochs=settings.num_epochs,
            steps_per_epoch=per_epoch,
            resumed_from_step=resumed_from,
            pid=os.getpid(),
            train_examples=len(data.train),
            eval_examples=len(data.eval),
            packed=data.packed,
            trainable_params=trainable,
            total_params=total_params,
        )
        if not quiet and rank == 0:
            what = f"resuming from step {resumed_from}" if resumed_from else "starting"
            print(
                f"{what}: {train_state.max_steps} steps, {len(data.train)} training rows"
                f"{' (packed)' if data.packed else ''}, {trainable:,} of {total_params:,} parameters trainable, "
                f"{precision.device} {'bf16' if precision.bf16 else 'fp16' if precision.fp16 else 'fp32'}",
                file=sys.stderr,
                flush=True,
            )

    events.on_train_begin_hook = on_begin
    trainer.train(resume_from_checkpoint=checkpoint)
    step = trainer.state.global_step
    state["step"] = step

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

    trainer.save_model(str(output_dir))  # adapter (or full model) + tokenizer, ready for chat/merge
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


def _tokenizing_progress():
    """A throttled `tokenizing N/M` line on stderr while preprocessing runs (large datasets take a while)."""
    last = [0.0]

    def report(done: int, total: int) -> None:
        now = time.time()
        if now - last[0] >= 2 or done >= total:
            last[0] = now
            print(
                f"\rtokenizing {done}/{total} examples",
                end="\n" if done >= total else "",
                file=sys.stderr,
                flush=True,
            )

    return report


def _checkpoint_step(checkpoint: str | None) -> int:
    if not checkpoint:
        return 0
    try:
        return int(json.loads((Path(checkpoint) / "trainer_state.json").read_text())["global_step"])
    except (OSError, KeyError, ValueError):
        return 0
