"""`ftui judge RUN_DIR|CONFIG --judge MODEL [--judge-url URL] [--critiques FILE]`: a judge model's verdict and
critique per generation of a run (or per row of a config's datasets), with the human critiques as examples,
and how often it agrees with the human verdicts. Writes RUN_DIR/judgements.jsonl (or --out).

The endpoint's key comes from OPENAI_API_KEY or the variable named by --judge-key-env; it is never written.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

USER_ERROR_EXIT = 2


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("target", help="a run folder (its generations) or a YAML config (its dataset rows)")
    parser.add_argument(
        "--judge",
        required=True,
        metavar="MODEL",
        help="the judge: a local model (folder, .gguf, hub id cached offline, `embedded`), or "
        "with --judge-url the endpoint's model name",
    )
    parser.add_argument(
        "--judge-url", metavar="URL", help="an OpenAI-compatible API base, e.g. http://host:8000/v1"
    )
    parser.add_argument(
        "--judge-key-env",
        metavar="NAME",
        help="environment variable holding the key (default OPENAI_API_KEY)",
    )
    parser.add_argument(
        "--critiques",
        type=Path,
        metavar="FILE",
        help="human critiques (.jsonl or .csv) used as examples and for agreement "
        "(default: RUN_DIR/critiques.jsonl)",
    )
    parser.add_argument(
        "--out", type=Path, help="where to write the judgements (default RUN_DIR/judgements.jsonl)"
    )
    parser.add_argument(
        "--shots", type=int, default=6, help="critiques shown to the judge as examples (default 6)"
    )
    parser.add_argument("--limit", type=int, metavar="N", help="judge at most N generations or rows")
    parser.add_argument("--max-new-tokens", type=int, default=200, help="longest judge reply (default 200)")
    parser.add_argument("--json", action="store_true", help="print the agreement summary as JSON")
    # fmt: skip


def run(args: argparse.Namespace) -> int:
    from ftui.core.errors import UserError

    try:
        return _judge(args)
    except UserError as err:
        print(err.format(), file=sys.stderr)
        return USER_ERROR_EXIT


def _items(args: argparse.Namespace, critiques: list[Any]) -> tuple[list[Any], Path]:
    from ftui.core.config import load_config
    from ftui.core.errors import UserError
    from ftui.core.quality.judge_sources import items_from_rows, items_from_run
    from ftui.core.runs.layout import JUDGEMENTS_FILE

    target = Path(args.target)
    if target.is_dir():
        items = items_from_run(target, critiques)
        out = args.out or target / JUDGEMENTS_FILE
    elif target.is_file():
        config = load_config(target).config
        items = items_from_rows(config, critiques, args.limit)
        out = args.out or target.with_name(target.stem + "." + JUDGEMENTS_FILE)
    else:
        raise UserError(f"{target} is neither a run folder nor a config file")
    if args.limit is not None:
        items = items[: args.limit]
    if not items:
        raise UserError(
            f"nothing to judge in {target}", "a run needs eval samples (eval_table_size) or critiques"
        )
    return items, out


def _judge(args: argparse.Namespace) -> int:
    from ftui.core.quality.critiques import read_critiques
    from ftui.core.quality.judge import agreement, run_judge
    from ftui.core.quality.judge_models import endpoint_judge, local_judge
    from ftui.core.quality.judge_sources import write_judgements

    target = Path(args.target)
    source = args.critiques or (target if target.is_dir() else None)
    critiques = read_critiques(source) if source is not None else []
    items, out = _items(args, critiques)
    if args.judge_url:
        ask, info = endpoint_judge(
            args.judge_url, args.judge, args.judge_key_env, max_tokens=args.max_new_tokens
        )
    else:
        print(f"loading the judge model {args.judge}…", file=sys.stderr)
        ask, info = local_judge(args.judge, max_new_tokens=args.max_new_tokens)
    from tqdm import tqdm

    with tqdm(total=len(items), desc="judging", unit="item", file=sys.stderr, disable=None) as bar:

        def progress(done: int, total: int) -> None:
            bar.n = done
            bar.refresh()

        judgements = run_judge(items, critiques, ask, info, shots=args.shots, progress=progress)
    write_judgements(out, judgements)
    summary = {"judged": len(judgements), "bad": sum(1 for j in judgements if j.verdict == "bad"),
               "good": sum(1 for j in judgements if j.verdict == "good"), "out": str(out), **agreement(judgements)}  # fmt: skip
    if args.json:
        print(json.dumps(summary))
        return 0
    print(f"judged {summary['judged']}: {summary['good']} good, {summary['bad']} bad -> {out}")
    if summary["judged"] - summary["good"] - summary["bad"]:
        print(
            f"  {summary['judged'] - summary['good'] - summary['bad']} replies named no verdict (see `raw`)"
        )
    if summary["agreement"] is not None:
        print(
            f"  agreement with the human verdicts: {summary['agreement']:.0%} of {summary['compared']} "
            f"(Cohen's kappa {summary['kappa']})"
        )
    else:
        print("  no human verdicts to compare with (mark generations in the monitor or chat, or --critiques)")
    return 0
