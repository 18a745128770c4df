"""`ftui train CONFIG [--resume] [--max-steps N] [--num-processes N]`: run one training from a config."""

from __future__ import annotations

import argparse
import os
import sys


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("config", help="the YAML config (Axolotl keys), or `demo` for the shipped demo")
    parser.add_argument("--resume", action="store_true", help="continue from the last complete checkpoint")
    parser.add_argument(
        "--max-steps", type=int, default=None, help="stop after N optimizer steps (overrides max_steps)"
    )
    parser.add_argument(
        "--num-processes",
        type=int,
        default=None,
        help="train with N processes through `accelerate launch` (DDP)",
    )
    parser.add_argument(
        "--quiet", action="store_true", help="no progress lines on stderr (events.jsonl only)"
    )
    parser.add_argument(
        "--print-launch-command",
        action="store_true",
        help="print the accelerate command for --num-processes and exit",
    )


def run(args: argparse.Namespace) -> int:
    import warnings

    warnings.filterwarnings("ignore", category=FutureWarning)  # library deprecation notices, not for users
    from ftui.core.config import load_config

    loaded = load_config(args.config)
    for warning in loaded.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    processes = args.num_processes or getattr(loaded.config, "num_processes", 1) or 1
    if processes > 1 and "LOCAL_RANK" not in os.environ:
        from ftui.core.train.launch import accelerate_command

        command = accelerate_command(
            loaded.config,
            args.config,
            processes,
            resume=args.resume,
            max_steps=args.max_steps,
            entry=("-m", "ftui.tui.cli"),
        )
        if args.print_launch_command:
            print(" ".join(command))
            return 0
        sys.stdout.flush()
        sys.stderr.flush()
        os.execvp(command[0], command)  # the launcher replaces this process: signals reach it directly
    from ftui.core.train.runner import run_training

    result = run_training(
        loaded.config,
        config_dir=loaded.path.resolve().parent if loaded.path else None,
        resume=args.resume,
        max_steps=args.max_steps,
        quiet=args.quiet,
    )
    return result.exit_code
