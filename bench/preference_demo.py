"""The second demo: a DPO pass after a short SFT run of the main demo, on pairs built from the demo data.

1. SFT: templates/configs/demo.yml for a few steps only (`--sft-steps`), so the model is half-way there;
   merged into a plain model (`ftui merge`).
2. Pairs: for every demo question, chosen = its valid obsq query; rejected = the SFT model's own greedy
   answer when that fails `obsq_check.is_valid_query`, else a plausible invalid edit of the valid query (an
   unknown service, a field the source does not allow, or a missing required field).
3. DPO (LoRA) on the merged model, the 12 questions SFT held out as `test_datasets`, `eval_assertions` at
   the start and at the end: the pass rate before and after, from events.jsonl.

    python bench/preference_demo.py [--out /tmp/ftui-dpo-demo] [--sft-steps 6] [--dpo-steps 40]

Status: not yet run to completion (the machine it was written on was too loaded), so the README has no
numbers from it yet.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
DEMO = REPO / "templates" / "demo"
sys.path.insert(0, str(DEMO))
from obsq_check import is_valid_query  # noqa: E402

FTUI = str(Path(sys.executable).parent / "ftui")


def ftui(*args: str) -> None:
    proc = subprocess.run([FTUI, *args], capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"ftui {' '.join(args)} failed:\n{proc.stderr[-3000:]}")


def invalid_edit(query: str, rng: random.Random) -> str:
    data = json.loads(query)
    edit = rng.choice(("service", "field", "missing"))
    if edit == "service":
        data["service"] = rng.choice(["billing", "gateway", "orders", "users"])
    elif edit == "field":
        data["level" if data["source"] != "logs" else "metric"] = (
            "error" if data["source"] != "logs" else "cpu"
        )
    else:
        data.pop("since", None)
    return json.dumps(data, separators=(",", ":"))


def generations(model_dir: Path, prompts: list[list[dict]], max_new_tokens: int = 40) -> list[str]:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(model_dir)
    tok.padding_side = "left"
    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32).eval()
    out = []
    for start in range(0, len(prompts), 16):
        texts = [
            tok.apply_chat_template(p, tokenize=False, add_generation_prompt=True)
            for p in prompts[start : start + 16]
        ]
        batch = tok(texts, return_tensors="pt", padding=True, add_special_tokens=False)
        with torch.no_grad():
            ids = model.generate(
                **batch, max_new_tokens=max_new_tokens, do_sample=False, pad_token_id=tok.pad_token_id
            )
        out += [
            tok.decode(row[batch["input_ids"].shape[1] :], skip_special_tokens=True).strip() for row in ids
        ]
    return out


def pass_rates(events_file: Path) -> list[float]:
    events = [json.loads(line) for line in events_file.read_text().splitlines()]
    return [e["assertion_pass_rate"] for e in events if e["type"] == "eval" and "assertion_pass_rate" in e]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default="/tmp/ftui-dpo-demo")
    parser.add_argument("--sft-steps", type=int, default=6)
    parser.add_argument("--dpo-steps", type=int, default=40)
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    sft = yaml.safe_load((REPO / "templates" / "configs" / "demo.yml").read_text())
    sft["datasets"][0]["path"] = str(DEMO / "observability_queries.jsonl")
    sft["eval_assertions"] = f"{DEMO / 'obsq_check.py'}:is_valid_query"
    sft.update(
        max_steps=args.sft_steps, output_dir=str(out / "sft"), dataset_prepared_path=str(out / "prepared")
    )
    (out / "sft.yml").write_text(yaml.safe_dump(sft, sort_keys=False))
    ftui("train", str(out / "sft.yml"))
    ftui("merge", str(out / "sft"))
    sft_rates = pass_rates(out / "sft" / "events.jsonl")

    rows = [json.loads(line) for line in (DEMO / "observability_queries.jsonl").read_text().splitlines()]
    prompts = [r["messages"][:-1] for r in rows]
    answers = generations(out / "sft" / "merged", prompts)
    rng = random.Random(0)
    from ftui.core.preprocess.pipeline import split_indices

    train_idx, val_idx = split_indices(len(rows), 12, 42)  # the 12 questions the SFT run held out
    pairs, own = [], 0
    for row, prompt, answer in zip(rows, prompts, answers, strict=True):
        chosen = row["messages"][-1]["content"]
        bad = answer if answer and not is_valid_query(answer) else invalid_edit(chosen, rng)
        own += bad == answer
        pairs.append({"messages": prompt, "chosen": chosen, "rejected": bad})
    for name, idx in (("train", train_idx), ("test", val_idx)):
        (out / f"pairs-{name}.jsonl").write_text("\n".join(json.dumps(pairs[i]) for i in idx) + "\n")

    dpo = {
        "base_model": str(out / "sft" / "merged"), "rl": "dpo", "rl_beta": 0.1,
        "adapter": "lora", "lora_r": 16, "lora_alpha": 32, "lora_target_linear": True,
        "chat_template": "tokenizer_default",
        "datasets": [{"path": str(out / "pairs-train.jsonl"), "type": "chat_template.default"}],
        "test_datasets": [{"path": str(out / "pairs-test.jsonl"), "type": "chat_template.default"}],
        "sequence_len": 256, "micro_batch_size": 2, "max_steps": args.dpo_steps, "learning_rate": 1e-4,
        "lr_scheduler": "cosine", "warmup_steps": 2, "seed": 42, "output_dir": str(out / "dpo"),
        "eval_assertions": f"{DEMO / 'obsq_check.py'}:is_valid_query", "eval_max_new_tokens": 40,
        "eval_steps": args.dpo_steps, "logging_steps": 1,
    }  # fmt: skip
    (out / "dpo.yml").write_text(yaml.safe_dump(dpo, sort_keys=False))
    ftui("train", str(out / "dpo.yml"))
    dpo_rates = pass_rates(out / "dpo" / "events.jsonl")
    steps = [json.loads(line) for line in (out / "dpo" / "events.jsonl").read_text().splitlines()]
    margins = [e["rewards_margin"] for e in steps if e["type"] == "step"]
    report = {
        "sft_steps": args.sft_steps, "sft_pass_rates": sft_rates, "pairs": len(pairs),
        "rejected_from_sft_generations": own, "dpo_steps": args.dpo_steps, "dpo_pass_rates": dpo_rates,
        "dpo_margin_first_last": [margins[0], margins[-1]] if margins else None,
    }  # fmt: skip
    (out / "report.json").write_text(json.dumps(report, indent=2))
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
