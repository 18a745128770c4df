"""The preference parts of a training run (the runner calls these when the config has `rl:`): the data,
the reference model, the TRL arguments and the trainer with ftui's callbacks, and the metric keys."""

from __future__ import annotations

import random
import sys
from typing import Any

from ftui.core.preference.methods import PreferenceSettings
from ftui.core.train.settings import TrainSettings
from ftui.core.train.trainer_setup import TrainerInputs


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
    inputs: TrainerInputs, pref: PreferenceSettings, ref_model: Any = None
) -> tuple[Any, Any]:
    """(trainer, event callback) as `trainer_setup.build_trainer`, with the method's TRL trainer. A fused
    cross-entropy plan (`loss`) is SFT's: TRL's preference trainers compute their log-probs themselves."""
    from ftui.core.preference.trainers import (
        PreferenceCounter,
        flat_metrics,
        preference_arguments,
        trainer_class,
    )
    from ftui.core.train.trainer_setup import ftui_callbacks, wire_trainer

    counter = PreferenceCounter()
    events, evals, callbacks = ftui_callbacks(inputs, counter, extra_metrics=flat_metrics)
    kwargs: dict[str, Any] = {
        "model": inputs.model,
        "args": preference_arguments(inputs.args, pref),
        "train_dataset": inputs.data.train,
        "eval_dataset": inputs.data.eval or None,
        "processing_class": inputs.tokenizer,
        "callbacks": callbacks,
    }
    if pref.info.trainer in ("dpo", "kto"):
        kwargs["ref_model"] = ref_model
    trainer = trainer_class(pref.info.trainer)(**kwargs)
    wire_trainer(trainer, inputs, counter, evals)
    loss = inputs.loss
    if loss.fused:
        inputs.writer.emit(
            "warning",
            kind="config",
            message=f"{loss.key or 'fused cross-entropy'} applies to SFT; {pref.info.label} computes its "
            "log-probs with TRL's own (fused) LM head",
        )
    return trainer, events
