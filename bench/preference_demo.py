"""The second demo: a DPO pass after a short SFT run of the main demo, on pairs built from the demo data.

1. SFT: templates/configs/demo.yml for a few steps only (`--sft-steps`), so the model is half-way there;
   merged into a plain model (`ftui merge`).
2. Pairs: for every demo question, chosen = its valid obsq query; rejected = the SFT model's own greedy
   answer when that fails `obsq_check.is_valid_query`, else a plausible invalid edit of the valid query (an
   unknown service, a field the source does not allow, or a missing required field).
3. DPO (LoRA) on the merged model, the 12 questions SFT held out as `test_datasets`, `eval_assertions` at
   the start and at the end: the pass rate before and after, from events.jsonl.

    python bench/preference_demo.py [--out /tmp/ftui-dpo-demo] [--sft-steps 6] [--dpo-steps 40]

    python bench/preference_demo.py --out /tmp/dpo-rpo --sft-from /tmp/ftui-dpo-demo --rpo-alpha 1.0

About 6 minutes on a 2-core CPU (SFT 105 s, merge 9 s, pair generation 64 s, DPO 202 s); `--sft-from`
reuses an earlier run's SFT model. Measured numbers: README ("Preference tuning") and docs/preference.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import subprocess
import sys
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
DEMO = REPO / "templates" / "demo"
sys.path.insert(0, str(DEMO))
from obsq_check import is_valid_query  # noqa: E402

FTUI = [sys.executable, "-m", "ftui.tui.cli"]  # not bin/ftui: a copied venv's script has a stale shebang
TIMES: dict[str, float] = {}


def ftui(*args: str) -> None:
    start = time.monotonic()
    print(f"ftui {' '.join(args)}", flush=True)
    proc = subprocess.run([*FTUI, *args], capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"ftui {' '.join(args)} failed:\n{proc.stderr[-3000:]}")
    TIMES[f"{args[0]} {Path(args[1]).stem}"] = round(time.monotonic() - start, 1)


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


def machine() -> str:
    cpu = next(
        (line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
         if line.startswith("model name")), platform.processor(),
    )  # fmt: skip
    return f"{os.cpu_count()} cores, {cpu}"


def run_sft(out: Path, steps: int) -> None:
    """The main demo's config cut to `steps` steps, then merged (skipped when out/sft/merged exists)."""
    if (out / "sft" / "merged").is_dir() and (out / "sft" / "events.jsonl").is_file():
        print(f"reusing the SFT run in {out / 'sft'}", flush=True)
        return
    sft = yaml.safe_load((REPO / "templates" / "configs" / "demo.yml").read_text())
    sft["datasets"][0]["path"] = str(DEMO / "observability_queries.jsonl")
    sft["eval_assertions"] = f"{DEMO / 'obsq_check.py'}:is_valid_query"
    sft.update(max_steps=steps, output_dir=str(out / "sft"), dataset_prepared_path=str(out / "prepared"))
    (out / "sft.yml").write_text(yaml.safe_dump(sft, sort_keys=False))
    ftui("train", str(out / "sft.yml"))
    ftui("merge", str(out / "sft"))


def build_pairs(out: Path, max_new_tokens: int) -> tuple[int, int]:
    """pairs-train.jsonl / pairs-test.jsonl; (pairs, rejected answers that are the SFT model's own)."""
    rows = [json.loads(line) for line in (DEMO / "observability_queries.jsonl").read_text().splitlines()]
    prompts = [r["messages"][:-1] for r in rows]
    start = time.monotonic()
    answers = generations(out / "sft" / "merged", prompts, max_new_tokens)
    TIMES["generate pairs"] = round(time.monotonic() - start, 1)
    rng = random.Random(0)
    from ftui.core.preprocess.tokenize_datasets import split_indices

    train_idx, val_idx = split_indices(len(rows), 12, 42)  # the 12 questions the SFT run held out
    pairs, own = [], 0
    for row, prompt, answer in zip(rows, prompts, answers, strict=True):
        chosen = row["messages"][-1]["content"]
        bad = answer if answer and not is_valid_query(answer) else invalid_edit(chosen, rng)
        own += bad == answer
        pairs.append({"messages": prompt, "chosen": chosen, "rejected": bad})
    for name, idx in (("train", train_idx), ("test", val_idx)):
        (out / f"pairs-{name}.jsonl").write_text("\n".join(json.dumps(pairs[i]) for i in idx) + "\n")
    return len(pairs), own


