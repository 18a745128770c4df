"""The `run_started` event and the console's first line: what is trained, on what, and for how long.

Written when the Trainer begins (recipe.run_trainer hooks it in), from the records the recipe's phases made.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

from ftui.core.train.settings import config_to_dict, redact

if TYPE_CHECKING:
    from ftui.core.train.data import TrainData
    from ftui.core.train.recipe import Built, Loaded, Model, Run


def announce(run: Run, built: Built, loaded: Loaded, data: TrainData, model: Model, total_steps: int) -> None:
    """The `run_started` event (and the console's first line): what is trained, on what, how long."""
    from ftui.core.runs.liveness import process_identity
    from ftui.core.train.checkpoints import checkpoint_step
    from ftui.core.train.tracker_logging import tracker_places

    pref, precision, sync = loaded.pref, loaded.precision, built.sync
    resumed_from = checkpoint_step(loaded.checkpoint)
    precision_name = "bf16" if precision.bf16 else "fp16" if precision.fp16 else "fp32"
    run.writer.emit(
        "run_started",
        run_id=run.settings.output_path.name,
        method=pref.method if pref is not None else "sft",
        **({"preference": pref.as_dict()} if pref is not None else {}),
        config=redact(config_to_dict(run.config)),
        estimate=built.estimate,
        world_size=run.world_size,
        device=precision.device,
        device_name=precision.device_name,
        precision=precision_name,
        loss_impl=model.loss.loss_impl,
        total_steps=total_steps,
        num_epochs=run.settings.num_epochs,
        steps_per_epoch=built.steps_per_epoch,
        resumed_from_step=resumed_from,
        **process_identity(os.getpid()),
        train_examples=len(data.train),
        eval_examples=len(data.eval),
        packed=data.packed,
        trainable_params=model.trainable,
        total_params=model.total_params,
        trackers=tracker_places(built.trainer, run.tracking),
        hub=sync.describe() if sync is not None else None,
    )
    if sync is not None:
        sync.announce()
    if model.loss.note:
        run.writer.emit("warning", kind="config", message=model.loss.note)
    if run.prints:
        what = f"resuming from step {resumed_from}" if resumed_from else "starting"
        print(
            f"{what}: {total_steps} steps, {len(data.train)} training rows"
            f"{' (packed)' if data.packed else ''}, {model.trainable:,} of {model.total_params:,} parameters "
            f"trainable, {precision.device} {precision_name}",
            file=sys.stderr,
            flush=True,
        )
