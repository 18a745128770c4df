"""transformers TrainingArguments from ftui's settings: step counts, eval/save cadence, FSDP/DeepSpeed."""

from __future__ import annotations

import math
from typing import Any

from ftui.core.errors import UserError
from ftui.core.train.settings import TrainSettings


def count_steps(settings: TrainSettings, n_train: int, world_size: int) -> tuple[int, int]:
    """(steps_per_epoch, total_steps) as the Trainer will count them."""
    batches = math.ceil(n_train / (settings.micro_batch_size * world_size))
    per_epoch = max(batches // settings.gradient_accumulation_steps, 1)
    total = (
        settings.max_steps
        if settings.max_steps and settings.max_steps > 0
        else math.ceil(settings.num_epochs * per_epoch)
    )
    return per_epoch, total


def every(per_epoch: int, times: int | None, explicit: float | None) -> float | None:
    """Steps between evals/saves: an explicit count, a fraction (< 1) of the run as transformers reads it,
    or `per_epoch / times`."""
    if explicit:
        return float(explicit) if explicit < 1 else int(explicit)
    if times:
        return max(per_epoch // int(times), 1)
    return None


def training_arguments(**kwargs: Any) -> Any:
    """TrainingArguments; its ValueErrors (bad optimizer, scheduler, precision) are the user's to fix."""
    from transformers import TrainingArguments

    # Every checkpoint pickles the arguments (training_args.bin): a hub token travels as HF_TOKEN instead
    # (core/config/secrets.py), never as an argument.
    kwargs.pop("hub_token", None)
    try:
        return TrainingArguments(**kwargs)
    except (ValueError, ImportError) as err:
        raise UserError(
            f"invalid training settings: {err}",
            hint="check optimizer, lr_scheduler, bf16/fp16 and the fsdp/deepspeed keys in the config",
        ) from None


def parallel_args(settings: TrainSettings) -> dict[str, Any]:
    """FSDP / DeepSpeed settings for the Trainer (the launcher sets up the processes)."""
    out: dict[str, Any] = {}
    if settings.deepspeed:
        path = settings.resolve_path(settings.deepspeed) if isinstance(settings.deepspeed, str) else None
        out["deepspeed"] = str(path) if path else settings.deepspeed
    if settings.fsdp:
        out["fsdp"] = " ".join(settings.fsdp) if isinstance(settings.fsdp, list) else settings.fsdp
        if settings.fsdp_config:
            out["fsdp_config"] = settings.fsdp_config
    return out
