"""The training recipe, top to bottom: load, data, model, trainer, run, end (`endings.finish_run`).

`train(run)` calls one function per phase, in that order; each returns a typed record the next phases read
(the `run_started` event the run phase writes is built in run_started.py).
The order is part of the contract: everything a user can get wrong (checkpoint, lora_model_dir, an empty
dataset, eval_assertions) is checked before the model loads. `runner.run_training` wraps this in the run's
guards (secrets in the environment, signal stop, the terminal event).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ftui.core.errors import UserError
from ftui.core.events import EventWriter
from ftui.core.train.data import TrainData
from ftui.core.train.endings import RunProgress, RunResult, finish_run
from ftui.core.train.kernels import LossPlan
from ftui.core.train.settings import TrainSettings

if TYPE_CHECKING:
    from ftui.core.models.source import ModelSource
    from ftui.core.preference.methods import PreferenceSettings
    from ftui.core.tracking import TrackingPlan
    from ftui.core.train.callbacks import EventCallback, RunOutcome
    from ftui.core.train.hub_sync import HubSync
    from ftui.core.train.loading import Precision
    from ftui.core.train.signals import SignalStopCallback


@dataclass
class Run:
    """What every phase reads: the config, its settings, where events go and this process's place."""

    config: Any  # FtuiConfig
    settings: TrainSettings
    writer: EventWriter
    progress: RunProgress  # how far the run got, for a crash's `failed` event
    tracking: TrackingPlan
    outcome: RunOutcome
    stopper: SignalStopCallback
    resume: bool
    quiet: bool
    rank: int
    world_size: int

    @property
    def prints(self) -> bool:
        """Whether this process prints progress (rank 0, not --quiet)."""
        return not self.quiet and self.rank == 0


@dataclass
class Loaded:
    """The load phase: where training starts from and the pieces every later phase needs."""

    checkpoint: str | None  # resume from here
    start_adapter: Path | None  # lora_model_dir
    precision: Precision
    source: ModelSource
    tokenizer: Any
    pref: PreferenceSettings | None  # None: supervised fine-tuning


@dataclass
class Model:
    """The model phase: the model to train (adapter applied), a frozen reference copy, the loss."""

    model: Any
    ref_model: Any
    loss: LossPlan
    trainable: int
    total_params: int


@dataclass
class Built:
    """The trainer phase: the Trainer with ftui's callbacks and what `run_started` reports."""

    trainer: Any
    events: EventCallback
    sync: HubSync | None
    steps_per_epoch: int
    estimate: dict[str, Any]


def train(run: Run) -> RunResult:
    """One run, phase by phase."""
    started = time.time()
    loaded = load(run)
    data, assertion = load_data(run, loaded)
    model = load_model(run, loaded)
    built = build(run, loaded, data, model, assertion)
    run_trainer(run, built, loaded, data, model)
    return finish_run(  # end: save the model, write the terminal event
        built.trainer,
        run.outcome,
        run.writer,
        run.settings,
        rank=run.rank,
        quiet=run.quiet,
        started=started,
        on_saved=built.sync.finish if built.sync is not None else None,
    )


def load(run: Run) -> Loaded:
    """Checks that need nothing loaded (shared output_dir, checkpoint, lora_model_dir), seed, precision,
    the base model's source and the tokenizer."""
    from ftui.core.preference.methods import preference_settings
    from ftui.core.train import loading
    from ftui.core.train.adapter_start import start_adapter_dir
    from ftui.core.train.checkpoints import clean_partial, resume_checkpoint
    from ftui.core.train.heartbeat import check_shared_output, multi_node, write_heartbeat
    from transformers import set_seed

    settings, output_dir = run.settings, run.settings.output_path
    write_heartbeat(output_dir, run.rank, run.world_size, "loading")
    if multi_node():  # before any checkpoint is looked for: every node must see the same output_dir
        import torch

        check_shared_output(output_dir, run.rank, run.world_size, cpu=not torch.cuda.is_available())
    if run.rank == 0:
        clean_partial(output_dir)
    checkpoint = resume_checkpoint(settings, run.resume)
    start_adapter = start_adapter_dir(settings)  # lora_model_dir: checked before anything loads
    set_seed(settings.seed)
    precision = loading.detect_precision(settings)
    source = loading.resolve_base(settings)
    tokenizer = loading.load_tokenizer_for(run.config)
    pref = preference_settings(run.config)
    return Loaded(checkpoint, start_adapter, precision, source, tokenizer, pref)


def load_data(run: Run, loaded: Loaded) -> tuple[TrainData, Callable[..., Any] | None]:
    """The tokenized training data (preference rows for `rl:`) and the eval_assertions function."""
    from ftui.core.preference import run as preference
    from ftui.core.train.data import load_train_data, tokenizing_progress
    from ftui.core.train.evaluation import load_assertion

    settings = run.settings
    if loaded.pref is not None:
        data = preference.train_data(run.config, loaded.tokenizer, loaded.pref, not run.prints)
    else:
        progress = tokenizing_progress() if run.prints else None
        data = load_train_data(settings, run.config, loaded.tokenizer, progress=progress)
    if not data.train:
        raise UserError(
            "the training set is empty after preprocessing", hint="check datasets and val_set_size"
        )
    assertion = (
        load_assertion(settings.eval_assertions, settings.config_dir) if settings.eval_assertions else None
    )
    return data, assertion


