"""The preference parts of a training run (the runner calls these when the config has `rl:`): the data,
the reference model, the TRL arguments and the trainer with ftui's callbacks, and the metric keys."""

from __future__ import annotations

import random
import sys
from typing import Any

from ftui.core.events import EventWriter
from ftui.core.preference.methods import PreferenceSettings
from ftui.core.train.settings import TrainSettings


def train_data(config: Any, tokenizer: Any, pref: PreferenceSettings, quiet: bool) -> Any:
    """TrainData of pre-tokenized preference rows; eval prompts (for eval_assertions) are the eval
    examples' prompts with their chosen answers."""
    from ftui.core.preference.dataset import load_preference_data
    from ftui.core.preference.trainers import to_dataset
    from ftui.core.train.data import TrainData

    data = load_preference_data(config, tokenizer)
    if not quiet and (data.dropped_long or data.truncated or data.bad_rows):
        print(
            f"preference data: {len(data.train)} train / {len(data.eval)} eval examples; "
            f"{data.dropped_long} longer than sequence_len left out, {data.truncated} truncated, "
            f"{data.bad_rows} bad rows skipped",
            file=sys.stderr,
        )
    train = list(data.train)
    if pref.method == "kto":  # TRL pairs KL completions within fixed-order batches: shuffle once, here
        random.Random(config.seed).shuffle(train)
    prompts = [
        {"prompt_ids": t.prompt_ids, "expected_ids": t.chosen_ids} for t in data.eval if t.label is not False
    ]
    return TrainData(
        train=to_dataset(train),
        eval=to_dataset(data.eval) if data.eval else [],
        eval_prompts=prompts,
        packed=False,
    )


def needs_reference_copy(pref: PreferenceSettings, settings: TrainSettings) -> bool:
    """A second model copy: methods with a reference, full fine-tune (LoRA switches the adapter off instead),
    unless the reference log-probs are computed once before training."""
    return pref.uses_reference and settings.adapter is None and not pref.precompute_ref_log_probs


def reference_model(settings: TrainSettings, source: Any, precision: Any) -> Any:
    from ftui.core.train import loading

    model = loading.load_base_model(settings, source, precision)
    model.eval()
    for param in model.parameters():
        param.requires_grad_(False)
    return model


def build_preference_trainer(
    settings: TrainSettings,
    pref: PreferenceSettings,
    *,
    model: Any,
    ref_model: Any,
    args: Any,
    tokenizer: Any,
    data: Any,
    assertion: Any,
    writer: EventWriter,
    outcome: Any,
    stopper: Any,
    world_size: int,
    rank: int,
    quiet: bool,
    loss: Any = None,
) -> tuple[Any, Any]:
    """(trainer, event callback) as `trainer_setup.build_trainer`, with the method's TRL trainer. A fused
    cross-entropy plan (`loss`) is SFT's: TRL's preference trainers compute their log-probs themselves."""
    from ftui.core.preference.trainers import (
        PreferenceCounter,
        flat_metrics,
        preference_arguments,
        trainer_class,
    )
    from ftui.core.train.callbacks import EarlyStoppingCallback, EventCallback, WatchdogCallback
    from ftui.core.train.evaluation import EvalEventCallback
    from ftui.core.train.heartbeat import heartbeat_callback
    from transformers.trainer_callback import PrinterCallback, ProgressCallback

    counter = PreferenceCounter()
    events = EventCallback(writer, counter, outcome, world_size=world_size, quiet=quiet or rank != 0)
    events.extra_metrics = flat_metrics
    evals = EvalEventCallback(
        writer,
        outcome,
        tokenizer,
        data.eval_prompts,
        assertion,
        settings.eval_table_size,
        settings.eval_max_new_tokens,
        quiet=quiet,
    )
    evals.extra_metrics = lambda metrics: flat_metrics(metrics, "eval_")
    callbacks = [
        events,
        evals,
        WatchdogCallback(writer, outcome, settings.loss_watchdog_threshold, settings.loss_watchdog_patience),
        EarlyStoppingCallback(outcome, settings.early_stopping_patience),
        stopper,
        *([heartbeat_callback(settings.output_path, rank, world_size)] if world_size > 1 else []),
    ]
    kwargs: dict[str, Any] = {
        "model": model,
        "args": preference_arguments(args, pref),
        "train_dataset": data.train,
        "eval_dataset": data.eval or None,
        "processing_class": tokenizer,
        "callbacks": callbacks,
    }
    if pref.info.trainer in ("dpo", "kto"):
        kwargs["ref_model"] = ref_model
    trainer = trainer_class(pref.info.trainer)(**kwargs)
    trainer.ftui_counter = counter
    trainer.remove_callback(PrinterCallback)
    trainer.remove_callback(ProgressCallback)
    trainer.ftui_save_total_limit = settings.save_total_limit

    def on_checkpoint(step: int, path: str) -> None:
        outcome.last_checkpoint = path
        writer.emit("checkpoint", step=step, path=path)

    trainer.ftui_on_checkpoint = on_checkpoint
    from ftui.core.train.tracker_logging import log_eval_extras

    evals.on_report = lambda report, step: log_eval_extras(trainer, report, step)  # pass rate to trackers
    if loss is not None and getattr(loss, "fused", False):
        writer.emit(
            "warning",
            kind="config",
            message=f"{loss.key or 'fused cross-entropy'} applies to SFT; {pref.info.label} computes its "
            "log-probs with TRL's own (fused) LM head",
        )
    return trainer, events


def trainer_builder(pref: PreferenceSettings, ref_model: Any) -> Any:
    """`build_trainer`'s signature for the runner, bound to this method and reference model."""

    def build(settings: TrainSettings, **kwargs: Any) -> tuple[Any, Any]:
        return build_preference_trainer(settings, pref, ref_model=ref_model, **kwargs)

    return build
