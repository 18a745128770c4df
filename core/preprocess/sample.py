"""The wizard's way from a config draft to tokens: the same reading of the config, template choice, mask
settings, length rule and stats collector as `prepare_dataset` (and so `ftui preprocess`, `ftui debug` and
training), applied to the rows the Data step has read. Nothing here decides a template on its own.

    config = draft_config(values, base_dir)          # FtuiConfig with schema defaults, legacy keys read
    job = first_job(config, tokenizer)                # the first datasets[] entry's Tokenizing job
    tokenized = preview_row(job, example)             # one example as `ftui debug` shows it
    sampled = sample_stats(config, job, examples)     # DatasetStats as `ftui preprocess` counts them
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from ftui.core.errors import UserError
from ftui.core.preprocess.stats import DatasetStats, StatsCollector

# Top-level keys the draft keeps when other keys are still invalid: what changes tokens, plus the model.
_TOKEN_ONLY_EXTRA = ("base_model", "datasets", "pretraining_dataset", "test_datasets")


def draft_config(values: Mapping[str, Any], base_dir: str | Path) -> Any:
    """The wizard's values read the way `ftui preprocess` reads the saved file (legacy spellings, schema
    defaults, DatasetConfig entries). When keys that do not touch tokens are still invalid (another step
    is being edited) the token settings alone are read; a problem in those is a `UserError`."""
    text = json.dumps(values, sort_keys=True, default=str)
    return _draft(text, str(base_dir))


@lru_cache(maxsize=16)
def _draft(text: str, base_dir: str) -> Any:
    from ftui.core.config.legacy import normalize_legacy
    from ftui.core.config.schema import SKIP_RULES, FtuiConfig
    from ftui.core.fingerprint import TOKEN_SETTINGS
    from pydantic import ValidationError

    data, _ = normalize_legacy(json.loads(text))
    data["datasets"] = [entry for entry in data.get("datasets") or [] if entry]
    context = {SKIP_RULES: True}
    try:
        config = FtuiConfig.model_validate(data, context=context)
    except ValidationError:
        keys = (*TOKEN_SETTINGS, *_TOKEN_ONLY_EXTRA)
        tokens_only = {key: data[key] for key in keys if key in data}
        tokens_only.setdefault("base_model", "draft")  # the tokenizer is loaded on its own
        try:
            config = FtuiConfig.model_validate(tokens_only, context=context)
        except ValidationError as err:
            raise UserError(_first_problem(err), hint="fix this key on the Data step") from None
    config.base_dir = Path(base_dir)
    return config


def _first_problem(err: Any) -> str:
    item = err.errors()[0]
    key = ".".join(str(part) for part in item.get("loc", ()))
    return f"{key}: {str(item.get('msg', 'invalid')).removeprefix('Value error, ')}"


def first_job(config: Any, tokenizer: Any) -> Any:
    """The Tokenizing job of the config's first `datasets[]` entry (template, masks, length), from the
    same `jobs_for` preprocessing uses."""
    from ftui.core.preprocess.tokenize_datasets import jobs_for

    if not config.datasets:
        raise UserError("the config has no `datasets:`", hint="choose a data file, folder or hub dataset")
    _, job = next(jobs_for(config, tokenizer, config.datasets[:1]))
    return job


def preview_row(job: Any, example: Any) -> Any:
    """One example as `ftui debug` shows it: masked, truncated when the config says so, over-length kept."""
    tokenized = job.run([example])[0]
    limited = job.limit_length(tokenized)
    return limited if limited is not None else tokenized


@dataclass
class SampleStats:
    """`ftui preprocess`'s stats for the rows read so far, plus their lengths (for a histogram)."""

    stats: DatasetStats
    lengths: list[int] = field(default_factory=list)
    rows: list[tuple[list[int], list[int]]] = field(default_factory=list)  # kept (input_ids, labels)


def sample_stats(
    config: Any,
    job: Any,
    examples: Sequence[Any],
    cancelled: Callable[[], bool] = lambda: False,
    bad_rows: int = 0,
    chunk: int = 200,
) -> SampleStats | None:
    """Tokenize `examples` through preprocessing's row rule (drop / truncate / split, dedupe) into its
    collector; None when `cancelled()` turns true. Curation that needs the whole dataset (dataset_drop,
    near deduplication) is not applied here. Raises preprocessing's UserErrors (nothing left, val split)."""
    from ftui.core.preprocess.stats import no_rows_left
    from ftui.core.preprocess.tokenize_datasets import kept_rows, split_indices

    collector = StatsCollector(config.sequence_len)
    dedupe = bool(getattr(config, "dataset_exact_deduplication", False))
    rows: list[tuple[list[int], list[int]]] = []
    for start in range(0, len(examples), chunk):
        if cancelled():
            return None
        part = examples[start : start + chunk]
        for example, tokenized in zip(part, job.run(part), strict=True):
            for ids, labels, _mask in kept_rows(example, tokenized, job, collector, dedupe):
                rows.append((ids, labels))
    if not rows:
        raise no_rows_left(collector.result(0, 0, len(examples)))
    train, val = split_indices(len(rows), config.val_set_size, config.seed)
    stats = collector.result(len(train), len(val), len(examples))
    stats.bad_rows = bad_rows
    return SampleStats(stats=stats, lengths=list(collector.lengths), rows=rows)
