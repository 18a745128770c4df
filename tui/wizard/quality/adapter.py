"""The quality view's one door to core: the audit of the wizard's config, row texts, the curated copy."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ftui.core.errors import UserError
from ftui.tui.wizard.config_io import base_dir, config_yaml
from ftui.tui.wizard.model_info import describe_error as describe_error  # the view's error text
from ftui.tui.wizard.state import WizardState

Refused = UserError  # what core raises for something the user can fix (shown in the view, never a traceback)


@dataclass
class AuditResult:
    report: Any  # core AuditReport
    texts: dict[int, str]
    note: str = ""


def wizard_config(state: WizardState) -> Any:
    """The wizard's config, validated by core as `ftui data audit` would read it from the saved file."""
    from ftui.core.config import parse_config

    source = str(state.source_path or "wizard")
    config = parse_config(config_yaml(state), source, base_dir=base_dir(state)).config
    config.base_dir = base_dir(state)
    return config


def run_audit(
    state: WizardState,
    tokenizer: Any,
    progress: Callable[[int, float | None], None],
    cancelled: Callable[[], bool],
) -> AuditResult | None:
    """Audit the wizard's datasets (with the wizard's tokenizer when it is loaded), then read the text of the
    flagged rows and their partners for browsing. None when `cancelled()` stopped it."""
    from ftui.core.quality import AuditCancelled, audit_config
    from ftui.core.quality.browse import row_texts

    config = wizard_config(state)
    try:
        use_tokens = tokenizer is not None
        report = audit_config(
            config, tokenizer=tokenizer, use_tokens=use_tokens, progress=progress, cancelled=cancelled
        )
    except AuditCancelled:
        return None
    wanted = set(report.flags) | {f.partner for f in report.flags.values() if f.partner is not None}
    note = "" if tokenizer is not None else "token kinds skipped: the tokenizer is not loaded yet"
    return AuditResult(report, row_texts(report, wanted, cancelled), note)


def length_histograms(report: Any) -> dict[str, Any]:
    """Prompt and response length histograms over every file of the report (one file: its own stats)."""
    if len(report.files) == 1:
        return report.file_json(0)["stats"]
    from ftui.core.quality.report import histogram

    prompt = [v for f in report.files for v in f.prompt_lengths]
    answer = [v for f in report.files for v in f.answer_lengths]
    return {"prompt_length": histogram(prompt), "response_length": histogram(answer)}


def curated_path(report: Any) -> Path:
    """Where "write curated dataset" writes: beside the source, `<name>.curated<suffix>` (a folder for several
    files or a hub dataset)."""
    files = report.files
    if len(files) == 1 and files[0].path is not None:
        path = files[0].path
        return path.with_name(f"{path.stem}.curated{path.suffix}")
    return Path(report.base_dir) / "curated"


def write_curated(report: Any, kinds: set[str], keep: set[int], drop: set[int], out: Path) -> Any:
    from ftui.core.quality.clean import clean_dataset

    return clean_dataset(report, sorted(kinds), out, keep=keep, drop=drop)


def relative_to_config(state: WizardState, path: Path) -> str:
    import os

    try:
        return os.path.relpath(path.resolve(), base_dir(state))
    except ValueError:
        return str(path)


def kinds() -> dict[str, str]:
    from ftui.core.quality import KINDS

    return dict(KINDS)


def differences(a: str, b: str) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    from ftui.core.quality.browse import differences as diff

    return diff(a, b)
