"""What a config needs that this machine may not have: the model, tokenizer, data and other files, a tracker,
a Hub token, Liger kernels. Always warnings (or unsupported uses), never errors: the config may be meant for
another machine. Used by `ftui check` and the wizard's Review step.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ftui.core.config.classify import UnsupportedUse
from ftui.core.config.errors import Problem
from ftui.core.errors import UserError


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
