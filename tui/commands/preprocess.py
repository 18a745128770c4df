"""`ftui preprocess CONFIG [--json] [--force]`: tokenize and mask the datasets once, save them for training.

A progress bar goes to stderr; stdout gets a short summary, or with --json one JSON object (path, rows,
dropped, truncated, total_tokens, trainable_tokens, length_percentiles, duplicates, and packing_efficiency
when sample_packing is on). A second run with the same data, tokenizer and settings reuses the saved copy.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from ftui.tui.commands.progress import ProgressBar


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("config", help="the YAML config (Axolotl keys)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of the summary")
    parser.add_argument("--force", action="store_true", help="tokenize again even if a saved copy matches")


def run(args: argparse.Namespace) -> int:
    from ftui.core.config import load_config
    from ftui.core.preprocess import prepare_dataset

    loaded = load_config(args.config)
    for warning in loaded.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if getattr(loaded.config, "rl", None) in ("dpo", "ipo", "simpo", "orpo", "kto"):
        return _preference(loaded.config, args.json)
    with ProgressBar("tokenizing") as bar:
        prepared = prepare_dataset(loaded.config, progress=bar.update, force=args.force)
    if args.json:
        print(json.dumps(prepared.summary()))
    else:
        print(format_summary(prepared.summary(), prepared.elapsed_s))
    return 0


def _preference(config: Any, as_json: bool) -> int:
    """Preference rows (rl:): read, render and tokenize them as the trainer will, and say what it gets."""
    from ftui.core.preference.dataset import load_preference_data, summary
    from ftui.core.tokenizer import load_tokenizer

    result = summary(load_preference_data(config, load_tokenizer(config)), config.rl)
    if as_json:
        print(json.dumps(result))
    else:
        print(
            f"rl: {config.rl}: {result['train_examples']} train / {result['eval_examples']} eval examples, "
            f"{result['dropped_too_long']} longer than sequence_len left out, {result['truncated']} truncated, "
            f"{result['bad_rows']} bad rows skipped; longest sequence {result['longest_sequence']} tokens "
            f"(median {result['median_sequence']}); tokenized again when training starts (`ftui debug` shows them)"
        )
    return 0


def format_summary(data: dict[str, Any], elapsed_s: float) -> str:
    """The human summary: where the dataset is, what was kept and dropped, tokens, lengths, packing."""
    how = "reused the saved copy" if data["reused"] else f"tokenized in {elapsed_s:.1f} s"
    trained_share = data["trainable_tokens"] / data["total_tokens"] if data["total_tokens"] else 0.0
    pct = data["length_percentiles"]
    lines = [
        f"prepared dataset: {data['path']} ({how})",
        f"  rows        {data['rows']:,} from {data['source_rows']:,} examples "
        f"(train {data['train_rows']:,}, validation {data['val_rows']:,})",
        f"  dropped     {data['dropped']:,} ({data['dropped_too_long']:,} longer than sequence_len "
        f"{data['sequence_len']}, {data['dropped_no_trainable']:,} with no trained tokens)",
        *_curated_lines(data),
        f"  truncated   {data['truncated']:,}",
        *(
            [f"  split       {data['split']:,} long texts into rows of {data['sequence_len']}"]
            if data.get("split")
            else []
        ),
        *([f"  bad rows    {data['bad_rows']:,} left out (skip_bad_rows)"] if data.get("bad_rows") else []),
        f"  tokens      {data['total_tokens']:,} total, {data['trainable_tokens']:,} trained ({trained_share:.1%})",
        f"  lengths     p50 {pct['p50']}, p90 {pct['p90']}, p99 {pct['p99']}, max {pct['max']}",
        f"  duplicates  {data['duplicates']:,} exact duplicate examples",
    ]
    if data.get("packing_efficiency") is not None:
        lines.append(
            f"  packing     {data['packing_efficiency']:.1%} efficient: {data['train_rows']:,} examples in "
            f"{data['packed_rows']:,} rows of {data['sequence_len']} tokens"
        )
    return "\n".join(lines)


def _curated_lines(data: dict[str, Any]) -> list[str]:
    """What dataset_exact_deduplication, dataset_near_deduplication and dataset_drop left out."""
    parts = [f"{kind} {count:,}" for kind, count in (data.get("dropped_quality") or {}).items() if count]
    if data.get("dropped_exact_duplicate"):
        parts.insert(
            0, f"{data['dropped_exact_duplicate']:,} identical tokenized rows (dataset_exact_deduplication)"
        )
    return [f"  curated     {', '.join(parts)}"] if parts else []
