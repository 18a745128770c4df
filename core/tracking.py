"""Experiment trackers: which ones a config asks for, whether they are installed, and what transformers'
integrations are told (environment variables and a run name). Decided once here, for the trainer, `ftui
check`, the wizard's Review step and the monitor.

ftui uploads nothing itself: transformers' callbacks (TensorBoardCallback, WandbCallback, MLflowCallback,
TrackioCallback, CometCallback) do the logging, on rank 0 only. Light: no torch, no tracker import.
"""

from __future__ import annotations

import configparser
import importlib.util
import netrc
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from ftui.core.errors import UserError


@dataclass(frozen=True)
class Tracker:
    name: str  # transformers' report_to name
    label: str
    modules: tuple[str, ...]  # any one of these importable = installed
    extra: str  # pip install 'ftui[EXTRA]'


TRACKERS: dict[str, Tracker] = {
    "tensorboard": Tracker("tensorboard", "TensorBoard", ("tensorboard", "tensorboardX"), "tensorboard"),
    "wandb": Tracker("wandb", "Weights & Biases", ("wandb",), "wandb"),
    "mlflow": Tracker("mlflow", "MLflow", ("mlflow",), "mlflow"),
    "trackio": Tracker("trackio", "Trackio", ("trackio",), "trackio"),
    "comet_ml": Tracker("comet_ml", "Comet", ("comet_ml",), "comet"),
}

# Axolotl's switch keys: (tracker, keys that turn it on when report_to is not set).
_SWITCHES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("wandb", ("use_wandb", "wandb_project")),
    ("mlflow", ("use_mlflow", "mlflow_tracking_uri")),
    ("tensorboard", ("use_tensorboard",)),
    ("comet_ml", ("use_comet", "comet_project_name", "comet_workspace")),
    ("trackio", ("use_trackio", "trackio_project_name")),
)


def requested(config: Any) -> list[tuple[str, str]]:
    """(tracker, the config key that asks for it). `report_to` wins when set (`none` = no tracker);
    otherwise Axolotl's keys: `use_X: true`, or a project/URI key with no `use_X: false`."""
    report_to = getattr(config, "report_to", None)
    if report_to is not None:
        names = [report_to] if isinstance(report_to, str) else list(report_to)
        found = [(n, "report_to") for n in dict.fromkeys(names) if n != "none"]
    else:
        found = []
        for name, keys in _SWITCHES:
            switch = getattr(config, keys[0], None)
            if switch is False:
                continue
            key = next((k for k in keys if getattr(config, k, None)), None)
            if key is not None:
                found.append((name, key))
    if getattr(config, "wandb_mode", None) == "disabled":
        found = [(n, k) for n, k in found if n != "wandb"]
    return found


def report_targets(config: Any) -> list[str]:
    """The `report_to` list the trainer gets (rank 0); [] means events.jsonl only."""
    return [name for name, _ in requested(config)]


def is_installed(name: str) -> bool:
    return any(importlib.util.find_spec(m) is not None for m in TRACKERS[name].modules)


def install_command(names: list[str]) -> str:
    extras = ",".join(TRACKERS[n].extra for n in names)
    return f"pip install 'ftui[{extras}]'"


def missing_trackers(config: Any) -> list[tuple[str, str]]:
    """(tracker, key) for each tracker the config asks for that is not installed here."""
    return [(name, key) for name, key in requested(config) if not is_installed(name)]


def missing_message(missing: list[tuple[str, str]]) -> str:
    what = ", ".join(f"{key} asks for {TRACKERS[name].label} ({name})" for name, key in missing)
    return f"{what}, which is not installed here"


def check_installed(config: Any, source: str | None = None) -> None:
    """Stop before anything loads when a requested tracker is missing: one message with the command."""
    missing = missing_trackers(config)
    if missing:
        where = f"{source}: " if source else ""
        raise UserError(
            f"{where}{missing_message(missing)}",
            hint=f"run `{install_command([n for n, _ in missing])}`, or remove the key to log to "
            "events.jsonl only",
        )


