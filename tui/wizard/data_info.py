"""Data-side logic for the wizard: paths, dataset scans, token previews and dataset stats, all in terms of the
state (the format and template choice: data_template.py). Scans and stats run in workers; one preview is fast
enough to run inline."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ftui.core.errors import UserError
from ftui.core.labels import IGNORE_INDEX
from ftui.tui.widgets.token_view import records_from
from ftui.tui.wizard.config_io import base_dir
from ftui.tui.wizard.model_info import describe_error
from ftui.tui.wizard.previews import Preview, StatsView, length_histogram, mask_warnings, stats_view
from ftui.tui.wizard.state import WizardState

SAMPLE_EXAMPLES = 2000  # examples kept for browsing and dataset stats (the row count covers every row)
# Keys of a datasets[] entry that change how rows are tokenized, not which rows are read.
TOKEN_ENTRY_KEYS = ("chat_template", "chat_template_jinja", "roles_to_train", "train_on_eos", "train_on_eot")


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


# --- the config as core reads it -------------------------------------------------------------------------
def draft(state: WizardState) -> Any:
    """The state as `ftui preprocess` would read the saved config (core's reading, cached per content)."""
    from ftui.core.preprocess.sample import draft_config

    return draft_config(state.values, base_dir(state))


# --- scanning -----------------------------------------------------------------------------------------------------
def scan_key(state: WizardState) -> tuple:
    """What decides which rows are read: the entry without its template and mask keys, and the folder."""
    entry = {k: v for k, v in state.dataset.items() if k not in TOKEN_ENTRY_KEYS}
    return (json.dumps(entry, sort_keys=True, default=str), str(base_dir(state)))


def _preference_method(state: WizardState) -> str | None:
    from ftui.core.preference.methods import SFT, method_name

    method = method_name(state.values)
    return None if method == SFT else method


def _scan_preference(state: WizardState, method: str) -> ScanView:
    """Preference rows (rl:): pairs (KTO: labelled completions) instead of SFT examples."""
    from ftui.core.preference.preview import scan

    try:
        found = scan(state.dataset, base_dir(state), method, sample_size=SAMPLE_EXAMPLES)
    except Exception as err:  # noqa: BLE001 - any reader failure is shown, never a traceback
        return ScanView(error=describe_error(err))
    return ScanView(
        format=found.format,
        detected=state.dataset.get("type") is None,
        row_count=found.rows,
        examples=found.sample,
        bad_rows=found.bad_rows,
        bad_count=found.bad_count,
        complete=found.complete,
    )


def scan_dataset(state: WizardState) -> ScanView:
    """Read the first dataset entry: format, row count, bad rows (`file:line: reason`), a sample to browse."""
    from ftui.core.data import scan_dataset as scan

    if (method := _preference_method(state)) is not None:
        return _scan_preference(state, method)

    try:
        entry: Any = state.dataset
        try:
            entry = draft(state).datasets[0]  # the entry as core reads it (legacy spellings, defaults)
        except Exception:  # noqa: BLE001 - core cannot read the draft yet: its problems show elsewhere
            pass
        found = scan(entry, base_dir(state), sample_size=SAMPLE_EXAMPLES)
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

    try:
        config: Any = draft(state)  # the config as `ftui preprocess` reads it (special tokens included)
    except Exception:  # noqa: BLE001 - core cannot read the draft yet: load from the raw values
        config = dict(state.values)
    return load(config, base_dir=str(base_dir(state)))


def preview_key(state: WizardState) -> tuple:
    """Everything that changes tokens: the token settings core fingerprints, and the first entry."""
    from ftui.core.fingerprint import TOKEN_SETTINGS

    settings = {key: state.values.get(key) for key in TOKEN_SETTINGS}
    return (json.dumps([settings, state.dataset], sort_keys=True, default=str),)


def preview(state: WizardState, tokenizer: Any, scan: ScanView, index: int) -> Preview:
    """One example tokenized and masked as `ftui debug` shows it (core's job for the entry), with the loud
    warnings."""
    from ftui.core.preprocess.sample import first_job, preview_row

    example = scan.examples[index]
    if _preference_method(state) is not None:
        return _preference_preview(state, tokenizer, example)
    source = str(getattr(example, "source", "") or "")
    try:
        job = first_job(draft(state), tokenizer)
        tokenized = preview_row(job, example)
    except Exception as err:  # noqa: BLE001 - a template that cannot render this row is shown as such
        return Preview(tokens=[], warnings=[describe_error(err)], source=source)
    tokens = records_from(tokenized.tokens)
    limit = job.settings.sequence_len
    status = ""
    if tokenized.stats.truncated:
        status = f"truncated from {tokenized.stats.original_tokens} to {limit} tokens"
    elif tokenized.stats.over_length and example.kind == "completion":
        status = f"split in training into rows of {limit} tokens"
    elif tokenized.stats.over_length:
        status = f"dropped in training: {len(tokens)} tokens > sequence_len {limit}"
    elif tokenized.stats.trained_tokens == 0:
        status = "dropped in training: no trained token"
    return Preview(tokens=tokens, warnings=mask_warnings(tokens), status=status, source=source)


def _preference_preview(state: WizardState, tokenizer: Any, example: Any) -> Preview:
    from ftui.core.preference.preview import example_tokens

    source = str(getattr(example, "origin", "") or "")
    try:
        tokens, status = example_tokens(dict(state.values), state.dataset, tokenizer, example)
    except Exception as err:  # noqa: BLE001 - a template that cannot render this row is shown as such
        return Preview(tokens=[], warnings=[describe_error(err)], source=source)
    return Preview(tokens=records_from(tokens), status=status, source=source)


def dataset_stats(
    state: WizardState, tokenizer: Any, scan: ScanView | None, cancelled: Callable[[], bool]
) -> StatsView:
    """`ftui preprocess`'s stats (core's collector and row rule) for the rows the scan sampled."""
    if scan is None or tokenizer is None or not scan.examples:
        return StatsView(error="no data")
    if _preference_method(state) is not None:
        return _preference_stats(state, tokenizer, scan, cancelled)
    from ftui.core.preprocess.sample import first_job, sample_stats

    try:
        config = draft(state)
        job = first_job(config, tokenizer)
        sampled = sample_stats(config, job, scan.examples, cancelled, bad_rows=scan.bad_count)
    except Exception as err:  # noqa: BLE001
        return StatsView(error=describe_error(err))
    if sampled is None:
        return StatsView(error="cancelled")
    return stats_view(sampled, config, sampled=len(scan.examples) < scan.row_count)


def _preference_stats(
    state: WizardState, tokenizer: Any, scan: ScanView, cancelled: Callable[[], bool]
) -> StatsView:
    """The sampled pairs through core's stats collector, each as its longest sequence (prompt + the longer
    answer), so lengths compare with sequence_len."""
    from ftui.core.preference.dataset import Renderer
    from ftui.core.preference.preview import PlainConfig
    from ftui.core.preprocess.stats import StatsCollector

    try:
        config = PlainConfig(dict(state.values))
        renderer = Renderer(config, state.dataset, tokenizer)
        collector = StatsCollector(config.sequence_len)
        for row in scan.examples:
            if cancelled():
                return StatsView(error="cancelled")
            tokens = renderer.tokens(row)
            if tokens is None:
                collector.drop("too_long")
                continue
            answer = max(tokens.chosen_ids, tokens.rejected_ids or [], key=len)
            collector.add(
                tokens.prompt_ids + answer, [IGNORE_INDEX] * len(tokens.prompt_ids) + answer, bool(tokens.answer_cut)
            )
    except Exception as err:  # noqa: BLE001
        return StatsView(error=describe_error(err))
    kept = len(collector.lengths)
    stats = collector.result(kept, 0, len(scan.examples))
    stats.bad_rows = scan.bad_count
    histogram, low, high = length_histogram(list(collector.lengths))
    return StatsView(
        stats=stats,
        histogram=histogram,
        min_length=low,
        max_length=high,
        sampled=len(scan.examples) < scan.row_count,
    )