def load_model(run: Run, loaded: Loaded) -> Model:
    """The base model (embeddings fitted to the tokenizer, Liger kernels), the adapter, the loss plan and,
    for preference methods that need one, the frozen reference copy."""
    from ftui.core.preference import run as preference
    from ftui.core.train import loading
    from ftui.core.train.adapter_start import shape_mismatch
    from ftui.core.train.cpu_memory import keep_cpu_peak_low
    from ftui.core.train.kernels import apply_liger, loss_plan

    settings, precision, writer = run.settings, loaded.precision, run.writer
    if precision.device == "cpu" and (settings.bf16 is True or settings.fp16 is True):
        message = "bf16/fp16 requested but there is no GPU: training in fp32 on CPU"
        writer.emit("warning", kind="config", message=message)
    model = loading.load_base_model(settings, loaded.source, precision)
    if precision.device == "cpu":
        keep_cpu_peak_low(model)  # one shared float attention mask, large tensors mmapped (cpu_memory)
    if loading.fit_embeddings(model, loaded.tokenizer):
        message = f"embeddings resized to {len(loaded.tokenizer)} tokens (added tokens)"
        writer.emit("warning", kind="config", message=message)
    apply_liger(model, settings.raw)  # before the adapter: liger patches the base model's modules
    if loaded.start_adapter is not None and (mismatch := shape_mismatch(settings, loaded.start_adapter)):
        writer.emit("warning", kind="config", message=mismatch)
    model = loading.apply_adapter(model, settings, loaded.start_adapter)
    pref = loaded.pref
    loss = loss_plan(settings.raw, cuda=precision.device == "cuda", preference=pref is not None)
    ref_model = None
    if pref is not None and preference.needs_reference_copy(pref, settings):
        ref_model = preference.reference_model(settings, loaded.source, precision)
    trainable, total_params = loading.count_parameters(model)
    return Model(model, ref_model, loss, trainable, total_params)


def build(
    run: Run, loaded: Loaded, data: TrainData, model: Model, assertion: Callable[..., Any] | None
) -> Built:
    """The run's files (rank 0), TrainingArguments, the trackers, the Trainer and the Hub pusher."""
    from ftui.core.preference import run as preference
    from ftui.core.tracking import trainer_arguments
    from ftui.core.train.arguments import count_steps, every
    from ftui.core.train.hub_sync import hub_sync_for
    from ftui.core.train.run_files import memory_estimate, write_run_files
    from ftui.core.train.tracker_logging import prepare_trackers
    from ftui.core.train.trainer_setup import TrainerInputs, build_trainer, build_training_arguments

    settings, config, rank = run.settings, run.config, run.rank
    per_epoch, total_steps = count_steps(settings, len(data.train), run.world_size)
    has_eval = bool(data.eval)
    eval_steps = every(per_epoch, settings.evals_per_epoch or 1, settings.eval_steps) if has_eval else None
    estimate = run.progress.estimate = memory_estimate(config)
    if rank == 0:
        write_run_files(
            settings, config, loaded.tokenizer, loaded.source, estimate, loaded.precision, run.world_size
        )
    args = build_training_arguments(
        settings,
        loaded.precision,
        world_size=run.world_size,
        total_steps=total_steps,
        eval_steps=eval_steps,
        save_steps=every(per_epoch, settings.saves_per_epoch, settings.save_steps),
        eval_on_start=bool(has_eval and assertion is not None and loaded.checkpoint is None),
        tracking=trainer_arguments(run.tracking, config, rank),
    )
    if rank == 0:
        prepare_trackers(run.tracking)
    inputs = TrainerInputs(
        settings, model.model, args, loaded.tokenizer, data, assertion, run.writer, run.outcome,
        run.stopper, run.world_size, rank, run.quiet, model.loss,
    )  # fmt: skip
    if loaded.pref is None:
        trainer, events = build_trainer(inputs)
    else:
        trainer, events = preference.build_preference_trainer(inputs, loaded.pref, model.ref_model)
    run.progress.trainer = trainer
    sync = hub_sync_for(config, settings.output_path, run.writer, rank, run.quiet)
    if sync is not None:  # hub_model_id: checkpoints (hub_strategy) and the final model go to the Hub
        sync.follow_checkpoints(trainer)
    return Built(trainer, events, sync, per_epoch, estimate)


def run_trainer(run: Run, built: Built, loaded: Loaded, data: TrainData, model: Model) -> None:
    """`trainer.train()`, with `run_started` written when the Trainer begins."""
    from contextlib import nullcontext

    from ftui.core.train.cpu_memory import native_gqa
    from ftui.core.train.run_started import announce
    from ftui.core.train.tracker_logging import finish_trackers

    def on_begin(state: Any) -> None:
        announce(run, built, loaded, data, model, state.max_steps)

    built.events.on_train_begin_hook = on_begin
    on_cpu = loaded.precision.device == "cpu"
    try:
        with native_gqa() if on_cpu else nullcontext():  # SDPA keeps k/v heads unrepeated (cpu_memory)
            built.trainer.train(resume_from_checkpoint=loaded.checkpoint)
    finally:
        finish_trackers(built.trainer)  # the trackers' files are complete whether training ended or raised
    run.progress.step = built.trainer.state.global_step
