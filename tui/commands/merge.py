"""`ftui merge RUN_DIR [--out DIR]`: merge a run's LoRA adapter into its base model."""

from __future__ import annotations

import argparse
import sys


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("run_dir", help="a run's output_dir (holds the adapter and ftui_run.json)")
    parser.add_argument(
        "--out", default=None, help="where to write the merged model (default RUN_DIR/merged)"
    )
    parser.add_argument(
        "--dtype",
        default="auto",
        choices=("auto", "float32", "float16", "bfloat16"),
        help="precision of the merged weights (auto: the base model's own)",
    )


def run(args: argparse.Namespace) -> int:
    import warnings

    warnings.filterwarnings("ignore", category=FutureWarning)  # library deprecation notices, not for users
    from ftui.core.merge import merge_run

    print(f"merging the adapter of {args.run_dir} into its base model ...", file=sys.stderr)
    target = merge_run(args.run_dir, args.out, dtype=args.dtype)
    print(f"merged model saved to {target}", file=sys.stderr)
    print(target)
    return 0
