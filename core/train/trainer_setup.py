"""Building the transformers Trainer for a run: its TrainingArguments, collator and ftui's callbacks.

Everything here is wiring; the run lifecycle (loading, terminal events) lives in `runner` and `endings`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ftui.core.events import EventWriter
from ftui.core.train.data import TrainData
from ftui.core.train.kernels import LossPlan
from ftui.core.train.settings import TrainSettings

if TYPE_CHECKING:
    from ftui.core.train.callbacks import EventCallback, RunOutcome
    from ftui.core.train.evaluation import EvalEventCallback
    from ftui.core.train.signals import SignalStopCallback


@dataclass
class TrainerInputs:
    """What a trainer is built from, SFT's (`build_trainer`) and preference's
    (core/preference/run.py `build_preference_trainer`) alike."""

    settings: TrainSettings
    model: Any
    args: Any  # transformers.TrainingArguments
    tokenizer: Any
    data: TrainData
    assertion: Callable[..., Any] | None  # eval_assertions' function
    writer: EventWriter
    outcome: RunOutcome
    stopper: SignalStopCallback
    world_size: int
    rank: int
    quiet: bool
    loss: LossPlan = field(default_factory=lambda: LossPlan(None, "plain"))


def build_training_arguments(
    settings: TrainSettings,
    precision: Any,
    *,
    world_size: int,
    total_steps: int,
    eval_steps: float | None,
    save_steps: float | None,
    eval_on_start: bool,
    tracking: dict[str, Any] | None = None,
) -> Any:
    """TrainingArguments for ftui's settings; logging and checkpoint rotation are left to ftui's callbacks.
    `tracking` is core.tracking.trainer_arguments (report_to, run_name: rank 0 logs to the trackers)."""
    from ftui.core.train.arguments import parallel_args, training_arguments

    return training_arguments(
        output_dir=str(settings.output_path),
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
        eval_on_start=eval_on_start,
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
        disable_tqdm=True,
        remove_unused_columns=False,
        dataloader_num_workers=0,
        save_only_model=False,
        **parallel_args(settings),
        **(tracking or {"report_to": "none"}),
    )


def flash_attention(model: Any) -> bool:
    """Whether the loaded model runs a FlashAttention kernel (transformers' own or a hub kernel), which
    needs packed rows flattened into one row to keep the examples apart."""
    from ftui.core.train.fused_head import causal_lm

    name = str(getattr(causal_lm(model).config, "_attn_implementation", "") or "")
    return name.startswith("flash_attention") or ("/" in name and "flash" in name)


def ftui_callbacks(
    inputs: TrainerInputs, counter: Any, extra_metrics: Callable[..., dict[str, Any]] | None = None
) -> tuple[EventCallback, EvalEventCallback, list[Any]]:
    """(event callback, eval callback, all callbacks): ftui's event, eval, watchdog, early-stopping, signal
    (and on several processes heartbeat) callbacks in place of transformers' own printers."""
    from ftui.core.train.callbacks import EarlyStoppingCallback, EventCallback, WatchdogCallback
    from ftui.core.train.evaluation import EvalEventCallback
    from ftui.core.train.heartbeat import heartbeat_callback

    settings, writer, outcome = inputs.settings, inputs.writer, inputs.outcome
    events = EventCallback(
        writer, counter, outcome, world_size=inputs.world_size, quiet=inputs.quiet or inputs.rank != 0
    )
    evals = EvalEventCallback(
        writer,
        outcome,
        inputs.tokenizer,
        inputs.data.eval_prompts,
        inputs.assertion,
        settings.eval_table_size,
        settings.eval_max_new_tokens,
        quiet=inputs.quiet,
    )
    if extra_metrics is not None:
        events.extra_metrics = extra_metrics
        evals.extra_metrics = lambda metrics: extra_metrics(metrics, "eval_")
    callbacks = [
        events,
        evals,
        WatchdogCallback(writer, outcome, settings.loss_watchdog_threshold, settings.loss_watchdog_patience),
        EarlyStoppingCallback(outcome, settings.early_stopping_patience),
        inputs.stopper,
        *(
            [heartbeat_callback(settings.output_path, inputs.rank, inputs.world_size)]
            if inputs.world_size > 1
            else []
        ),
    ]
    return events, evals, callbacks


def wire_trainer(trainer: Any, inputs: TrainerInputs, counter: Any, evals: EvalEventCallback) -> None:
    """What ftui adds to a built trainer: its token counter, checkpoint rotation and `checkpoint` events,
    the eval pass rate sent to the trackers, and no transformers progress printers."""
    from ftui.core.train.tracker_logging import log_eval_extras
    from transformers.trainer_callback import PrinterCallback, ProgressCallback

    trainer.ftui_counter = counter
    trainer.remove_callback(PrinterCallback)  # ftui prints its own progress line and events
    trainer.remove_callback(ProgressCallback)
    trainer.ftui_save_total_limit = inputs.settings.save_total_limit
    evals.on_report = lambda report, step: log_eval_extras(trainer, report, step)  # pass rate to trackers
    outcome, writer = inputs.outcome, inputs.writer

    def on_checkpoint(step: int, path: str) -> None:
        outcome.last_checkpoint = path
        writer.emit("checkpoint", step=step, path=path)

    trainer.ftui_on_checkpoint = on_checkpoint


def build_trainer(inputs: TrainerInputs) -> tuple[Any, EventCallback]:
    """(trainer, event callback): an atomic-checkpoint Trainer with ftui's callbacks; with a fused `loss`
    plan the LM head and the loss run as one chunked step (core/train/fused_head.py)."""
    from ftui.core.train.checkpoints import atomic_trainer_class
    from ftui.core.train.data import Collator, TokenCounter

    settings, model, loss = inputs.settings, inputs.model, inputs.loss
    counter = TokenCounter()
    collator = Collator(
        pad_id=inputs.tokenizer.pad_token_id,
        pad_to=settings.sequence_len if settings.pad_to_sequence_len else None,
        flatten=settings.sample_packing and flash_attention(model),
    )
    events, evals, callbacks = ftui_callbacks(inputs, counter)
    trainer_class = atomic_trainer_class()
    fused_head = None
    if loss.fused:
        from ftui.core.train.fused_head import fused_trainer_class, install_fused_loss

        fused_head = install_fused_loss(model, loss.impl, loss.key or "fused loss", loss.num_chunks)
        trainer_class = fused_trainer_class(trainer_class)
    trainer = trainer_class(
        model=model,
        args=inputs.args,
        train_dataset=inputs.data.train,
        eval_dataset=inputs.data.eval or None,
        data_collator=collator,
        processing_class=inputs.tokenizer,
        callbacks=callbacks,
    )
    if fused_head is not None:
        trainer.ftui_fused_head = fused_head
    wire_trainer(trainer, inputs, counter, evals)
    return trainer, events
