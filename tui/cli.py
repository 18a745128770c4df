"""The `ftui` command line.

`ftui` alone (or `ftui CONFIG.yml`) opens the wizard; `ftui COMMAND ...` runs a headless command.
Each command lives in `ftui.tui.commands.<name>` and is imported only when it runs, so `ftui --help`
never pays for torch, transformers or Textual.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

from ftui.core.errors import UserError
from ftui.core.paths import config_argument

# name -> one-line help. The module ftui.tui.commands.<name> defines add_arguments(parser) and run(args) -> int.
COMMANDS: dict[str, str] = {
    "check": "validate a config (no model, no network) and say what ftui will do with it",
    "train": "train a model from a config (LoRA, QLoRA or full), writing events.jsonl and checkpoints",
    "preprocess": "tokenize and mask a config's datasets and save them for training",
    "debug": "show tokens and their training mask for a few examples",
    "estimate": "estimate training memory for a config or a model, per GPU",
    "monitor": "watch a run directory live (or list runs)",
    "merge": "merge a run's LoRA adapter into its base model",
    "push": "push a run's model (or its merged model) to the Hugging Face Hub with a model card",
    "export": "export a run as a GGUF file (f16, q8_0, q4_0...) with an Ollama Modelfile",
    "chat": "chat with a trained run (or its base model)",
    "data": "audit a config's data (duplicates, empty answers, assertions...), curate it, export critiques",
    "judge": "ask a judge model for verdicts on a run's generations or a config's rows, and its agreement",
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ftui",
        description="Fine-tune LLMs from the terminal. Run `ftui` or `ftui CONFIG.yml` to open the wizard.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, help_text in COMMANDS.items():
        sub.add_parser(name, help=help_text, description=help_text, add_help=False)
    return parser


def _command_parser(name: str, module) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=f"ftui {name}", description=COMMANDS[name])
    module.add_arguments(parser)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in COMMANDS:
        name = argv[0]
        module = importlib.import_module(f"ftui.tui.commands.{name}")
        args = _command_parser(name, module).parse_args(argv[1:])
        if isinstance(getattr(args, "config", None), str):
            args.config = config_argument(args.config)
        return _run_guarded(lambda: module.run(args))
    if argv and argv[0] in ("-h", "--help"):
        build_parser().print_help()
        return 0
    if argv and argv[0].startswith("-"):
        build_parser().parse_args(argv)  # prints usage and exits 2 for unknown options
        return 2
    if len(argv) > 1:
        build_parser().error(f"unknown command {argv[0]!r}; choose from {', '.join(COMMANDS)}")
    config_path = config_argument(argv[0]) if argv else None

    def open_wizard() -> int:
        from ftui.tui.app import run_app

        return run_app(config_path)

    return _run_guarded(open_wizard)


def _run_guarded(fn) -> int:
    try:
        return int(fn() or 0)
    except UserError as err:
        print(err.format(), file=sys.stderr)
        return err.exit_code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # `ftui ... | head` closed the pipe: not an error. Point stdout at devnull so the exit flush is quiet.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
