"""Generate tests/data/parity/axolotl_template_parity.json: Axolotl 0.19's ids and labels for chat rows
rendered with each of its chat templates (`type: chat_template`, `chat_template: NAME`).

NOT part of the test suite: run it in the venv with Axolotl 0.19 (see make_parity.py), from the repo root:

    /work/venvs/axolotl-0.19/bin/python tests/data/parity/make_template_parity.py

Rows: alpaca_en_demo rows as OpenAI-style messages (a system turn on some, two exchanges on some), stored
in the fixture. Tokenizers: SmolLM2 (ChatML special tokens) and the Mistral v1 sentencepiece tokenizer.
Templates that need roles, tools or images these rows do not have are left to tests/test_chat_templates.py.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("AXOLOTL_DO_NOT_TRACK", "1")

REPO = Path(__file__).resolve().parents[3]
DATASETS = REPO.parent / "shared" / "datasets"
TOKENIZERS = {
    "mistral": REPO / "tests" / ".cache" / "mistral-v1-tokenizer",
    "smollm": REPO / "tests" / ".cache" / "ftui" / "models" / "SmolLM2-135M-Instruct",
}
TEMPLATES = [
    "alpaca", "chatml", "mistral_v1", "mistral_v2v3", "mistral_v3_tekken", "mistral_v7_tekken", "gemma", "gemma3",
    "gemma3n", "cohere", "llama3", "llama4", "phi_3", "phi_35", "phi_4", "deepseek_v2", "deepseek_v3", "qwen_25",
    "qwen3", "falcon_h1", "nemotron_h", "exaone", "metharme", "aya",
]  # fmt: skip
NO_SYSTEM = {"gemma", "mistral_v1"}


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


def rows(n: int, system: bool) -> list[dict]:
    data = json.loads((DATASETS / "alpaca_en_demo.json").read_text())
    data = [r for r in data if len(r["output"]) < 300 and len(r["instruction"]) + len(r["input"]) < 300]
    out = []
    for i in range(n):
        a, b = data[2 * i], data[2 * i + 1]
        messages = [{"role": "system", "content": "You answer briefly."}] if system and i % 2 == 0 else []
        messages += [
            {"role": "user", "content": a["instruction"] + (f"\n{a['input']}" if a["input"] else "")},
            {"role": "assistant", "content": a["output"]},
        ]
        if i % 3 == 1:
            messages += [
                {"role": "user", "content": b["instruction"]},
                {"role": "assistant", "content": b["output"]},
            ]
        out.append({"messages": messages})
    return out


def main() -> None:
    from datetime import date
    from importlib.metadata import version

    from axolotl.prompt_strategies.chat_template import load
    from axolotl.utils.dict import DictDefault
    from transformers import AutoTokenizer

    cases = []
    for tok_name, path in TOKENIZERS.items():
        tok = AutoTokenizer.from_pretrained(str(path))
        if tok.pad_token is None:
            tok.pad_token = tok.eos_token
        for name in TEMPLATES:
            data = rows(6, system=name not in NO_SYSTEM)
            cfg = DictDefault({"chat_template": name, "sequence_len": 4096, "train_on_inputs": False})
            ds = {"type": "chat_template", "chat_template": name, "field_messages": "messages"}
            strategy = load(tok, cfg, ds)
            out = []
            for row in data:
                result = strategy.tokenize_prompt(json.loads(json.dumps(row)))
                out.append(
                    {"row": row, "input_ids": result["input_ids"], "trained_runs": runs(result["labels"])}
                )
            cases.append(
                {"name": f"{name}-{tok_name}", "tokenizer": tok_name, "chat_template": name, "rows": out}
            )
    meta = {
        "generator": "tests/data/parity/make_template_parity.py",
        "axolotl": version("axolotl"),
        # templates with strftime_now (mistral_v7_tekken) print today's date: the test renders on this one
        "date": date.today().isoformat(),
    }
    target = Path(__file__).with_name("axolotl_template_parity.json")
    target.write_text(
        json.dumps({"meta": meta, "cases": cases}, separators=(",", ":"), ensure_ascii=False) + "\n"
    )
    print(f"wrote {target}: {sum(len(c['rows']) for c in cases)} rows in {len(cases)} cases")


if __name__ == "__main__":
    main()
