"""The wizard's one door to core: the steps call these names and never import core directly, so the UI code
reads as UI and core's shapes are adapted in one place (config_io, model_info, data_info, estimate)."""

from __future__ import annotations

from ftui.tui.widgets.memory_panel import EstimateView
from ftui.tui.wizard.config_io import (
    all_problems,
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
