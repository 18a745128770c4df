"""How far each GGUF type is from the model: the demo LoRA run exported and read back by transformers.

    python bench/export_gguf.py [--steps 20] [--types f16,q8_0,q5_0,q4_0] [--workdir /tmp/ftui-export-bench]

Trains the shipped demo config (SmolLM2-135M-Instruct, LoRA) for --steps steps once (kept in --workdir),
exports it with each type (merged in memory, as `ftui export` does), loads the file with transformers
(`gguf_file=`) and compares it with the LoRA merged in fp32 and rounded to fp16, on three demo questions:
max and mean |logit difference| relative to the logits, the share of positions with the same top-1 token,
and how many 24-token greedy answers are identical. docs/export.md has the measured table.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

QUESTIONS = [
    "Show me error logs from checkout in the last hour",
    "What is the p95 latency of the payments service today?",
    "How many traces from the search service took longer than 2 seconds?",
]


def _train(workdir: Path, steps: int) -> Path:
    import yaml
    from ftui.core.config import load_config
    from ftui.core.paths import templates_dir
    from ftui.core.train.runner import run_training

    run = workdir / "demo-run"
    if (run / "adapter_config.json").exists():
        return run
    workdir.mkdir(parents=True, exist_ok=True)
    config = yaml.safe_load((templates_dir() / "configs" / "demo.yml").read_text(encoding="utf-8"))
    config["datasets"][0]["path"] = str(templates_dir() / "demo" / "observability_queries.jsonl")
    config.update(max_steps=steps, val_set_size=0, eval_assertions=None, output_dir=str(run),
                  dataset_prepared_path=str(workdir / "prepared"))  # fmt: skip
    (workdir / "demo.yml").write_text(json.dumps(config), encoding="utf-8")
    print(run_training(load_config(workdir / "demo.yml").config, config_dir=workdir, quiet=True).status)
    return run


def _compare(reference, exported, tokenizer) -> dict[str, float]:
    import torch

    stats = {"max_rel": 0.0, "mean_rel": 0.0, "top1": 1.0, "greedy": 0}
    for question in QUESTIONS:
        chat = [{"role": "user", "content": question}]
        text = tokenizer.apply_chat_template(chat, tokenize=False, add_generation_prompt=True)
        ids = torch.tensor([tokenizer(text, add_special_tokens=False)["input_ids"]])
        with torch.no_grad():
            a, b = reference(input_ids=ids).logits, exported(input_ids=ids).logits
            greedy = [
                m.generate(input_ids=ids, max_new_tokens=24, do_sample=False) for m in (reference, exported)
            ]
        stats["max_rel"] = max(stats["max_rel"], float((a - b).abs().max() / a.abs().max()))
        stats["mean_rel"] += float((a - b).abs().mean() / a.abs().mean()) / len(QUESTIONS)
        stats["top1"] = min(stats["top1"], float((a.argmax(-1) == b.argmax(-1)).float().mean()))
        stats["greedy"] += int(torch.equal(greedy[0], greedy[1]))
    return stats


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--types", default="f16,q8_0,q5_0,q4_0")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/ftui-export-bench"))
    args = parser.parse_args()

    import torch
    from ftui.core.export.gguf_file import export_gguf
    from ftui.core.merge import load_merged
    from transformers import AutoModelForCausalLM

    run = _train(args.workdir, args.steps)
    reference, tokenizer, _ = load_merged(run, dtype="float32")
    with torch.no_grad():
        for param in reference.parameters():
            param.copy_(param.half().float())
    reference.eval()
    print("| type | file | export s | max rel | mean rel | top-1 | greedy |")
    for quant in args.types.split(","):
        start = time.perf_counter()
        path = export_gguf(run, quant, out_dir=args.workdir / "export", say=lambda _m: None).path
        seconds = time.perf_counter() - start
        exported = AutoModelForCausalLM.from_pretrained(path.parent, gguf_file=path.name, dtype=torch.float32)
        s = _compare(reference, exported.eval(), tokenizer)
        print(f"| {quant} | {path.stat().st_size / 1e6:.1f} MB | {seconds:.0f} | {s['max_rel']:.1e} | "
              f"{s['mean_rel']:.1e} | {s['top1']:.1%} | {s['greedy']} / {len(QUESTIONS)} |", flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
