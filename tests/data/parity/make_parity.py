"""Generate the Axolotl parity fixtures in this folder (axolotl_parity.json).

NOT part of the test suite and NOT runnable from ftui's venv: it needs Axolotl itself, installed into a
separate virtual environment (Axolotl pins its own torch/transformers), e.g.:

    python3 -m venv /work/axo-venv
    /work/axo-venv/bin/pip install torch==2.13.0 axolotl
    /work/axo-venv/bin/python tests/data/parity/make_parity.py            # from the repo root

It tokenizes rows of the shared demo datasets with Axolotl's own prompt strategies (AlpacaPrompter +
AlpacaPromptTokenizingStrategy for `type: alpaca`; ChatTemplateStrategy via its StrategyLoader for
`type: chat_template`) and stores Axolotl's input_ids and labels. tests/test_axolotl_parity.py then checks
that ftui produces exactly the same ids and labels from the same tokenizer files, rows and settings.

Tokenizers: the Mistral v1 sentencepiece tokenizer and SmolLM2's ChatML tokenizer, as tests/conftest.py
builds them under tests/.cache (run the ftui tests once first so those folders exist).
Labels are stored compactly as `trained_runs`: alternating lengths of masked and trained tokens, starting
with masked (labels equal input_ids where trained, -100 elsewhere - Axolotl never uses other values).
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("AXOLOTL_DO_NOT_TRACK", "1")
os.environ.setdefault("DO_NOT_TRACK", "1")

REPO = Path(__file__).resolve().parents[3]
DATASETS = REPO.parent / "shared" / "datasets"
TOKENIZERS = {
    "mistral": REPO / "tests" / ".cache" / "mistral-v1-tokenizer",
    "smollm": REPO / "tests" / ".cache" / "ftui" / "models" / "SmolLM2-135M-Instruct",
}
SEQUENCE_LEN = 4096
# The ShareGPT mapping used for glaive_toolcall (function_call turns are assistant turns, observations tool
# turns - the same mapping ftui's core/data applies by default).
SHAREGPT = {
    "type": "chat_template",
    "field_messages": "conversations",
    "message_property_mappings": {"role": "from", "content": "value"},
    "roles": {
        "user": ["human"],
        "assistant": ["gpt", "function_call"],
        "tool": ["observation"],
        "system": ["system"],
    },
}


def runs(labels: list[int]) -> list[int]:
    out, trained, count = [], False, 0
    for label in labels:
        is_trained = label != -100
        if is_trained != trained:
            out.append(count)
            trained, count = is_trained, 0
        count += 1
    out.append(count)
    return out


def load_tokenizer(path: Path):
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(str(path))
    if tok.pad_token is None:  # Axolotl's rule (pad does not change ids or labels)
        tok.pad_token = tok.eos_token
    return tok


def alpaca_case(tok, rows, train_on_inputs: bool) -> list[dict]:
    from axolotl.prompt_tokenizers import AlpacaPromptTokenizingStrategy
    from axolotl.prompters import AlpacaPrompter

    strategy = AlpacaPromptTokenizingStrategy(AlpacaPrompter(None), tok, train_on_inputs, SEQUENCE_LEN)
    out = []
    for index, row in rows:
        result = strategy.tokenize_prompt(row)
        assert all(lab in (-100, tid) for lab, tid in zip(result["labels"], result["input_ids"], strict=True))
        out.append({"index": index, "input_ids": result["input_ids"], "trained_runs": runs(result["labels"])})
    return out


def chat_case(tok, rows, chat_template: str, ds_extra: dict, train_on_inputs: bool = False) -> list[dict]:
    from axolotl.prompt_strategies.chat_template import load
    from axolotl.utils.dict import DictDefault

    cfg = DictDefault(
        {"chat_template": chat_template, "sequence_len": SEQUENCE_LEN, "train_on_inputs": train_on_inputs}
    )
    ds_cfg = {**SHAREGPT, "chat_template": chat_template, **ds_extra}
    strategy = load(tok, cfg, ds_cfg)
    out = []
    for index, row in rows:
        result = strategy.tokenize_prompt(dict(row))
        ids, labels = result["input_ids"], result["labels"]
        assert all(lab in (-100, tid) for lab, tid in zip(labels, ids, strict=True))
        out.append({"index": index, "input_ids": ids, "trained_runs": runs(labels)})
    return out


def main() -> None:
    import axolotl
    import transformers

    parser = argparse.ArgumentParser()
    parser.add_argument("--alpaca-rows", type=int, default=50)
    parser.add_argument("--glaive-rows", type=int, default=30)
    parser.add_argument("--out", default=str(Path(__file__).with_name("axolotl_parity.json")))
    args = parser.parse_args()

    alpaca = list(enumerate(json.loads((DATASETS / "alpaca_en_demo.json").read_text())))[: args.alpaca_rows]
    glaive = list(enumerate(json.loads((DATASETS / "glaive_toolcall_en_demo.json").read_text())))[
        : args.glaive_rows
    ]
    cases = []
    for tok_name, path in TOKENIZERS.items():
        tok = load_tokenizer(path)
        for train_on_inputs in (False, True):
            rows = alpaca if not train_on_inputs else alpaca[:10]
            cases.append(
                {
                    "name": f"alpaca-{tok_name}-train_on_inputs={train_on_inputs}",
                    "tokenizer": tok_name,
                    "dataset": "alpaca_en_demo.json",
                    "type": "alpaca",
                    "chat_template": None,
                    "settings": {"train_on_inputs": train_on_inputs},
                    "rows": alpaca_case(tok, rows, train_on_inputs),
                }
            )
        # tokenizer_default needs the tokenizer's own template; the Mistral v1 tokenizer has none, so it is
        # checked with Axolotl's built-in chatml template instead.
        template = "tokenizer_default" if tok.chat_template else "chatml"
        variants = [
            ({"roles_to_train": ["assistant"]}, False, glaive),
            ({"roles_to_train": ["assistant"], "train_on_eos": "all"}, False, glaive[:10]),
            ({"roles_to_train": ["assistant"], "train_on_eos": "last"}, False, glaive[:10]),
            ({"roles_to_train": ["assistant", "user"], "train_on_eos": "turn"}, False, glaive[:10]),
            ({"roles_to_train": ["assistant"]}, True, glaive[:10]),
        ]
        for extra, train_on_inputs, rows in variants:
            settings = {"train_on_inputs": train_on_inputs, "train_on_eos": "turn", **extra}
            cases.append(
                {
                    "name": f"chat-{tok_name}-{template}-{json.dumps(settings, sort_keys=True)}",
                    "tokenizer": tok_name,
                    "dataset": "glaive_toolcall_en_demo.json",
                    "type": "chat_template",
                    "chat_template": template,
                    "settings": settings,
                    "rows": chat_case(tok, rows, template, extra, train_on_inputs),
                }
            )
    meta = {
        "generator": "tests/data/parity/make_parity.py",
        "axolotl": axolotl.__version__,
        "transformers": transformers.__version__,
        "sequence_len": SEQUENCE_LEN,
        "sharegpt_mapping": SHAREGPT,
    }
    Path(args.out).write_text(json.dumps({"meta": meta, "cases": cases}, separators=(",", ":")) + "\n")
    print(f"wrote {args.out}: {sum(len(c['rows']) for c in cases)} rows in {len(cases)} cases")


if __name__ == "__main__":
    main()
