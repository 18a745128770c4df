"""`run_training`: one training run from a config, start to a terminal event (finished/stopped/failed).

This is the process the TUI spawns and monitors. It loads model and data, wires the transformers Trainer
to ftui's callbacks (`trainer_setup`: events, watchdog, signals, atomic checkpoints), and always ends the
event stream with a terminal event (`endings`), so a monitor can tell a finished run from a crashed one.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from pathlib import Path
from typing import Any

from ftui.core.errors import UserError
from ftui.core.events import EventWriter
from ftui.core.train.adapter_start import shape_mismatch, start_adapter_dir
from ftui.core.train.callbacks import StopBeforeTraining
from ftui.core.train.checkpoints import resume_checkpoint
from ftui.core.train.endings import OOM_SUGGESTIONS, RunResult, emit_crash
from ftui.core.train.settings import TrainSettings, config_to_dict, redact

# Names callers import from here (the runner was one module before it was split).
__all__ = ["OOM_SUGGESTIONS", "RunResult", "_emit_crash", "dist_info", "resume_checkpoint", "run_training"]
_emit_crash = emit_crash


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
    from ftui.core.config.check import config_unsupported, unsupported_error

    refusal = unsupported_error(config_unsupported(config))
    if refusal is not None:
        raise refusal  # nothing is loaded or written for a config ftui cannot train
    refuse_liger_here(config)
    from ftui.core.tracking import check_installed

    check_installed(config)  # a tracker asked for but not installed: one message, before any loading
    from ftui.core.config.secrets import secrets_of

    secrets = secrets_of(config)
    settings = TrainSettings.from_config(config, config_dir)
    if max_steps is not None:
        settings.max_steps = max_steps
    rank, world_size = dist_info()
    output_dir = settings.output_path
    from ftui.core.paths import refuse_package_write
    from ftui.core.preprocess.store import prepared_root

    refuse_package_write(output_dir, "output_dir")
    refuse_package_write(prepared_root(config), "dataset_prepared_path")
    output_dir.mkdir(parents=True, exist_ok=True)
    from ftui.core.train.write_errors import file_size_limit_as_error

    file_size_limit_as_error()  # under `ulimit -f` a write fails with a message instead of a core dump
    writer = EventWriter(output_dir, enabled=rank == 0, secrets=tuple(secrets.values()))
    state: dict[str, Any] = {"step": None, "trainer": None}
    from ftui.core.train.heartbeat import write_heartbeat

    try:
        try:
            result = _train(settings, config, writer, state, resume, quiet, rank, world_size)
        except Exception as err:  # a write the disk refused anywhere in the run: one message, no traceback
            from ftui.core.train.write_errors import run_write_failure

            if (failure := run_write_failure(err, output_dir)) is None:
                raise
            raise failure from err
        write_heartbeat(output_dir, rank, world_size, result.status, keep=True)
        return result
    except UserError as err:
        write_heartbeat(output_dir, rank, world_size, "failed", keep=True, message=err.message)
        with contextlib.suppress(OSError):  # a full disk may refuse this line too; the console has it
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
        write_heartbeat(output_dir, rank, world_size, "failed", keep=True, message=repr(err)[:200])
        emit_crash(writer, err, state)
        raise
    finally:
        with contextlib.suppress(OSError):  # a line the full disk refused cannot be flushed at close either
            writer.close()


def refuse_liger_here(config: Any) -> None:
    """Liger kernels asked for on a machine that cannot run them: one line, before anything loads."""
    import torch
    from ftui.core.train.kernels import liger_refusal

    line = liger_refusal(config_to_dict(config), cuda=torch.cuda.is_available())
    if line is not None:
        raise UserError(line, hint="`ftui check CONFIG` says the same before a run")


def ensure_config(config: Any, config_dir: str | Path | None) -> Any:
    """A validated FtuiConfig (preprocessing needs one); dicts are validated here."""
    if isinstance(config, dict):
        import json

        from ftui.core.config import parse_config

        loaded = parse_config(json.dumps(config), source="<dict>", base_dir=Path(config_dir or "."))
        return loaded.config
    return config


def _train(settings, config, writer, state, resume, quiet, rank, world_size) -> RunResult:
    from ftui.core.train.callbacks import RunOutcome, SignalStopCallback

    outcome = RunOutcome()
    stopper = SignalStopCallback(outcome)
    stopper.install()  # from here on a signal is a clean stop (at once while loading, else after the step)
    from ftui.core.config.secrets import secret_env
    from ftui.core.tracking import scoped_env, tracking_plan

    secret_vars = secret_env(config)  # the config's secrets reach the libraries through the environment only
    plan = tracking_plan(config, settings.output_path, {**os.environ, **secret_vars})
    state["tracking"] = plan
    try:
        # What the hub, the model loaders and the trackers' integrations read, for this run only.
        with scoped_env({**secret_vars, **plan.env}):
            return _train_with(
                settings, config, writer, state, resume, quiet, rank, world_size, outcome, stopper
            )
    finally:
        stopper.uninstall()


def _train_with(
    settings, config, writer, state, resume, quiet, rank, world_size, outcome, stopper
) -> RunResult:
    from ftui.core.preference import run as preference
    from ftui.core.preference.methods import preference_settings
    from ftui.core.tracking import trainer_arguments
    from ftui.core.train import loading
    from ftui.core.train.arguments import count_steps, every
    from ftui.core.train.checkpoints import checkpoint_step, clean_partial
    from ftui.core.train.data import load_train_data, tokenizing_progress
    from ftui.core.train.endings import finish_run
    from ftui.core.train.evaluation import load_assertion
    from ftui.core.train.heartbeat import check_shared_output, multi_node, write_heartbeat
    from ftui.core.train.run_files import memory_estimate, write_run_files
    from ftui.core.train.tracker_logging import finish_trackers, tracker_places
    from ftui.core.train.trainer_setup import build_trainer, build_training_arguments
    from transformers import set_seed

    started = time.time()
    output_dir = settings.output_path
    write_heartbeat(output_dir, rank, world_size, "loading")
    if multi_node():  # before any checkpoint is looked for: every node must see the same output_dir
        import torch

        check_shared_output(output_dir, rank, world_size, cpu=not torch.cuda.is_available())
    if rank == 0:
        clean_partial(output_dir)
    checkpoint = resume_checkpoint(settings, resume)
    start_adapter = start_adapter_dir(settings)  # lora_model_dir: checked before anything loads
    set_seed(settings.seed)
    precision = loading.detect_precision(settings)
    source = loading.resolve_base(settings)
    tokenizer = loading.load_tokenizer_for(config)
    pref = preference_settings(config)  # None: supervised fine-tuning
    if pref is not None:
        data = preference.train_data(config, tokenizer, pref, quiet or rank != 0)
    else:
        data = load_train_data(
            settings, config, tokenizer, progress=None if quiet or rank != 0 else tokenizing_progress()
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
    from ftui.core.train.kernels import apply_liger, loss_plan

    apply_liger(model, settings.raw)  # before the adapter: liger patches the base model's modules
    if start_adapter is not None and (mismatch := shape_mismatch(settings, start_adapter)):
        writer.emit("warning", kind="config", message=mismatch)
    model = loading.apply_adapter(model, settings, start_adapter)
    loss = loss_plan(settings.raw, cuda=precision.device == "cuda", preference=pref is not None)
    ref_model = None
    if pref is not None and preference.needs_reference_copy(pref, settings):
        ref_model = preference.reference_model(settings, source, precision)
    trainable, total_params = loading.count_parameters(model)
    per_epoch, total_steps = count_steps(settings, len(data.train), world_size)
    has_eval = bool(data.eval)
    eval_steps = every(per_epoch, settings.evals_per_epoch or 1, settings.eval_steps) if has_eval else None
    save_steps = every(per_epoch, settings.saves_per_epoch, settings.save_steps)
    estimate = memory_estimate(config)
    state["estimate"] = estimate
    if rank == 0:
        write_run_files(settings, config, tokenizer, source, estimate, precision, world_size)

    args = build_training_arguments(
        settings,
        precision,
        world_size=world_size,
        total_steps=total_steps,
        eval_steps=eval_steps,
        save_steps=save_steps,
        eval_on_start=bool(has_eval and assertion is not None and checkpoint is None),
        tracking=trainer_arguments(state["tracking"], config, rank),
    )
    if rank == 0:
        from ftui.core.train.tracker_logging import prepare_trackers

        prepare_trackers(state["tracking"])
    trainer, events = (build_trainer if pref is None else preference.trainer_builder(pref, ref_model))(
        settings,
        model=model,
        args=args,
        tokenizer=tokenizer,
        data=data,
        assertion=assertion,
        writer=writer,
        outcome=outcome,
        stopper=stopper,
        world_size=world_size,
        rank=rank,
        quiet=quiet,
        loss=loss,
    )
    state["trainer"] = trainer
    from ftui.core.train.hub_sync import hub_sync_for

    sync = hub_sync_for(config, output_dir, writer, rank, quiet)
    if sync is not None:  # hub_model_id: checkpoints (hub_strategy) and the final model go to the Hub
        emit_checkpoint = trainer.ftui_on_checkpoint

        def on_checkpoint(step: int, path: str) -> None:
            emit_checkpoint(step, path)
            sync.on_checkpoint(step, path)

        trainer.ftui_on_checkpoint = on_checkpoint
    resumed_from = checkpoint_step(checkpoint)
    precision_name = "bf16" if precision.bf16 else "fp16" if precision.fp16 else "fp32"

    def on_begin(train_state) -> None:
        writer.emit(
            "run_started",
            run_id=output_dir.name,
            method=pref.method if pref is not None else "sft",
            **({"preference": pref.as_dict()} if pref is not None else {}),
            config=redact(config_to_dict(config)),
            estimate=estimate,
            world_size=world_size,
            device=precision.device,
            device_name=precision.device_name,
            precision=precision_name,
            loss_impl=loss.loss_impl,
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
            trackers=tracker_places(trainer, state["tracking"]),
            hub=sync.describe() if sync is not None else None,
        )
        if sync is not None:
            sync.announce()
        if loss.note:
            writer.emit("warning", kind="config", message=loss.note)
        if not quiet and rank == 0:
            what = f"resuming from step {resumed_from}" if resumed_from else "starting"
            print(
                f"{what}: {train_state.max_steps} steps, {len(data.train)} training rows"
                f"{' (packed)' if data.packed else ''}, {trainable:,} of {total_params:,} parameters trainable, "
                f"{precision.device} {precision_name}",
                file=sys.stderr,
                flush=True,
            )

    events.on_train_begin_hook = on_begin
    try:
        trainer.train(resume_from_checkpoint=checkpoint)
    finally:
        finish_trackers(trainer)  # the trackers' files are complete whether training ended or raised
    state["step"] = trainer.state.global_step
    return finish_run(
        trainer,
        outcome,
        writer,
        settings,
        rank=rank,
        quiet=quiet,
        started=started,
        on_saved=sync.finish if sync is not None else None,
    )
