"""`ftui data audit|clean|critiques`: find what is wrong with a config's data, write a curated copy, and move
human critiques of generations in and out of a spreadsheet.

    ftui data audit CONFIG [--assert FILE.py:FUNC] [--json]     exit 0 when the audit ran, 2 on a user error
    ftui data clean CONFIG --drop KINDS --out FILE [--judgements FILE]
    ftui data critiques RUN_DIR [--csv FILE | --import FILE]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from ftui.tui.commands.progress import ProgressBar

USER_ERROR_EXIT = 2
SHOW = 8


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    audit = sub.add_parser("audit", help="list duplicates, empty answers, assertion failures, ... per row")
    _audit_options(audit)
    audit.add_argument("--json", action="store_true", help="print one JSON object (docs/quality.md)")
    clean = sub.add_parser("clean", help="write the rows that are kept, byte for byte, plus a report")
    _audit_options(clean)
    clean.add_argument(
        "--drop",
        action="append",
        required=True,
        metavar="KINDS",
        help="comma-separated kinds to drop (may be repeated); `ftui data audit` lists them",
    )
    clean.add_argument(
        "--out", required=True, type=Path, help="the curated file (a folder for several files)"
    )
    clean.add_argument(
        "--judgements", type=Path, help="judgements.jsonl from `ftui judge CONFIG` (judge_failed)"
    )
    critiques = sub.add_parser(
        "critiques", help="list, export (--csv) or import (--import) a run's critiques"
    )
    critiques.add_argument("run_dir", type=Path, help="the run folder (its critiques.jsonl)")
    group = critiques.add_mutually_exclusive_group()
    group.add_argument("--csv", type=Path, metavar="FILE", help="write the critiques as a spreadsheet")
    group.add_argument(
        "--import", dest="import_csv", type=Path, metavar="FILE", help="read a spreadsheet's edits back"
    )
    # fmt: skip


def _audit_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("config", help="the YAML config (Axolotl keys)")
    parser.add_argument(
        "--assert",
        dest="assertion",
        metavar="FILE.py:FUNC",
        help="assertion function for assertion_failed (default: the config's eval_assertions)",
    )
    parser.add_argument(
        "--no-tokens",
        action="store_true",
        help="do not load the tokenizer (too_long and no_trainable_tokens are skipped)",
    )
    parser.add_argument(
        "--near-threshold",
        type=float,
        metavar="J",
        help="similarity at or above which rows are near duplicates (default 0.7)",
    )
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="an audit setting (see dataset_quality in docs/config.md); may be repeated",
    )
    # fmt: skip


def run(args: argparse.Namespace) -> int:
    from ftui.core.errors import UserError

    try:
        if args.action == "audit":
            return _audit(args)
        if args.action == "clean":
            return _clean(args)
        return _critiques(args)
    except UserError as err:
        print(err.format(), file=sys.stderr)
        return USER_ERROR_EXIT


def _settings(args: argparse.Namespace, config: Any) -> Any:
    from ftui.core.errors import ConfigUserError
    from ftui.core.quality import AuditSettings

    overrides: dict[str, Any] = {}
    for item in args.set:
        name, sep, value = item.partition("=")
        if not sep:
            raise ConfigUserError(f"--set {item!r} must look like NAME=VALUE")
        overrides[name.strip()] = (
            float(value) if "." in value else int(value) if value.strip().isdigit() else value
        )
    try:
        return AuditSettings.from_config(config, near_threshold=args.near_threshold, **overrides)
    except (ValueError, TypeError) as exc:
        raise ConfigUserError(f"audit settings: {exc}") from None


def run_audit(args: argparse.Namespace, needs_tokens: bool = True) -> Any:
    from ftui.core.assertions import load_assertion
    from ftui.core.config import load_config
    from ftui.core.quality import audit_config

    loaded = load_config(args.config)
    for warning in loaded.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    config = loaded.config
    assertion = load_assertion(args.assertion, Path.cwd(), key="--assert") if args.assertion else None
    with ProgressBar("auditing") as bar:
        return audit_config(
            config,
            settings=_settings(args, config),
            assertion=assertion,
            use_tokens=needs_tokens and not args.no_tokens,
            progress=bar.update_fraction,
        )


def _audit(args: argparse.Namespace) -> int:
    report = run_audit(args)
    if args.json:
        print(json.dumps(report.to_json(), ensure_ascii=False))
    else:
        print(format_audit(report))
    return 0


def format_audit(report: Any) -> str:
    """Per kind: how many rows, and the first few as file:line with the reason."""
    from ftui.core.quality import KINDS

    counts = report.counts()
    total = len(report.rows)
    flagged = len(report.flags)
    lines = [f"audited {total:,} rows in {len(report.files)} file(s): {flagged:,} flagged"]
    for kind in KINDS:
        if kind in report.skipped:
            lines.append(f"  {kind:<28} skipped: {report.skipped[kind]}")
            continue
        lines.append(f"  {kind:<28} {counts.get(kind, 0):>7,}")
        for row in report.rows_of(kind)[:SHOW]:
            flag = report.flags[row]
            where = f"{report.files[report.rows.file[row]].display}:{report.rows.line[row]}"
            detail = flag.reasons.get(kind, "")
            if flag.partner is not None and kind in ("exact_duplicate", "near_duplicate"):
                detail = f"repeats line {report.where(flag.partner, report.rows.file[row])} {detail}".strip()
            lines.append(f"      {where}  {detail}"[:160])
        if counts.get(kind, 0) > SHOW:
            lines.append(f"      … and {counts[kind] - SHOW:,} more (--json lists all)")
    return "\n".join(lines)


def _clean(args: argparse.Namespace) -> int:
    from ftui.core.errors import ConfigUserError
    from ftui.core.quality import JUDGE_FAILED, TOKEN_KINDS, parse_kinds
    from ftui.core.quality.clean import clean_dataset
    from ftui.core.quality.judge_sources import flag_judged_rows

    try:
        kinds = parse_kinds(args.drop)
    except ValueError as exc:
        raise ConfigUserError(f"--drop: {exc}") from None
    if JUDGE_FAILED in kinds and args.judgements is None:
        raise ConfigUserError("--drop judge_failed needs --judgements FILE (from `ftui judge CONFIG`)")
    report = run_audit(args, needs_tokens=any(kind in TOKEN_KINDS for kind in kinds))
    if args.judgements is not None:
        flag_judged_rows(report, args.judgements)
    result = clean_dataset(report, kinds, args.out)
    detail = ", ".join(f"{kind} {n:,}" for kind, n in result.by_kind.items() if n)
    print(f"kept {result.kept:,} rows, dropped {result.dropped:,}" + (f" ({detail})" if detail else ""))
    for path in result.outputs:
        print(f"  wrote {path}")
    print(f"  report {result.report_path}")
    return 0


def _critiques(args: argparse.Namespace) -> int:
    from ftui.core.errors import UserError
    from ftui.core.quality.critiques import critiques_path, export_csv, import_csv, read_critiques

    if not args.run_dir.is_dir():
        raise UserError(
            f"run folder not found: {args.run_dir}", "pass a run's output_dir (see `ftui monitor`)"
        )
    if args.import_csv is not None:
        updated, added = import_csv(args.run_dir, args.import_csv)
        print(
            f"imported {args.import_csv}: {updated} updated, {added} added -> {critiques_path(args.run_dir)}"
        )
        return 0
    critiques = read_critiques(args.run_dir)
    if args.csv is not None:
        export_csv(critiques, args.csv)
        print(f"wrote {len(critiques)} critiques to {args.csv}")
        return 0
    good = sum(1 for c in critiques if c.verdict == "good")
    bad = sum(1 for c in critiques if c.verdict == "bad")
    print(f"{len(critiques)} critiques in {critiques_path(args.run_dir)}: {good} good, {bad} bad")
    for c in critiques[:20]:
        mark = {"good": "✓", "bad": "✗"}.get(c.verdict or "", "·")
        print(f"  {mark} [{c.step if c.step is not None else '-'}] {' '.join(c.prompt.split())[:60]}")
        if c.critique:
            print(f"      {' '.join(c.critique.split())[:100]}")
    return 0
