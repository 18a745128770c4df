"""Generate tests/data/parity/axolotl_legacy_parity.json: Axolotl's own ids and labels for the legacy types.

NOT part of the test suite and NOT runnable from ftui's venv. The oracle is Axolotl at git commit 3265b70
(8 Nov 2024, version 0.4.1 - the last commit before 0.5.0 removed ShareGPT and FastChat) with FastChat at
the commit Axolotl pinned (27a05b04). Neither is on the package index (the 0.5.x wheels no longer have
ShareGPT), so the venv is built from their git trees, next to torch 2.13.0 and transformers 4.46.1
(Axolotl's pin), with only the packages the prompt strategies import:

    python3.11 -m venv /work/venvs/axolotl-0.5
    /work/venvs/axolotl-0.5/bin/pip install torch==2.13.0 transformers==4.46.1 sentencepiece protobuf addict \\
        pyyaml "pydantic<2.10" termcolor jinja2 "pynvml==11.5.0" bitsandbytes "accelerate==1.1.0" "peft==0.13.2" \\
        colorama fastcore
    /work/venvs/axolotl-0.5/bin/pip install --no-deps -e <FastChat at 27a05b04> -e <axolotl at 3265b70>
    /work/venvs/axolotl-0.5/bin/python tests/data/parity/make_legacy_parity.py     # from the repo root

Rows are made from the shared demo datasets (alpaca_en_demo, glaive_toolcall_en_demo) reshaped into each
type's columns, and stored in the fixture with Axolotl's results, so the test needs no conversion code.
Tokenizers as in make_parity.py (run the ftui tests once first so tests/.cache has them).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

REPO = Path(__file__).resolve().parents[3]
DATASETS = REPO.parent / "shared" / "datasets"
TOKENIZERS = {
    "mistral": REPO / "tests" / ".cache" / "mistral-v1-tokenizer",
    "smollm": REPO / "tests" / ".cache" / "ftui" / "models" / "SmolLM2-135M-Instruct",
}
SEQUENCE_LEN = 4096


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
    """The tokenizer folder as transformers 4.46 reads it; a folder written by transformers 5 (class
    "TokenizersBackend") is read as a fast tokenizer over the same tokenizer.json and special tokens."""
    from transformers import AutoTokenizer, PreTrainedTokenizerFast

    config = json.loads((path / "tokenizer_config.json").read_text())
    if config.get("tokenizer_class") == "TokenizersBackend":
        specials = {
            k: config[k] for k in ("bos_token", "eos_token", "unk_token", "pad_token") if config.get(k)
        }
        tok = PreTrainedTokenizerFast(tokenizer_file=str(path / "tokenizer.json"), **specials)
    else:
        tok = AutoTokenizer.from_pretrained(str(path))
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token
    return tok


# --- rows in each type's shape ---------------------------------------------------------------------------


def alpaca_rows(n: int) -> list[dict]:
    """The first n alpaca_en_demo rows with short answers (keeps the fixture small)."""
    rows = json.loads((DATASETS / "alpaca_en_demo.json").read_text())
    return [r for r in rows if len(r["output"]) < 300 and len(r["instruction"]) + len(r["input"]) < 300][:n]


def sharegpt_rows(n: int) -> list[dict]:
    """alpaca rows as ShareGPT conversations: one or two exchanges, some with a system turn, one weight 0."""
    rows = alpaca_rows(2 * n)
    out = []
    for i in range(n):
        a, b = rows[2 * i], rows[2 * i + 1]
        turns = []
        if i % 3 == 0:
            turns.append({"from": "system", "value": "You answer briefly."})
        user = a["instruction"] + (f"\n{a['input']}" if a.get("input") else "")
        turns += [{"from": "human", "value": user}, {"from": "gpt", "value": a["output"]}]
        if i % 2 == 1:
            turns += [{"from": "human", "value": b["instruction"]}, {"from": "gpt", "value": b["output"]}]
            if i % 4 == 1:
                turns[-3]["weight"] = 0  # the first answer is not trained
        out.append({"conversations": turns})
    return out


def glaive_rows(n: int) -> list[dict]:
    """glaive_toolcall rows (human/gpt/function_call/observation turns) for templates that format any role."""
    rows = json.loads((DATASETS / "glaive_toolcall_en_demo.json").read_text())
    rows = sorted(rows[:200], key=lambda r: len(json.dumps(r)))[:n]
    return [{"conversations": row["conversations"]} for row in rows]


def reshape(kind: str, n: int) -> list[dict]:
    rows = alpaca_rows(n)
    if kind == "oasst":
        return [{"INSTRUCTION": r["instruction"], "RESPONSE": r["output"]} for r in rows]
    if kind == "qa":
        return [{"question": r["instruction"], "answer": r["output"]} for r in rows]
    if kind == "camel":
        return [{"message_1": r["instruction"], "message_2": r["output"]} for r in rows]
    if kind == "context_v2":
        return [
            {"context": r["input"] or "none", "question": r["instruction"], "answer": r["output"]}
            for r in rows
        ]
    if kind == "context":
        return [
            {"article": r["input"] or "none", "question": r["instruction"], "answer": r["output"]}
            for r in rows
        ]
    if kind == "orca":
        systems = ["You are a helpful assistant.", "", "Think step by step."]
        return [
            {"question": r["instruction"], "response": r["output"], "system_prompt": systems[i % 3]}
            for i, r in enumerate(rows)
        ]
    if kind == "w_system":
        return [{**r, "system": "Be concise." if i % 2 else ""} for i, r in enumerate(rows)]
    if kind == "gpteacher":
        return [{"instruction": r["instruction"], "input": r["input"], "response": r["output"]} for r in rows]
    if kind == "jeopardy":
        return [{"question": r["instruction"], "category": "GENERAL", "answer": r["output"]} for r in rows]
    if kind == "custom":
        return [{"q": r["instruction"], "ctx": r["input"], "a": r["output"]} for r in rows]
    return rows


# --- Axolotl's strategies ----------------------------------------------------------------------------------


def strategy(tok, entry: dict, train_on_inputs: bool, chat_template: str | None = None):
    """Axolotl's tokenizing strategy for one dataset entry, chosen as its `get_dataset_wrapper` chose it."""
    from axolotl.prompt_strategies import load
    from axolotl.prompt_tokenizers import (
        AlpacaPromptTokenizingStrategy,
        GPTeacherPromptTokenizingStrategy,
        JeopardyPromptTokenizingStrategy,
        OpenAssistantPromptTokenizingStrategy,
    )
    from axolotl.prompters import AlpacaPrompter, GPTeacherPrompter, JeopardyPrompter
    from axolotl.utils.dict import DictDefault

    cfg = DictDefault({"train_on_inputs": train_on_inputs, "sequence_len": SEQUENCE_LEN})
    if chat_template:
        cfg["chat_template"] = chat_template
    ds_cfg = DictDefault(entry)
    kind = entry["type"]
    if isinstance(kind, dict):
        return load("user_defined", tok, cfg, dict(kind))
    if kind == "sharegpt" and chat_template and not ds_cfg.conversation:
        ds_cfg["conversation"] = chat_template  # Axolotl's normalize_cfg_datasets
    found = load(kind, tok, cfg, ds_cfg)
    if found is not None:
        return found
    base, _, style = kind.partition(":")
    classes = {
        "alpaca": (AlpacaPrompter, AlpacaPromptTokenizingStrategy),
        "oasst": (AlpacaPrompter, OpenAssistantPromptTokenizingStrategy),
        "gpteacher": (GPTeacherPrompter, GPTeacherPromptTokenizingStrategy),
        "jeopardy": (JeopardyPrompter, JeopardyPromptTokenizingStrategy),
    }
    prompter, tokenizing = classes[base]
    return tokenizing(prompter(style or None), tok, train_on_inputs, SEQUENCE_LEN)


