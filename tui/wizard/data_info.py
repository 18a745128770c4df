"""Data-side logic for the wizard: paths, dataset scans, the template choice, token previews and dataset
stats, all in terms of the state. Scans and stats run in workers; one preview is fast enough to run inline."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ftui.core.errors import UserError
from ftui.tui.widgets.token_view import records_from
from ftui.tui.wizard.config_io import base_dir
from ftui.tui.wizard.model_info import describe_error
from ftui.tui.wizard.previews import DatasetStats, Preview, mask_warnings, summarize
from ftui.tui.wizard.state import WizardState

SAMPLE_EXAMPLES = 2000  # examples kept for browsing and dataset stats (the row count covers every row)
TEMPLATE_LABELS = {
    "tokenizer_default": "model's own chat template",
    "chatml": "chatml",
    "llama3": "llama3",
    "mistral": "mistral [INST]",
    "gemma": "gemma",
    "phi3": "phi3",
    "alpaca": "alpaca (instruction/response)",
}


@dataclass
class ScanView:
    format: str = ""
    detected: bool = True
    row_count: int = 0
    examples: list[Any] = field(default_factory=list)
    bad_rows: list[str] = field(default_factory=list)
    bad_count: int = 0
    complete: bool = True
    error: str | None = None


# --- paths ---------------------------------------------------------------------------------------------------
def browse_root(state: WizardState) -> Path:
    """Where the file tree starts: the config's folder as the user named it (or the working directory)."""
    if state.browse_root is not None:
        return state.browse_root
    return state.source_path.parent if state.source_path else Path(".")


def is_local_path(state: WizardState, path: str) -> bool:
    candidate = Path(path).expanduser()
    return path.startswith((".", "/", "~")) or (base_dir(state) / candidate).exists() or candidate.exists()


def display_path(state: WizardState, path: Path) -> str:
    """A chosen file as the config should name it: relative to the config's folder when inside it."""
    try:
        return os.path.relpath(path.resolve(), base_dir(state))
    except ValueError:
        return str(path)


# --- format and template ---------------------------------------------------------------------------------------
def dataset_types() -> list[str]:
    from ftui.core.config.choices import DATASET_TYPES

    return list(DATASET_TYPES)


def dataset_type_value(state: WizardState) -> str | None:
    value = state.dataset.get("type")
    return value if isinstance(value, str) else None


def set_dataset_type(state: WizardState, value: str | None) -> None:
    state.set_dataset(type=value)


def _canonical(name: str | None) -> str | None:
    if not name:
        return None
    from ftui.core.templates import canonical_name

    canonical = canonical_name(name)
    return "tokenizer_default" if canonical == "tokenizer" else canonical


def template_value(state: WizardState, facts: Any) -> str:
    """The template the config selects (the same rule core's `template_for` applies)."""
    if dataset_type_value(state) == "alpaca":
        return "alpaca"
    return _canonical(state.get("chat_template")) or "tokenizer_default"


def set_template(state: WizardState, value: str) -> None:
    if value == "alpaca":
        state.set_dataset(type="alpaca")
        state.set("chat_template", None)
        return
    if dataset_type_value(state) == "alpaca":
        state.set_dataset(type=None)  # alpaca rows rendered with a chat template: let the format be detected
    state.set("chat_template", value)


def template_options(facts: Any, state: WizardState) -> list[tuple[str, str]]:
    """The model's own template first for instruct models (alpaca first for base models)."""
    instruct = bool(getattr(facts, "instruct", True))
    chats = ["chatml", "llama3", "mistral", "gemma", "phi3"]
    suggested = getattr(facts, "chat_template", None)
    if suggested in chats:
        chats.remove(suggested)
        chats.insert(0, suggested)
    order = ["tokenizer_default", *chats, "alpaca"] if instruct else ["alpaca", *chats, "tokenizer_default"]
    current = template_value(state, facts)
    if current not in order:
        order.append(current)
    return [(TEMPLATE_LABELS.get(name, name), name) for name in order]


def template_warning(state: WizardState, facts: Any) -> str | None:
    if facts is None:
        return None
    template = template_value(state, facts)
    if not facts.instruct and template != "alpaca":
        return (f"{facts.name} is a base model: it has never seen this chat format, so it learns it from "
                "scratch (fine with enough data; alpaca or an instruct model is the usual choice)")  # fmt: skip
    if facts.instruct and template == "alpaca":
        return (f"{facts.name} is an instruct model trained on its own chat template; alpaca prompts fight "
                "that format (choose the model's own chat template)")  # fmt: skip
    return None