# --- what the integrations are told ------------------------------------------------------------------------


@dataclass
class TrackingPlan:
    """The run's trackers, the environment their integrations read, and where each one logs."""

    targets: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    run_name: str | None = None
    places: list[dict[str, str]] = field(default_factory=list)  # {tracker, where} (a folder or a URI)
    notes: list[str] = field(default_factory=list)
    mlflow_artifacts: str | None = (
        None  # where a new MLflow experiment keeps artifacts (ftui's default store)
    )

    def describe(self) -> list[str]:
        """One line per tracker, for the Review step and `ftui check`."""
        lines = [
            f"{TRACKERS[p['tracker']].label}{' (' + p['mode'] + ')' if p.get('mode') else ''}: {p['where']}"
            for p in self.places
        ]
        return lines + self.notes


def _set(env: dict[str, str], name: str, value: Any) -> None:
    if value is not None and value != "":
        env[name] = str(value).lower() if isinstance(value, bool) else str(value)


def tracking_plan(
    config: Any, output_dir: str | Path, environ: Mapping[str, str] | None = None
) -> TrackingPlan:
    """Config keys win over the environment; the environment over ftui's defaults (files under output_dir,
    W&B offline when no API key is at hand, so a run never needs the network to log)."""
    environ = os.environ if environ is None else environ
    out = Path(output_dir)
    plan = TrackingPlan(targets=report_targets(config))
    c = config
    plan.run_name = (
        c.wandb_name
        or getattr(c, "mlflow_run_name", None)
        or getattr(c, "trackio_run_name", None)
        or out.name
    )
    for name in plan.targets:
        getattr(_PLANNERS, name)(plan, c, out, environ)
    return plan


class _PLANNERS:
    """One function per tracker: fills plan.env and plan.places."""

    @staticmethod
    def tensorboard(plan: TrackingPlan, c: Any, out: Path, environ: Mapping[str, str]) -> None:
        where = environ.get("TENSORBOARD_LOGGING_DIR") or str(out / "runs")
        plan.places.append({"tracker": "tensorboard", "where": where})

    @staticmethod
    def wandb(plan: TrackingPlan, c: Any, out: Path, environ: Mapping[str, str]) -> None:
        env = plan.env
        _set(env, "WANDB_PROJECT", c.wandb_project)
        _set(env, "WANDB_ENTITY", c.wandb_entity)
        _set(env, "WANDB_NAME", c.wandb_name)
        _set(env, "WANDB_RUN_ID", c.wandb_run_id)
        _set(env, "WANDB_LOG_MODEL", c.wandb_log_model)
        _set(env, "WANDB_WATCH", c.wandb_watch)
        if c.wandb_run_id and "WANDB_RESUME" not in environ:
            env["WANDB_RESUME"] = "allow"  # the same id again continues that run, as Axolotl does
        folder = environ.get("WANDB_DIR") or str(out)
        if "WANDB_DIR" not in environ:
            env["WANDB_DIR"] = folder
        mode = c.wandb_mode or environ.get("WANDB_MODE") or _wandb_settings_mode(environ)
        if mode is None and not _wandb_key_known(environ):
            mode = "offline"
            plan.notes.append(
                f"W&B: no API key here (WANDB_API_KEY, wandb_api_key or `wandb login`): logging offline; "
                f"upload later with `wandb sync {Path(folder) / 'wandb'}/offline-run-*`"
            )
            env["WANDB_MODE"] = mode
        _set(env, "WANDB_MODE", c.wandb_mode)  # the config's word wins over the environment
        project = c.wandb_project or environ.get("WANDB_PROJECT") or "huggingface"
        where = str(Path(folder) / "wandb")
        if mode not in ("offline", "disabled"):
            entity = c.wandb_entity or environ.get("WANDB_ENTITY")
            where = f"project {entity + '/' if entity else ''}{project} (files in {where})"
        plan.places.append({"tracker": "wandb", "where": where, "mode": mode or "online"})

    @staticmethod
    def mlflow(plan: TrackingPlan, c: Any, out: Path, environ: Mapping[str, str]) -> None:
        uri = c.mlflow_tracking_uri or environ.get("MLFLOW_TRACKING_URI")
        experiment = c.mlflow_experiment_name or environ.get("MLFLOW_EXPERIMENT_NAME")
        if uri is None:  # ftui's default: MLflow's recommended SQLite store, artifacts beside it
            uri = f"sqlite:///{out / 'mlflow.db'}"
            experiment = experiment or "ftui"
            plan.mlflow_artifacts = str(out / "mlartifacts")
        plan.env["MLFLOW_TRACKING_URI"] = uri
        _set(plan.env, "MLFLOW_EXPERIMENT_NAME", experiment)
        _set(plan.env, "HF_MLFLOW_LOG_ARTIFACTS", c.hf_mlflow_log_artifacts)
        plan.places.append({"tracker": "mlflow", "where": f"{uri} (experiment {experiment or 'Default'})"})

    @staticmethod
    def trackio(plan: TrackingPlan, c: Any, out: Path, environ: Mapping[str, str]) -> None:
        project = c.trackio_project_name or "huggingface"
        where = f"project {project}" + (
            f" on Space {c.trackio_space_id}" if c.trackio_space_id else " (local)"
        )
        plan.places.append({"tracker": "trackio", "where": where})

    @staticmethod
    def comet_ml(plan: TrackingPlan, c: Any, out: Path, environ: Mapping[str, str]) -> None:
        _set(plan.env, "COMET_PROJECT_NAME", c.comet_project_name)
        _set(plan.env, "COMET_WORKSPACE", c.comet_workspace)
        project = c.comet_project_name or environ.get("COMET_PROJECT_NAME") or "general"
        plan.places.append({"tracker": "comet_ml", "where": f"project {project}"})


