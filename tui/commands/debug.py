"""`ftui debug CONFIG [-n N] [--json] [--text-only] [--tui]`: see what the model will be trained on.

Prints the first N examples token by token as Axolotl's `--debug` does: each token's text then
`(label, id)`, red when masked (label -100), green when trained, then `Total input len` and
`Count of labels`. `--text-only` prints the decoded text with the trained parts marked, `--json` every token
with its text, id, label, part and trained flag, `--tui` opens the wizard's token-mask view.
"""

from __future__ import annotations

import argparse
import json
import sys


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("config", help="the YAML config (Axolotl keys)")
    parser.add_argument("-n", "--num-examples", type=int, default=3, metavar="N", help="examples to show (3)")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--json", action="store_true", help="print one JSON object with every token")
    mode.add_argument("--text-only", action="store_true", help="the decoded text with trained parts marked")
    mode.add_argument("--tui", action="store_true", help="open the token-mask view of the wizard")
    parser.add_argument("--color", choices=("auto", "always", "never"), default="auto", help="ANSI colours")


def run(args: argparse.Namespace) -> int:
    from ftui.core.errors import UserError

    if args.num_examples < 1:
        raise UserError(f"-n must be at least 1, got {args.num_examples}", hint="e.g. ftui debug CONFIG -n 5")
    if args.tui:
        return _open_tui(args.config)

    from ftui.core.config import load_config
    from ftui.core.debug_dump import render_all, view_of
    from ftui.core.preprocess import preview_examples

    loaded = load_config(args.config)
    for warning in loaded.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    config = loaded.config
    from ftui.core.preference.methods import SFT, method_name

    if method_name(config) != SFT:
        return _preference(args, config)
    from ftui.core.light_tokenizer import load_light_tokenizer
    from ftui.core.preprocess.tokenize_datasets import jobs_for

    tokenizer = load_light_tokenizer(config)  # no transformers import once cached
    items = preview_examples(config, args.num_examples, tokenizer=tokenizer)
    for note in dict.fromkeys(n for _, job in jobs_for(config, tokenizer) for n in job.notes):
        print(f"note: {note}", file=sys.stderr)
    views = [view_of(item.index, item.origin, item.tokenized) for item in items]
    if args.json:
        examples = []
        for item, view in zip(items, views, strict=True):
            data = view.to_dict()
            data["over_length"] = item.over_length
            data["truncated"] = bool(item.tokenized.stats.truncated)
            data["length_note"] = item.length_note(config.sequence_len)
            examples.append(data)
        print(
            json.dumps(
                {"config": str(args.config), "sequence_len": config.sequence_len, "examples": examples}
            )
        )
        return 0
    color = args.color == "always" or (args.color == "auto" and sys.stdout.isatty())
    sys.stdout.write(render_all(views, color=color, text_only=args.text_only))
    for item in items:
        note = item.length_note(config.sequence_len)
        if note:
            print(f"note: example {item.index} ({item.origin}) is {note}", file=sys.stderr)
    return 0


def _preference(args: argparse.Namespace, config) -> int:
    """Preference data: prompt + chosen and prompt + rejected (KTO: the completion) per example."""
    from ftui.core.preference import debug
    from ftui.core.preference.dataset import preview
    from ftui.core.templates.tokenizer_info import tokenizer_info
    from ftui.core.tokenizer import load_tokenizer

    tokenizer = load_tokenizer(config)
    examples, bad, counts = preview(config, tokenizer, args.num_examples)
    info = tokenizer_info(tokenizer)
    for row in bad.rows[:10]:
        print(f"bad row: {row}", file=sys.stderr)
    if counts.dropped_long:
        print(
            f"note: {counts.dropped_long} example(s) longer than sequence_len {config.sequence_len} left out "
            "(excess_length_strategy: drop)",
            file=sys.stderr,
        )
    if args.json:
        payload = {
            "config": str(args.config),
            "method": config.rl,
            "sequence_len": config.sequence_len,
            "max_prompt_len": config.max_prompt_len,
            "examples": debug.as_json(examples, info),
        }
        print(json.dumps(payload))
        return 0
    color = args.color == "always" or (args.color == "auto" and sys.stdout.isatty())
    sys.stdout.write(debug.render(examples, info, color=color, text_only=args.text_only))
    return 0


def _open_tui(config_path: str) -> int:
    from ftui.core.errors import UserError

    try:
        from ftui.tui.app import run_token_view
    except ImportError as err:
        raise UserError(
            f"the TUI's token view is not available in this build ({err})",
            hint=f"run `ftui debug {config_path}` for the terminal dump, or `ftui {config_path}` for the wizard",
        ) from None
    return run_token_view(config_path)