# --- scanning -----------------------------------------------------------------------------------------------------
def scan_key(state: WizardState) -> tuple:
    entry = state.dataset
    return (
        str(entry.get("path") or ""),
        repr(entry.get("type")),
        str(base_dir(state)),
        repr(entry.get("field_messages")),
    )


def scan_dataset(state: WizardState) -> ScanView:
    """Read the first dataset entry: format, row count, bad rows (`file:line: reason`), a sample to browse."""
    from ftui.core.data import scan_dataset as scan

    try:
        found = scan(state.dataset, base_dir(state), sample_size=SAMPLE_EXAMPLES)
    except UserError as err:
        return ScanView(error=describe_error(err))
    except Exception as err:  # noqa: BLE001 - any reader failure is shown, never a traceback
        return ScanView(error=describe_error(err))
    return ScanView(
        format=found.format,
        detected=found.detected,
        row_count=found.rows,
        examples=list(found.sample),
        bad_rows=[str(bad) for bad in found.bad_rows[:10]],
        bad_count=found.bad_count,
        complete=found.complete,
    )


def scan_summary(scan: ScanView) -> str:
    if scan.error:
        return f"✗ {scan.error}"
    how = "detected" if scan.detected else "set by type"
    text = f"✓ {scan.format} ({how}), {scan.row_count:,} rows"
    if scan.bad_count:
        text = f"✗ {scan.format}, {scan.row_count:,} good rows, {scan.bad_count} bad:"
        text += "".join(f"\n  {bad}" for bad in scan.bad_rows)
        if scan.bad_count > len(scan.bad_rows):
            text += f"\n  … and {scan.bad_count - len(scan.bad_rows)} more"
    return text


# --- tokenizing -----------------------------------------------------------------------------------------------
def load_tokenizer(state: WizardState) -> Any:
    from ftui.core.tokenizer import load_tokenizer as load

    return load(dict(state.values), base_dir=str(base_dir(state)))


def mask_settings(state: WizardState) -> Any:
    from ftui.core.templates import MaskSettings

    return MaskSettings.from_config(state.values, state.dataset)


def preview_key(state: WizardState) -> tuple:
    entry = state.dataset
    return (
        template_value(state, None),
        bool(state.get("train_on_inputs")),
        repr(entry.get("roles_to_train")),
        repr(entry.get("train_on_eos")),
        repr(state.get("sequence_len")),
        repr(state.get("excess_length_strategy")),
    )


def _template(state: WizardState) -> Any:
    from ftui.core.templates import template_for

    return template_for(dataset_type_value(state), state.get("chat_template"))


def preview(state: WizardState, tokenizer: Any, scan: ScanView, index: int) -> Preview:
    """One example tokenized and masked with the current settings, with its loud warnings."""
    from ftui.core.templates import preview_example

    example = scan.examples[index]
    source = str(getattr(example, "source", "") or "")
    try:
        settings = mask_settings(state)
        tokenized = preview_example(example, _template(state), tokenizer, settings)
    except Exception as err:  # noqa: BLE001 - a template that cannot render this row is shown as such
        return Preview(tokens=[], warnings=[describe_error(err)], source=source)
    tokens = records_from(tokenized.tokens)
    status = ""
    if tokenized.stats.truncated:
        status = f"truncated from {tokenized.stats.original_tokens} to {settings.sequence_len} tokens"
    elif tokenized.stats.over_length:
        status = f"dropped in training: {len(tokens)} tokens > sequence_len {settings.sequence_len}"
    return Preview(tokens=tokens, warnings=mask_warnings(tokens), status=status, source=source)


def dataset_stats(
    state: WizardState, tokenizer: Any, scan: ScanView | None, cancelled: Callable[[], bool]
) -> DatasetStats:
    """Tokenize the sampled examples with the current settings and summarize them."""
    if scan is None or tokenizer is None or not scan.examples:
        return DatasetStats(error="no data")
    from ftui.core.templates import Tokenizing

    try:
        job = Tokenizing(_template(state), tokenizer, mask_settings(state))
        results = []
        for start in range(0, len(scan.examples), 200):
            if cancelled():
                return DatasetStats(error="cancelled")
            for tokenized in job.run(scan.examples[start : start + 200]):
                limited = job.limit_length(tokenized)
                if limited is None:
                    results.append((tokenized.input_ids, tokenized.labels, "dropped"))
                else:
                    status = "truncated" if limited.stats.truncated else ""
                    results.append((limited.input_ids, limited.labels, status))
    except Exception as err:  # noqa: BLE001
        return DatasetStats(error=describe_error(err))
    return summarize(results, sampled=len(scan.examples) < scan.row_count)
