"""`ftui check`: validate a config without loading a model or touching the network, and say what ftui will
do with it. Never raises for anything in the user's file: a missing file, broken YAML, bad values and
missing data all become items of the report.

`ok` is true exactly when there are no errors (the config opens: the wizard can show it and `estimate` can
run). Files, models and tokenizers that cannot be found here are warnings, never errors: the config may be
meant for another machine. Unsupported features keep `ok` true; `ftui train` refuses them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ftui.core.config.classify import IgnoredKey, UnsupportedUse
from ftui.core.config.errors import ConfigError, Problem
from ftui.core.errors import UserError


@dataclass
class CheckReport:
    path: str
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    ignored: list[IgnoredKey] = field(default_factory=list)
    unsupported: list[UnsupportedUse] = field(default_factory=list)
    summary: list[str] = field(default_factory=list)  # what ftui will do, one line per point

    @property
    def ok(self) -> bool:
        return not self.errors

    def as_json(self) -> dict[str, Any]:
        def item(p: Problem) -> dict[str, Any]:
            return {"line": p.line, "key": p.key or None, "message": p.message}

        return {
            "ok": self.ok,
            "errors": [item(p) for p in self.errors],
            "warnings": [item(p) for p in self.warnings],
            "ignored_keys": [i.key for i in self.ignored],
            "unsupported": [
                {"feature": u.feature, "key": u.key, "message": u.message} for u in self.unsupported
            ],
        }


def check_config(path: str | Path) -> CheckReport:
    """Everything `ftui check` reports about one config file."""
    from ftui.core.config.classify import classify, ignored_plugins
    from ftui.core.config.loader import load_config, read_config_text
    from ftui.core.config.schema import FtuiConfig
    from ftui.core.config.sections import DatasetConfig
    from ftui.core.config.yaml_io import read_yaml

    report = CheckReport(path=str(path))
    try:
        loaded = load_config(path)
    except ConfigError as err:
        report.errors = list(err.problems)
        report.warnings = list(err.warnings)
        try:  # the keys can still be sorted when the YAML itself reads
            read = read_yaml(read_config_text(path), str(path))
        except UserError:
            return report
        if isinstance(read.data, dict):
            notes = classify(read.data, set(FtuiConfig.model_fields), set(DatasetConfig.model_fields))
            report.ignored = notes.ignored + ignored_plugins(read.data)
            report.unsupported = notes.unsupported
        return report
    except UserError as err:  # not found, a folder, unreadable
        report.errors = [Problem((), err.message + (f" ({err.hint})" if err.hint else ""))]
        return report
    report.warnings = list(loaded.notes)
    report.ignored = list(loaded.ignored)
    report.unsupported = list(loaded.unsupported)
    report.warnings += find_inputs(loaded.config, loaded.source)
    report.unsupported += kernels_here(loaded.config)
    report.summary = describe(loaded.config)
    return report


def kernels_here(config: Any) -> list[UnsupportedUse]:
    """Liger kernels this machine cannot run (no CUDA GPU, package missing): `ftui train` refuses them."""
    from ftui.core.hardware import detect_hardware
    from ftui.core.train.kernels import liger_keys, liger_reason

    data = config.model_dump(mode="json", exclude_unset=True)
    reason = liger_reason(data, cuda=detect_hardware().has_cuda)
    if reason is None:
        return []
    return [UnsupportedUse("Liger kernels on this machine", (key,), reason) for key in liger_keys(data)]


def find_inputs(config: Any, source: Any = None) -> list[Problem]:
    """Warnings for the model, tokenizer, data and other files this machine does not have."""
    out = []
    for key in ("base_model", "tokenizer_config", "base_model_config"):
        value = getattr(config, key, None)
        if value and (key == "base_model" or value != config.base_model):
            problem = _model_problem(key, str(value), config.base_dir)
            if problem is not None:
                out.append(problem)
    for name in ("datasets", "test_datasets"):
        for i, entry in enumerate(getattr(config, name) or []):
            problem = _data_problem((name, i, "path"), entry, config.base_dir)
            if problem is not None:
                out.append(problem)
    for key in ("deepspeed", "eval_assertions"):
        value = getattr(config, key, None)
        if isinstance(value, str):
            file = value.rpartition(":")[0] if key == "eval_assertions" else value
            if not config.resolve_path(file).is_file():
                out.append(Problem((key,), f"file not found here: {config.resolve_path(file)}", "warning"))
    out += adapter_problems(config)
    out += destination_problems(config)
    if source is not None:
        for problem in out:
            problem.line = source.line_of(problem.path)
    return out


def adapter_problems(config: Any) -> list[Problem]:
    """`lora_model_dir` that `ftui train` would refuse: no such folder, or no adapter in it."""
    from ftui.core.train.adapter_start import find_adapter_dir

    value = getattr(config, "lora_model_dir", None)
    if not value or getattr(config, "adapter", None) not in ("lora", "qlora"):
        return []
    try:
        find_adapter_dir(str(value), config.base_dir)
    except UserError as err:
        return [Problem(("lora_model_dir",), err.message.removeprefix("lora_model_dir: "), "warning")]
    return []


def destination_problems(config: Any) -> list[Problem]:
    """Warnings about where a run logs and pushes: a tracker not installed, no token for hub_model_id."""
    from ftui.core.tracking import install_command, missing_message, missing_trackers

    out = [
        Problem(
            (key,),
            f"{missing_message([(name, key)])}; `ftui train` stops until `{install_command([name])}`",
            "warning",
        )
        for name, key in missing_trackers(config)
    ]
    if getattr(config, "hub_model_id", None):
        from ftui.core.hub_push import no_token_message, token

        if token() is None:
            message = (
                no_token_message(config.hub_model_id) + "; the run trains and saves, the push is skipped"
            )
            out.append(Problem(("hub_model_id",), message, "warning"))
    return out


def _model_problem(key: str, name: str, base_dir: Path) -> Problem | None:
    from ftui.core.models.source import resolve_model

    try:
        source = resolve_model(name, base_dir=base_dir, materialize=False)
    except UserError as err:
        return Problem(
            (key,), f"{err.message}; the config opens, but training needs the model here", "warning"
        )
    if source.kind != "hub" or _in_hub_cache(name):
        return None
    from ftui.core.models.catalog import catalog

    known = name in catalog()
    return Problem(
        (key,),
        f"{name} is not in the local Hugging Face cache: training downloads it"
        + (
            "; `ftui estimate` uses the facts ftui ships for it"
            if known
            else "; `ftui estimate` needs its config.json"
        ),
        "warning",
    )


def _in_hub_cache(repo_id: str) -> bool:
    try:
        from huggingface_hub import try_to_load_from_cache
    except ImportError:
        return False
    try:
        return isinstance(try_to_load_from_cache(repo_id, "config.json"), str)
    except Exception:  # an id huggingface_hub refuses to parse: not in the cache either
        return False


def _data_problem(path: tuple, entry: Any, base_dir: Path) -> Problem | None:
    from ftui.core.data.report import DataError
    from ftui.core.data.settings import dataset_settings
    from ftui.core.data.sources import open_source

    try:
        open_source(dataset_settings(entry), base_dir)
    except DataError as err:
        return Problem(path, f"{err.message}; the config opens, but training needs the data here", "warning")
    return None


def describe(config: Any) -> list[str]:
    """What ftui will do with a valid config, in a few lines."""
    from ftui.core.config.classify import training_method

    lines = [f"model: {config.base_model}"]
    if config.is_lora:
        quant = " (4-bit base)" if config.load_in_4bit else " (8-bit base)" if config.load_in_8bit else ""
        kind = {"lora": "LoRA", "qlora": "QLoRA"}[config.adapter_kind]
        lines.append(f"method: {kind} r={config.lora_r} alpha={config.lora_alpha}{quant}")
    else:
        lines.append("method: full fine-tune of every weight")
    from ftui.core.preference.methods import preference_settings

    if (pref := preference_settings(config)) is not None:
        numbers = ", ".join(f"{k} {v}" for k, v in pref.as_dict().items() if k != "method")
        lines.append(f"preference: {pref.info.label} ({pref.info.summary}; {numbers})")
    elif (method := training_method({**config.extra_keys, "rl": config.rl})) is not None:
        lines[-1] += f" - but the config asks for {method}, which ftui cannot train yet"
    for i, entry in enumerate(config.training_datasets):
        lines.append(f"data[{i}]: {entry.path} - {_data_plan(config, entry)}")
    lines.append(
        f"batches: {config.micro_batch_size} x {config.gradient_accumulation_steps} accumulation x "
        f"{config.num_processes} process(es) = {config.effective_batch_size} sequences of up to "
        f"{config.sequence_len} tokens per step" + (", packed" if config.sample_packing else "")
    )
    lines += _loss_line(config)
    length = f"{config.max_steps} steps" if config.max_steps else f"{config.num_epochs:g} epoch(s)"
    lines.append(
        f"schedule: {length}, {config.optimizer}, lr {config.learning_rate:g} ({config.lr_scheduler})"
    )
    return lines + tracking_lines(config)


def tracking_lines(config: Any) -> list[str]:
    """Where a run of this config logs (trackers) and pushes (Hub) - for `ftui check` and the wizard's
    Review step."""
    from ftui.core.config.relocate import output_path
    from ftui.core.hub_push import hub_target
    from ftui.core.tracking import tracking_plan

    plan = tracking_plan(config, output_path(config.output_dir))
    if not plan.targets:
        lines = ["tracking: events.jsonl only (no tracker asked for)"]
    else:
        lines = [f"tracking: {line}" for line in plan.describe()]
    target = hub_target(config)
    return lines + [f"hub: pushes to {target.describe()}" if target else "hub: no push (no hub_model_id)"]


def _loss_line(config: Any) -> list[str]:
    """Which loss the fused-loss keys give on this machine (the trainer's own rule, core/train/kernels.py)."""
    from ftui.core.hardware import detect_hardware
    from ftui.core.train.kernels import fused_key, loss_plan

    data = config.model_dump(mode="json", exclude_unset=True)
    if fused_key(data) is None:
        return []
    plan = loss_plan(data, cuda=detect_hardware().has_cuda, preference=bool(data.get("rl")))
    return [f"loss: {plan.loss_impl}" + (f" - {plan.note}" if plan.note else "")]


def _data_plan(config: Any, entry: Any) -> str:
    from ftui.core.config.classify import training_method
    from ftui.core.templates.library import template_from_config

    type_name = entry.type_name or "detected from the rows"
    if getattr(config, "rl", None) in ("dpo", "ipo", "simpo", "orpo", "kto"):
        return f"type {type_name} (preference rows for rl: {config.rl}; `ftui debug` shows them)"
    if (method := training_method({**config.extra_keys, "rl": config.rl})) is not None:
        return f"type {type_name} (data for {method})"
    try:
        template = template_from_config(config, entry)
    except UserError as err:
        return f"type {type_name}; template: {err.message}"
    return f"type {type_name}, rendered with {template.describe()}"


def ignored_lines(ignored: list[IgnoredKey]) -> list[str]:
    """`key: reason` for each key ftui reads without acting on (the start of `ftui train`, the wizard)."""
    return [f"{i.key}: {i.reason}" for i in ignored]


def unsupported_error(unsupported: list[UnsupportedUse], source: str | None = None) -> UserError | None:
    """The one error `ftui train` stops with when the config asks for features ftui cannot train."""
    from ftui.core.errors import ConfigUserError

    if not unsupported:
        return None
    names = ", ".join(dict.fromkeys(u.feature for u in unsupported))
    where = f"{source}: " if source else ""
    details = "; ".join(f"{u.key}: {u.message}" for u in unsupported)
    return ConfigUserError(
        f"{where}ftui cannot train this config yet: it asks for {names} ({details})",
        hint="remove or change those keys to train supervised fine-tuning; `ftui check CONFIG` lists them, "
        "and the wizard and `ftui estimate` still work on this config",
    )


def config_unsupported(config: Any) -> list[UnsupportedUse]:
    """The unsupported features of a config object (what its file would report), for code paths that
    get an `FtuiConfig` rather than a loaded file."""
    from ftui.core.config.classify import classify
    from ftui.core.config.schema import FtuiConfig
    from ftui.core.config.sections import DatasetConfig

    data = config.model_dump(mode="json", exclude_unset=True)
    return classify(data, set(FtuiConfig.model_fields), set(DatasetConfig.model_fields)).unsupported
