"""`ftui chat RUN_DIR [--prompt TEXT]`: talk to a trained run with the template it was trained with.

With --prompt it answers once and exits (for scripts and tests); without, it reads lines from stdin and
keeps the conversation. Replies stream token by token. Greedy by default; --temperature/--top-p sample and
--num-beams searches.
"""

from __future__ import annotations

import argparse
import sys


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "run_dir", help="a run's output_dir, a merged model folder, or a base model (e.g. embedded)"
    )
    parser.add_argument("--prompt", default=None, help="answer this one message and exit")
    parser.add_argument("--system", default=None, help="a system message to start the conversation with")
    parser.add_argument("--max-new-tokens", type=int, default=256)
    parser.add_argument("--temperature", type=float, default=0.0, help="0 = greedy (default)")
    parser.add_argument("--top-p", type=float, default=1.0)
    parser.add_argument("--num-beams", type=int, default=1)


def _load(target: str):
    from pathlib import Path

    from ftui.core.generate import load_run_model

    if Path(target).exists():
        return load_run_model(target)
    from ftui.core.models.source import resolve_model
    from transformers import AutoModelForCausalLM, AutoTokenizer

    source = resolve_model(target)
    kwargs = source.pretrained_kwargs()
    tokenizer = AutoTokenizer.from_pretrained(source.path, **kwargs)
    model = AutoModelForCausalLM.from_pretrained(source.path, **kwargs).eval()
    return model, tokenizer


def run(args: argparse.Namespace) -> int:
    import warnings

    warnings.filterwarnings("ignore", category=FutureWarning)  # library deprecation notices, not for users
    from ftui.core.errors import UserError
    from ftui.core.generate import GenerationOptions, stream_reply

    if args.temperature < 0 or args.num_beams < 1 or args.max_new_tokens < 1 or not 0 < args.top_p <= 1:
        raise UserError("invalid generation options", hint="temperature >= 0, 0 < top-p <= 1, num-beams >= 1")
    options = GenerationOptions(args.max_new_tokens, args.temperature, args.top_p, args.num_beams)
    model, tokenizer = _load(args.run_dir)
    messages = [{"role": "system", "content": args.system}] if args.system else []

    def answer(text: str) -> None:
        messages.append({"role": "user", "content": text})
        reply = []
        for piece in stream_reply(model, tokenizer, messages, options):
            reply.append(piece)
            sys.stdout.write(piece)
            sys.stdout.flush()
        sys.stdout.write("\n")
        sys.stdout.flush()
        messages.append({"role": "assistant", "content": "".join(reply)})

    if args.prompt is not None:
        answer(args.prompt)
        return 0
    interactive = sys.stdin.isatty()
    if interactive:
        print("chat: type a message, empty line or Ctrl-D to quit", file=sys.stderr)
    while True:
        try:
            line = input("> " if interactive else "")
        except EOFError:
            break
        if not line.strip() or line.strip() in ("/exit", "/quit"):
            break
        answer(line)
    return 0