def dpo_config(out: Path, steps: int, max_new_tokens: int, rpo_alpha: float | None) -> dict:
    extra = {} if rpo_alpha is None else {"rpo_alpha": rpo_alpha}
    return extra | {
        "base_model": str(out / "sft" / "merged"), "rl": "dpo", "rl_beta": 0.1,
        "adapter": "lora", "lora_r": 16, "lora_alpha": 32, "lora_target_linear": True,
        "chat_template": "tokenizer_default",
        "datasets": [{"path": str(out / "pairs-train.jsonl"), "type": "chat_template.default"}],
        "test_datasets": [{"path": str(out / "pairs-test.jsonl"), "type": "chat_template.default"}],
        "sequence_len": 256, "micro_batch_size": 2, "max_steps": steps, "learning_rate": 1e-4,
        "lr_scheduler": "cosine", "warmup_steps": 2, "seed": 42, "output_dir": str(out / "dpo"),
        "eval_assertions": f"{DEMO / 'obsq_check.py'}:is_valid_query", "eval_max_new_tokens": max_new_tokens,
        "eval_table_size": 12, "eval_steps": steps, "logging_steps": 1,
    }  # fmt: skip


def events(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default="/tmp/ftui-dpo-demo")
    parser.add_argument("--sft-steps", type=int, default=6)
    parser.add_argument("--dpo-steps", type=int, default=40)
    parser.add_argument("--max-new-tokens", type=int, default=40, help="the SFT demo's eval_max_new_tokens")
    parser.add_argument("--rpo-alpha", type=float, help="add RPO's NLL term on the chosen answers")
    parser.add_argument("--sft-from", help="an earlier --out whose SFT run to reuse (linked as OUT/sft)")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    start, load_start = time.monotonic(), os.getloadavg()
    if args.sft_from and not (out / "sft").exists():
        (out / "sft").symlink_to(Path(args.sft_from).resolve() / "sft")
    run_sft(out, args.sft_steps)
    sft_rates = pass_rates(out / "sft" / "events.jsonl")
    pairs, own = build_pairs(out, args.max_new_tokens)
    (out / "dpo.yml").write_text(
        yaml.safe_dump(dpo_config(out, args.dpo_steps, args.max_new_tokens, args.rpo_alpha))
    )
    ftui("train", str(out / "dpo.yml"))
    dpo_events = events(out / "dpo" / "events.jsonl")
    steps = [e for e in dpo_events if e["type"] == "step"]
    evals = [e for e in dpo_events if e["type"] == "eval"]
    report = {
        "sft_steps": args.sft_steps, "sft_pass_rates": sft_rates, "pairs": pairs,
        "rejected_from_sft_generations": own, "dpo_steps": len(steps), "dpo_pass_rates": pass_rates(
            out / "dpo" / "events.jsonl"),
        "dpo_margin_first_last": [steps[0]["rewards_margin"], steps[-1]["rewards_margin"]] if steps else None,
        "dpo_accuracy_first_last": [steps[0]["rewards_accuracy"], steps[-1]["rewards_accuracy"]]
        if steps else None,
        "dpo_loss_first_last": [steps[0]["loss"], steps[-1]["loss"]] if steps else None,
        "dpo_eval_margin": [e.get("eval_rewards_margin") for e in evals],
        "dpo_eval_logps_chosen": [e.get("eval_logps_chosen") for e in evals],
        "dpo_eval_logps_rejected": [e.get("eval_logps_rejected") for e in evals], "rpo_alpha": args.rpo_alpha,
        "seconds": TIMES, "wall_s": round(time.monotonic() - start, 1),
        "load_avg_1m_start_end": [round(load_start[0], 2), round(os.getloadavg()[0], 2)],
        "machine": machine(),
    }  # fmt: skip
    (out / "report.json").write_text(json.dumps(report, indent=2))
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
