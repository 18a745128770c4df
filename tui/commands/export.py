"""`ftui export RUN_DIR --gguf [--quant TYPE] [--out DIR]`: a run as one GGUF file plus an Ollama Modelfile."""

from __future__ import annotations

import argparse
import sys

# gguf_file imports no torch at module level, so `ftui export --help` stays light.
from ftui.core.export.gguf_file import DEFAULT_QUANT, QUANTS


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("run_dir", help="a run's output_dir (holds the adapter or model and ftui_run.json)")
    parser.add_argument(
        "--gguf",
        action="store_true",
        required=True,
        help="write a GGUF file for llama.cpp / Ollama (the only export format so far)",
    )
    parser.add_argument(
        "--quant",
        default=DEFAULT_QUANT,
        choices=list(QUANTS),
        help=f"weight type of the matrices (default {DEFAULT_QUANT}; norms stay f32)",
    )
    parser.add_argument("--out", default=None, help="folder for the file (default RUN_DIR/export)")


def run(args: argparse.Namespace) -> int:
    import warnings

    warnings.filterwarnings("ignore", category=FutureWarning)  # library deprecation notices, not for users
    from ftui.core.export.gguf_file import export_gguf

    result = export_gguf(args.run_dir, quant=args.quant, out_dir=args.out)
    for note in result.notes:
        print(f"note: {note}", file=sys.stderr)
    print(f"exported {result.source} to {result.path}", file=sys.stderr)
    print(
        f"Ollama: cd {result.path.parent} && ollama create {result.path.stem} -f Modelfile", file=sys.stderr
    )
    print(result.path)
    return 0