def trainer_arguments(plan: TrackingPlan, config: Any, rank: int) -> dict[str, Any]:
    """TrainingArguments for the trackers: report_to on rank 0 only (the other ranks log nothing)."""
    args: dict[str, Any] = {"report_to": plan.targets if rank == 0 and plan.targets else "none"}
    args["run_name"] = plan.run_name
    if "trackio" in plan.targets:
        args["project"] = config.trackio_project_name or "huggingface"
        args["trackio_space_id"] = config.trackio_space_id
        args["trackio_static_space_id"] = False  # no Space is made unless the config names one
    return args


def _wandb_settings_mode(environ: Mapping[str, str]) -> str | None:
    """`mode` from wandb's own settings file (`wandb offline` / `wandb online` write it)."""
    folder = environ.get("WANDB_CONFIG_DIR") or str(
        Path(environ.get("HOME", "~")).expanduser() / ".config/wandb"
    )
    parser = configparser.ConfigParser()
    try:
        parser.read(Path(folder) / "settings")
        return parser.get("default", "mode", fallback=None) or None
    except configparser.Error:
        return None


def _wandb_key_known(environ: Mapping[str, str]) -> bool:
    """An API key in the environment (the config's wandb_api_key travels there) or from `wandb login`."""
    if environ.get("WANDB_API_KEY"):
        return True
    host = urlparse(environ.get("WANDB_BASE_URL") or "https://api.wandb.ai").hostname or "api.wandb.ai"
    path = environ.get("NETRC") or str(Path(environ.get("HOME", "~")).expanduser() / ".netrc")
    try:
        return netrc.netrc(path).authenticators(host) is not None
    except (OSError, netrc.NetrcParseError):
        return False


@contextmanager
def scoped_env(env: Mapping[str, str]) -> Iterator[None]:
    """Set variables for the run and put the old values back after it (an in-process run leaves no trace)."""
    saved = {name: os.environ.get(name) for name in env}
    os.environ.update(env)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