def case(
    name: str, tok_name: str, tok, entry: dict, rows: list[dict], train_on_inputs=False, chat_template=None
):
    found = strategy(tok, entry, train_on_inputs, chat_template)
    out = []
    for row in rows:
        result = found.tokenize_prompt(json.loads(json.dumps(row)))
        ids, labels = result["input_ids"], result["labels"]
        assert all(lab in (-100, tid) for lab, tid in zip(labels, ids, strict=True)), name
        out.append({"row": row, "input_ids": ids, "trained_runs": runs(labels)})
    config = {"train_on_inputs": train_on_inputs}
    if chat_template:
        config["chat_template"] = chat_template
    return {
        "name": f"{name}-{tok_name}",
        "tokenizer": tok_name,
        "entry": entry,
        "config": config,
        "rows": out,
    }


CONVERSATIONS = ["alpaca", "vicuna_v1.1", "llama-2", "mistral", "zephyr", "llama3", "chatml", "one_shot"]


def main() -> None:
    from importlib.metadata import version

    import transformers
    from axolotl.prompt_strategies.sharegpt import register_chatml_template, register_llama3_template

    register_chatml_template()  # as Axolotl's train/preprocess commands did
    register_llama3_template()
    cases = []
    for tok_name, path in TOKENIZERS.items():
        tok = load_tokenizer(path)
        for conv in CONVERSATIONS:
            entry = {"path": "rows.json", "type": "sharegpt", "conversation": conv}
            cases.append(case(f"sharegpt-{conv}", tok_name, tok, entry, sharegpt_rows(8)))
        entry = {"path": "rows.json", "type": "sharegpt", "conversation": "alpaca"}
        cases.append(case("sharegpt-alpaca-train_on_inputs", tok_name, tok, entry, sharegpt_rows(6), True))
        cases.append(
            case("sharegpt-from-chat_template", tok_name, tok, {"path": "r", "type": "sharegpt"}, sharegpt_rows(6),
                 chat_template="chatml")
        )  # fmt: skip
        cases.append(
            case(
                "sharegpt-default-vicuna", tok_name, tok, {"path": "r", "type": "sharegpt"}, sharegpt_rows(6)
            )
        )
        cases.append(
            case("sharegpt-chatml-tools", tok_name, tok, {"path": "r", "type": "sharegpt", "conversation": "chatml"},
                 glaive_rows(6))
        )  # fmt: skip
        legacy = [
            ("oasst", "oasst"),
            ("alpaca_chat.load_qa", "qa"),
            ("alpaca_chat.load_concise", "alpaca"),
            ("alpaca_chat.load_camel_ai", "camel"),
            ("alpaca_w_system.load_open_orca", "orca"),
            ("alpaca_w_system.load_open_orca_chatml", "orca"),
            ("alpaca_w_system.load_chat", "w_system"),
            ("alpaca_w_system.load_instruct", "w_system"),
            ("context_qa", "context"),
            ("context_qa.load_v2", "context_v2"),
            ("alpaca:chat", "alpaca"),
            ("alpaca:chatml", "alpaca"),
            ("alpaca_instruct", "alpaca"),
            ("alpaca_chat", "alpaca"),
            ("gpteacher", "gpteacher"),
            ("jeopardy", "jeopardy"),
        ]
        for kind, shape in legacy:
            entry = {"path": "rows.json", "type": kind}
            cases.append(case(kind, tok_name, tok, entry, reshape(shape, 8)))
            if kind in ("oasst", "alpaca_chat.load_qa", "context_qa.load_v2"):
                cases.append(case(f"{kind}-train_on_inputs", tok_name, tok, entry, reshape(shape, 5), True))
        custom = {
            "field_instruction": "q",
            "field_input": "ctx",
            "field_output": "a",
            "system_prompt": "You are a careful assistant.",
            "system_format": "<<SYS>>{system}<</SYS>>\n",
            "format": "[INST] {instruction}\n{input} [/INST]",
            "no_input_format": "[INST] {instruction} [/INST]",
        }
        cases.append(
            case("user_defined", tok_name, tok, {"path": "rows.json", "type": custom}, reshape("custom", 8))
        )
    meta = {
        "generator": "tests/data/parity/make_legacy_parity.py",
        "axolotl": version("axolotl") + " (git 3265b70)",
        "fschat": "git 27a05b04",
        "transformers": transformers.__version__,
        "sequence_len": SEQUENCE_LEN,
    }
    out = Path(__file__).with_name("axolotl_legacy_parity.json")
    out.write_text(
        json.dumps({"meta": meta, "cases": cases}, separators=(",", ":"), ensure_ascii=False) + "\n"
    )
    print(f"wrote {out}: {sum(len(c['rows']) for c in cases)} rows in {len(cases)} cases")


if __name__ == "__main__":
    main()
