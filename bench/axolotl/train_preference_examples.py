"""Train every `rl:` example of Axolotl's examples/ that ftui trains (tests/data/axolotl_examples), on a tiny
random model of the same architecture and a few local rows of the example's own row shape.

The example's keys are kept (adapter, 8/4-bit loading, optimizer, beta, weights, templates, special tokens);
only what cannot run here is replaced: the model (hidden 64, 2 layers, the config's architecture, SmolLM2's
tokenizer), the hub dataset (8 pairs from ../shared/datasets/dpo_en_demo.json written in the example's
`type:` shape), and the length (max_steps 2, sequence_len 128, micro_batch_size <= 2, no accumulation).
Writes a JSON report with each run's outcome and prints a table.

    python bench/axolotl/train_preference_examples.py [--out /tmp/pref-examples] [--only NAME]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "tests" / "data" / "axolotl_examples"
DEMO = REPO.parent / "shared" / "datasets" / "dpo_en_demo.json"
ARCH = {"llama": "LlamaForCausalLM", "mistral": "MistralForCausalLM", "qwen2": "Qwen2ForCausalLM"}
NAMES = {
    "llama-3/instruct-dpo-lora-8b.yml": "llama",
    "llama-3/lora-1b-deduplicate-dpo.yml": "llama",
    "llama-3/qlora-1b-kto.yaml": "llama",
    "mistral/dpo/mistral-dpo-qlora.yml": "mistral",
    "mistral/orpo/mistral-qlora-orpo.yml": "mistral",
    "qwen2/dpo.yaml": "qwen2",
    "swanlab/dpo-swanlab-completions.yml": "llama",
    "swanlab/dpo-swanlab-full-featured.yml": "llama",
    "falcon-e/falcon-e-3b-dpo.yaml": "llama",  # refused by train: a plugin and a prequantized BitNet model
}


def tiny_model(family: str, out: Path) -> Path:
    target = out / f"tiny-{family}"
    if target.exists():
        return target
    import torch
    from ftui.core.models.embedded import embedded_model_dir
    from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(embedded_model_dir(progress=False))
    config = AutoConfig.for_model(
        family, vocab_size=len(tok), hidden_size=64, intermediate_size=128, num_hidden_layers=2,
        num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=2048, tie_word_embeddings=False,
        bos_token_id=tok.bos_token_id, eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id,
    )  # fmt: skip
    torch.manual_seed(0)
    AutoModelForCausalLM.from_config(config).save_pretrained(target)
    tok.save_pretrained(target)
    return target


def rows_for(entry: dict, rl: str) -> list[dict]:
    """8 demo pairs in the row shape of the entry's `type:`."""
    pairs = json.loads(DEMO.read_text())[:8]
    kind = entry.get("type")
    out = []
    for pair in pairs:
        prompt = pair["conversations"][-1]["value"]
        chosen, rejected = pair["chosen"]["value"], pair["rejected"]["value"]
        if rl == "kto":
            out.append({"prompt": prompt, "completion": chosen, "label": True})
            out.append({"prompt": prompt, "completion": rejected, "label": False})
        elif kind == "chat_template.default":
            field = entry.get("field_messages", "messages")
            out.append({field: [{"role": "user", "content": prompt}], "chosen": {"role": "assistant", "content": chosen},
                        "rejected": {"role": "assistant", "content": rejected}})  # fmt: skip
        elif kind in ("chat_template.argilla", "chatml.ultra", "llama3.ultra"):
            user = {"role": "user", "content": prompt}
            out.append({"prompt": prompt, "chosen": [user, {"role": "assistant", "content": chosen}],
                        "rejected": [user, {"role": "assistant", "content": rejected}]})  # fmt: skip
        else:
            out.append({"prompt": prompt, "chosen": chosen, "rejected": rejected})
    return out


def prepare(name: str, out: Path) -> Path:
    data = yaml.safe_load((EXAMPLES / name).read_text())
    folder = out / name.replace("/", "__")
    folder.mkdir(parents=True, exist_ok=True)
    data["base_model"] = str(tiny_model(NAMES[name], out))
    for key in ("model_type", "tokenizer_type", "base_model_config"):
        data.pop(key, None)
    for i, entry in enumerate(data.get("datasets") or []):
        path = folder / f"data{i}.jsonl"
        path.write_text("\n".join(json.dumps(r) for r in rows_for(entry, data["rl"])) + "\n")
        entry["path"] = str(path)
        entry.pop("split", None)
    data.update(max_steps=2, sequence_len=128, gradient_accumulation_steps=1, output_dir=str(folder / "out"),
                micro_batch_size=min(int(data.get("micro_batch_size") or 1), 2), excess_length_strategy="truncate",
                dataset_prepared_path=str(folder / "prepared"))  # fmt: skip
    data.pop("batch_size", None)
    if data.get("val_set_size"):
        data["val_set_size"] = 2
    config = folder / "config.yml"
    config.write_text(yaml.safe_dump(data, sort_keys=False))
    return config


def run(name: str, out: Path) -> dict:
    config = prepare(name, out)
    started = time.time()
    ftui = str(Path(sys.executable).parent / "ftui")
    proc = subprocess.run([ftui, "train", str(config)], capture_output=True,
                          text=True, timeout=900)  # fmt: skip
    result = {"example": name, "exit": proc.returncode, "seconds": round(time.time() - started, 1)}
    events_file = config.parent / "out" / "events.jsonl"
    events = (
        [json.loads(line) for line in events_file.read_text().splitlines()] if events_file.exists() else []
    )
    steps = [e for e in events if e["type"] == "step"]
    result["steps"] = len(steps)
    result["losses"] = [round(e["loss"], 4) for e in steps]
    result["end"] = events[-1]["type"] if events else None
    if proc.returncode != 0:
        result["error"] = proc.stderr.strip().splitlines()[-3:]
    return result


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default="/tmp/ftui-pref-examples")
    parser.add_argument("--only")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    results = [run(name, out) for name in NAMES if args.only in (None, name)]
    (out / "report.json").write_text(json.dumps(results, indent=2))
    for r in results:
        print(
            f"{r['example']:42} exit {r['exit']:>3}  {r['steps']} steps  losses {r['losses']}  {r['seconds']}s"
            + (f"\n    {' | '.join(r.get('error', []))}" if r["exit"] else "")
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
