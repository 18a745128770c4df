"""The wizard's one door to core: the steps call these names and never import core directly, so the UI code
reads as UI and core's shapes are adapted in one place (config_io, model_info, data_info, estimate)."""

from __future__ import annotations

from ftui.tui.widgets.memory_panel import EstimateView
from ftui.tui.wizard.config_io import (
    all_problems,
    config_lists,
    config_problems,
    config_yaml,
    default_save_path,
    load_state,
    run_config_path,
    save_state,
    schema_default,
)
from ftui.tui.wizard.config_io import review_warnings as config_warnings
from ftui.tui.wizard.data_info import (
    ScanView,
    browse_root,
    dataset_stats,
    dataset_type_value,
    dataset_types,
    display_path,
    is_local_path,
    load_tokenizer,
    preview,
    preview_key,
    scan_dataset,
    scan_key,
    scan_summary,
    set_dataset_type,
    set_template,
    template_options,
    template_value,
    template_warning,
)
from ftui.tui.wizard.estimate import estimate
from ftui.tui.wizard.model_info import (
    CatalogRow,
    catalog_rows,
    describe_error,
    detect_hardware,
    facts_summary,
    gpu_preset_names,
    hardware_view,
    linear_module_names,
    load_facts,
    model_problem,
)
from ftui.tui.wizard.state import WizardState


def review_warnings(state: WizardState, estimate_view: EstimateView | None) -> list[str]:
    """Config warnings, kept unknown keys, and the estimate's verdicts that are not "fits"."""
    out = config_warnings(state)
    if estimate_view is not None:
        for verdict in estimate_view.verdicts:
            if verdict.verdict != "fits":
                word = "is tight on" if verdict.verdict == "tight" else "does not fit"
                out.append(f"estimated peak memory {word} {verdict.gpu}")
        out += [f"suggestion: {s}" for s in estimate_view.suggestions[:3]]
    return out


__all__ = [
    "CatalogRow",
    "EstimateView",
    "ScanView",
    "all_problems",
    "browse_root",
    "catalog_rows",
    "config_lists",
    "config_problems",
    "config_yaml",
    "dataset_stats",
    "dataset_type_value",
    "dataset_types",
    "default_save_path",
    "describe_error",
    "detect_hardware",
    "display_path",
    "estimate",
    "facts_summary",
    "gpu_preset_names",
    "hardware_view",
    "is_local_path",
    "linear_module_names",
    "load_facts",
    "load_state",
    "load_tokenizer",
    "model_problem",
    "preview",
    "preview_key",
    "review_warnings",
    "run_config_path",
    "save_state",
    "scan_dataset",
    "scan_key",
    "scan_summary",
    "schema_default",
    "set_dataset_type",
    "set_template",
    "template_options",
    "template_value",
    "template_warning",
]


def launch_lines(state: WizardState, hardware: object | None) -> list[str]:
    """The command Launch runs (and the accelerate command behind it), as the Review step shows it."""
    from ftui.core.config import ConfigError, parse_config
    from ftui.core.errors import UserError
    from ftui.core.launch import ftui_command, train_command
    from ftui.core.train.accelerate_command import launch_lines as core_lines

    target = run_config_path(state)
    command = train_command(target)
    try:
        loaded = parse_config(config_yaml(state), source=str(target), base_dir=str(target.parent))
    except (ConfigError, UserError):
        return ["$ " + " ".join(command)]
    cuda = bool(getattr(hardware, "has_cuda", True)) if hardware is not None else True
    return [_short(line, " ".join(ftui_command())) for line in core_lines(loaded.config, target, command, cuda=cuda)]


def _short(line: str, ftui: str) -> str:
    """Paths as a user types them: `ftui`, `python`, and paths under the working folder made relative."""
    import sys
    from pathlib import Path

    line = line.replace(ftui, "ftui").replace(sys.executable, "python")
    return line.replace(str(Path.cwd()) + "/", "")


def report_targets(values: dict) -> list[str]:
    """The trackers a plain config dict asks for, by core's rule (core.tracking.report_targets)."""
    from ftui.core.tracking import report_targets as core_targets

    class _Keys:
        def __getattr__(self, name: str) -> object:
            return values.get(name)

    return core_targets(_Keys())


def destination_lines(state: WizardState) -> tuple[list[str], list[str]]:
    """(where a launch logs and pushes, warnings about it) as core decides them (`ftui check` says the
    same): the trackers and their folders, the Hub repo and strategy, a missing tracker or token."""
    from ftui.core.config import ConfigError, parse_config
    from ftui.core.config.check import destination_problems, tracking_lines
    from ftui.core.errors import UserError

    target = run_config_path(state)
    try:
        loaded = parse_config(config_yaml(state), source=str(target), base_dir=str(target.parent))
        lines = tracking_lines(loaded.config)
        warnings = [f"{p.key}: {p.message}" for p in destination_problems(loaded.config)]
    except (ConfigError, UserError):
        return [], []
    return [_short(line, "ftui") for line in lines], warnings
