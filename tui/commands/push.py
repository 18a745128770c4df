"""`ftui push RUN_DIR [--merged] [--repo ID] [--private|--public]`: push a run's model to the Hugging Face Hub.

The run's final model (its adapter, or the full model) or, with --merged, RUN_DIR/merged, goes up in one
commit with a model card generated from the run (core/model_card.py). The repo defaults to the run's
`hub_model_id`. Without a token or a network: one clear message, exit 1, nothing local is touched.
"""

from __future__ import annotations

import argparse
import sys


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("run_dir", help="a run's output_dir (holds the saved model and config.yml)")
    parser.add_argument("--merged", action="store_true", help="push RUN_DIR/merged (`ftui merge` writes it)")
    parser.add_argument("--repo", default=None, help="USER/NAME on the Hub (default: the run's hub_model_id)")
    visibility = parser.add_mutually_exclusive_group()
    visibility.add_argument(
        "--private", dest="private", action="store_true", default=None, help="create the repo private"
    )
    visibility.add_argument("--public", dest="private", action="store_false", help="create the repo public")


def run(args: argparse.Namespace) -> int:
    from ftui.core.hub_push import endpoint, push_run

    what = "merged model" if args.merged else "model"
    print(f"pushing the {what} of {args.run_dir} to {endpoint()} ...", file=sys.stderr)
    result = push_run(args.run_dir, repo_id=args.repo, merged=args.merged, private=args.private)
    print(f"pushed {result.files} files to {result.repo_id} (commit {result.commit})", file=sys.stderr)
    print(result.url)
    return 0
