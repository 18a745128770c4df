"""`run_training`: one training run from a config, start to a terminal event (finished/stopped/failed).

This is the process the TUI spawns and monitors. It loads model and data, wires the transformers Trainer
to ftui's callbacks (the phases are in `recipe`), and always ends the event stream with a terminal event
(`endings`), so a monitor can tell a finished run from a crashed one. This module holds the guards around
the recipe: refusals before anything loads, secrets and trackers in the environment, signals, write failures.
"""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path
from typing import Any

from ftui.core.errors import UserError
from ftui.core.events import EventWriter
from ftui.core.train.endings import RunProgress, RunResult, emit_crash
from ftui.core.train.settings import TrainSettings, config_to_dict
from ftui.core.train.signals import StopBeforeTraining

__all__ = ["RunResult", "dist_info", "run_training"]


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
    refuse_before_loading(config)
    from ftui.core.config.secrets import secrets_of

    settings = TrainSettings.from_config(config, config_dir)
    if max_steps is not None:
        settings.max_steps = max_steps
    rank, world_size = dist_info()
    output_dir = prepare_output(config, settings)
    writer = EventWriter(output_dir, enabled=rank == 0, secrets=tuple(secrets_of(config).values()))
    progress = RunProgress()
    from ftui.core.train.heartbeat import write_heartbeat

    try:
        result = _train_reporting_write_failures(
            config, settings, writer, progress, resume=resume, quiet=quiet
        )
        write_heartbeat(output_dir, rank, world_size, result.status, keep=True)
        return result
    except UserError as err:
        write_heartbeat(output_dir, rank, world_size, "failed", keep=True, message=err.message)
        with contextlib.suppress(OSError):  # a full disk may refuse this line too; the console has it
            writer.emit(
                "failed",
                step=progress.step,
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
        emit_crash(writer, err, progress)
        raise
    finally:
        with contextlib.suppress(OSError):  # a line the full disk refused cannot be flushed at close either
            writer.close()


def refuse_before_loading(config: Any) -> None:
    """What ftui cannot train (unsupported keys, Liger without its GPU, a tracker not installed): one
    message, before anything is loaded or written."""
    from ftui.core.config.train_gate import config_unsupported, unsupported_error
    from ftui.core.tracking import check_installed

    refusal = unsupported_error(config_unsupported(config))
    if refusal is not None:
        raise refusal
    refuse_liger_here(config)
    check_installed(config)


def prepare_output(config: Any, settings: TrainSettings) -> Path:
    """The output folder, created; never inside the installed package; `ulimit -f` made an error."""
    from ftui.core.paths import refuse_package_write
    from ftui.core.preprocess.store import prepared_root
    from ftui.core.train.write_errors import file_size_limit_as_error

    output_dir = settings.output_path
    refuse_package_write(output_dir, "output_dir")
    refuse_package_write(prepared_root(config), "dataset_prepared_path")
    output_dir.mkdir(parents=True, exist_ok=True)
    file_size_limit_as_error()  # under `ulimit -f` a write fails with a message instead of a core dump
    return output_dir


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


def _train_reporting_write_failures(
    config: Any, settings: TrainSettings, writer: EventWriter, progress: RunProgress, **flags: bool
) -> RunResult:
    """The recipe; a write the disk refused anywhere in the run becomes one message, no traceback."""
    try:
        return _train(config, settings, writer, progress, **flags)
    except Exception as err:
        from ftui.core.train.write_errors import run_write_failure

        if (failure := run_write_failure(err, settings.output_path)) is None:
            raise
        raise failure from err


def _train(
    config: Any,
    settings: TrainSettings,
    writer: EventWriter,
    progress: RunProgress,
    *,
    resume: bool,
    quiet: bool,
) -> RunResult:
    """The recipe with the run's secrets and tracker settings in the environment and signals caught."""
    from ftui.core.config.secrets import secret_env
    from ftui.core.tracking import scoped_env, tracking_plan
    from ftui.core.train import recipe
    from ftui.core.train.callbacks import RunOutcome
    from ftui.core.train.signals import SignalStopCallback

    outcome = RunOutcome()
    stopper = SignalStopCallback(outcome)
    stopper.install()  # from here on a signal is a clean stop (at once while loading, else after the step)
    secret_vars = secret_env(config)  # the config's secrets reach the libraries through the environment only
    plan = tracking_plan(config, settings.output_path, {**os.environ, **secret_vars})
    rank, world_size = dist_info()
    run = recipe.Run(
        config, settings, writer, progress, plan, outcome, stopper, resume, quiet, rank, world_size
    )
    try:
        # What the hub, the model loaders and the trackers' integrations read, for this run only.
        with scoped_env({**secret_vars, **plan.env}):
            return recipe.train(run)
    finally:
        stopper.uninstall()
