"""The wizard's one door to core: `Backend`, a typed adapter (harlequin's adapter idea). The steps and the
screen call its methods and never import core, so the UI code reads as UI and core's shapes are adapted
in one place (config_io, model_info, data_info, data_template, estimate, previews do the adapting).

A test or another engine replaces it by passing its own object to `WizardScreen(backend=...)`, or patches
one method on the class (`monkeypatch.setattr(Backend, "detect_hardware", ...)`).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ftui.core.errors import UserError
from ftui.tui.widgets.memory_panel import EstimateView
from ftui.tui.wizard import config_io, data_info, data_template, model_info
from ftui.tui.wizard.estimate import estimate as estimate_view
from ftui.tui.wizard.state import WizardState

Problem = tuple[str, str, str]  # (severity, key, message)


@dataclass
class Saved:
    """What saving the config did: the file written (None when refused), notes about it, or why not."""

    path: Path | None
    notes: list[str] = field(default_factory=list)
    error: str | None = None


class Backend:
    """Everything the wizard asks of core, typed. Methods take the wizard's state and return view types."""

    Refused: type[UserError] = UserError  # what core raises for something the user can fix (a launch refused)

    # --- the config file ------------------------------------------------------------------------------------
    load_state = staticmethod(config_io.load_state)
    config_yaml = staticmethod(config_io.config_yaml)
    all_problems = staticmethod(config_io.all_problems)
    config_problems = staticmethod(config_io.config_problems)
    config_lists = staticmethod(config_io.config_lists)
    schema_default = staticmethod(config_io.schema_default)

    def choices(self, vocabulary: str) -> tuple[str, ...]:
        """A list of allowed values from core.config.choices (optimizers, schedulers, ...)."""
        from ftui.core.config import choices

        return tuple(getattr(choices, vocabulary))

    default_save_path = staticmethod(config_io.default_save_path)
    run_config_path = staticmethod(config_io.run_config_path)

    def save_state(self, state: WizardState, path: Path, run_copy: bool = False) -> Saved:
        try:
            saved, notes = config_io.save_state(state, path, run_copy=run_copy)
        except UserError as err:
            return Saved(None, error=err.message)
        return Saved(saved, notes)

    def review_warnings(self, state: WizardState, estimate: EstimateView | None) -> list[str]:
        """Config warnings, kept unknown keys, and the estimate's verdicts that are not "fits"."""
        out = config_io.review_warnings(state)
        if estimate is not None:
            for verdict in estimate.verdicts:
                if verdict.verdict != "fits":
                    word = "is tight on" if verdict.verdict == "tight" else "does not fit"
                    out.append(f"estimated peak memory {word} {verdict.gpu}")
            out += [f"suggestion: {s}" for s in estimate.suggestions[:3]]
        return out

    def launch_lines(self, state: WizardState, hardware: object | None) -> list[str]:
        """The command Launch runs (and the accelerate command behind it), as the Review step shows it."""
        from ftui.core.launch import ftui_command, train_command
        from ftui.core.train.accelerate_command import launch_lines as core_lines

        target = config_io.run_config_path(state)
        command = train_command(target)
        config = _parsed(state)
        if config is None:
            return ["$ " + " ".join(command)]
        cuda = bool(getattr(hardware, "has_cuda", True)) if hardware is not None else True
        lines = core_lines(config, target, command, cuda=cuda)
        return [_short(line, " ".join(ftui_command())) for line in lines]

    def destination_lines(self, state: WizardState) -> tuple[list[str], list[str]]:
        """(where a launch logs and pushes, warnings about it) as core decides them (`ftui check` says the
        same): the trackers and their folders, the Hub repo and strategy, a missing tracker or token."""
        from ftui.core.config import ConfigError
        from ftui.core.config.machine_checks import destination_problems
        from ftui.core.config.summary import tracking_lines

        config = _parsed(state)
        if config is None:
            return [], []
        try:
            lines = tracking_lines(config)
            warnings = [f"{p.key}: {p.message}" for p in destination_problems(config)]
        except (ConfigError, UserError):
            return [], []
        return [_short(line, "ftui") for line in lines], warnings

    def report_targets(self, values: dict[str, Any]) -> list[str]:
        """The trackers a plain config dict asks for, by core's rule (core.tracking.report_targets)."""
        from ftui.core.tracking import report_targets as core_targets

        class _Keys:
            def __getattr__(self, name: str) -> object:
                return values.get(name)

        return core_targets(_Keys())

    def preference_method(self, values: dict[str, Any]) -> tuple[str, dict[str, tuple[str, ...]]]:
        """(the config's training method, which keys each method reads)."""
        from ftui.core.preference.methods import METHOD_KEYS, method_name

        return method_name(values), {k: tuple(v) for k, v in METHOD_KEYS.items()}

    # --- model and hardware ------------------------------------------------------------------------------
    catalog_rows = staticmethod(model_info.catalog_rows)
    model_problem = staticmethod(model_info.model_problem)
    load_facts = staticmethod(model_info.load_facts)
    facts_summary = staticmethod(model_info.facts_summary)
    linear_module_names = staticmethod(model_info.linear_module_names)
    detect_hardware = staticmethod(model_info.detect_hardware)
    hardware_view = staticmethod(model_info.hardware_view)
    gpu_preset_names = staticmethod(model_info.gpu_preset_names)
    describe_error = staticmethod(model_info.describe_error)
    estimate = staticmethod(estimate_view)

    # --- data -----------------------------------------------------------------------------------------------
    browse_root = staticmethod(data_info.browse_root)
    is_local_path = staticmethod(data_info.is_local_path)
    display_path = staticmethod(data_info.display_path)
    dataset_types = staticmethod(data_template.dataset_types)
    dataset_type_value = staticmethod(data_template.dataset_type_value)
    set_dataset_type = staticmethod(data_template.set_dataset_type)
    template_value = staticmethod(data_template.template_value)
    set_template = staticmethod(data_template.set_template)
    template_options = staticmethod(data_template.template_options)
    template_warning = staticmethod(data_template.template_warning)
    scan_key = staticmethod(data_info.scan_key)
    scan_dataset = staticmethod(data_info.scan_dataset)
    scan_summary = staticmethod(data_info.scan_summary)
    load_tokenizer = staticmethod(data_info.load_tokenizer)
    preview_key = staticmethod(data_info.preview_key)
    preview = staticmethod(data_info.preview)
    dataset_stats = staticmethod(data_info.dataset_stats)


def _parsed(state: WizardState) -> Any:
    """The state's YAML as core reads it, or None when it does not parse yet."""
    from ftui.core.config import ConfigError, parse_config

    target = config_io.run_config_path(state)
    try:
        return parse_config(
            config_io.config_yaml(state), source=str(target), base_dir=str(target.parent)
        ).config
    except (ConfigError, UserError):
        return None


def _short(line: str, ftui: str) -> str:
    """Paths as a user types them: `ftui`, `python`, and paths under the working folder made relative."""
    line = line.replace(ftui, "ftui").replace(sys.executable, "python")
    return line.replace(str(Path.cwd()) + "/", "")
