"""`ftui check CONFIG [--json]`: validate a config and say what ftui will do with it.

No model is loaded and nothing goes to the network; torch and transformers are never imported. Exit 0 when
the config opens (no errors), 2 otherwise. With --json exactly one JSON object is printed, whatever
happens: {ok, errors, warnings, ignored_keys, unsupported}.
"""

from __future__ import annotations

import argparse
import json


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("config", help="the YAML config (Axolotl keys), or `demo` for the shipped demo")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of text")


def run(args: argparse.Namespace) -> int:
    from ftui.core.config import check_config

    report = check_config(args.config)
    if args.json:
        print(json.dumps(report.as_json(), indent=1))
    else:
        print(render(report))
    return 0 if report.ok else 2


def render(report) -> str:
    """The human-readable report: verdict, what ftui will do, then every list with a reason."""
    path = report.path
    lines = []
    if not report.ok:
        count = len(report.errors)
        lines.append(f"{path}: {count} error{'s' if count != 1 else ''}; the config does not open")
    elif report.unsupported:
        lines.append(f"{path}: opens; `ftui train` refuses it (features ftui cannot train yet, below)")
    else:
        lines.append(f"{path}: ok; `ftui train` can run it")
    for line in report.summary:
        lines.append(f"  {line}")

    def where(p) -> str:
        return f"{path}:{p.line}: " if p.line is not None else f"{path}: "

    sections = [
        ("errors", [f"{where(p)}{p.key + ': ' if p.key else ''}{p.message}" for p in report.errors]),
        ("warnings", [f"{where(p)}{p.key + ': ' if p.key else ''}{p.message}" for p in report.warnings]),
        (
            "unsupported (ftui train refuses)",
            [f"{u.key}: {u.feature} - {u.message}" for u in report.unsupported],
        ),
        ("ignored (read, no effect on training)", [f"{i.key}: {i.reason}" for i in report.ignored]),
    ]
    for title, items in sections:
        if items:
            lines.append(f"{title}:")
            lines += [f"  {item}" for item in items]
    return "\n".join(lines)
