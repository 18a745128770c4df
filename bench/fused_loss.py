"""Peak RSS, step time and first loss with the fused linear cross-entropy vs the plain loss, side by side.

    python bench/fused_loss.py [--steps 4] [--seq 2048] [--batch 2] [--variants plain,cut_cross_entropy]
                               [--out bench/results/fused_loss_cpu.json]

The case of issue 16: the embedded SmolLM2-135M, completion data (the shared C4 demo) packed to 2048-token
rows, micro batch 2, LoRA r8 on q_proj/v_proj, no gradient checkpointing, fp32 on CPU. Each variant trains
in its own fresh interpreter through ftui's runner (`run_training`, the same code `ftui train` runs), so its
peak RSS (getrusage ru_maxrss of that process, absolute: no baseline subtracted) is clean. Step time is the median of the steps after the
first (the first pays for allocator warm-up); the first loss is step 1's. Targets: peak RSS fused <= 0.7x
plain, step time <= 1.1x, first loss equal within 1e-3. Record results in docs/memory.md.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
C4 = REPO.parent / "shared" / "datasets" / "c4_demo.jsonl"
GIB = 1024**3


def config_for(variant: str, workdir: Path, args: argparse.Namespace) -> dict:
    config = {
        "base_model": "embedded",
        "adapter": "lora",
        "lora_r": 8,
        "lora_alpha": 16,
        "lora_dropout": 0.0,
        "lora_target_modules": ["q_proj", "v_proj"],
        "datasets": [{"path": str(C4), "type": "completion"}],
        "dataset_prepared_path": str(workdir / "prepared"),
        "sequence_len": args.seq,
        "sample_packing": True,
        "micro_batch_size": args.batch,
        "gradient_accumulation_steps": 1,
        "gradient_checkpointing": False,
        "max_steps": args.steps,
        "learning_rate": 1e-4,
        "optimizer": "adamw_torch",
        "output_dir": str(workdir / variant),
        "save_steps": 10_000,
        "seed": 42,
    }
    if variant != "plain":
        config[variant] = True
    return config


def child(variant: str, config_path: Path) -> None:
    """One variant in this (fresh) process; prints a JSON line with what it measured."""
    from ftui.core.config import load_config
    from ftui.core.events import read_events
    from ftui.core.train.runner import run_training

    loaded = load_config(config_path)
    started = time.time()
    run_training(loaded.config, config_dir=config_path.parent, quiet=True)
    events = read_events(Path(loaded.config.output_dir))
    steps = [e for e in events if e["type"] == "step"]
    elapsed = [e["elapsed_s"] for e in steps]
    times = [b - a for a, b in zip(elapsed, elapsed[1:], strict=False)]
    print(
        "RESULT "
        + json.dumps(
            {
                "variant": variant,
                "loss_impl": events[0].get("loss_impl"),
                "peak_rss_gib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / GIB,
                "step_s": statistics.median(times) if times else None,
                "step_times_s": times,
                "first_loss": steps[0]["loss"],
                "losses": [e["loss"] for e in steps],
                "step_rss_gib": [e["rss"] / GIB for e in steps if e.get("rss")],
                "wall_s": time.time() - started,
            }
        ),
        flush=True,
    )


def run_variant(variant: str, workdir: Path, args: argparse.Namespace) -> dict:
    path = workdir / f"{variant}.yml"
    path.write_text(json.dumps(config_for(variant, workdir, args), indent=2), encoding="utf-8")
    print(f"running {variant} ...", file=sys.stderr, flush=True)
    done = subprocess.run(
        [sys.executable, __file__, "--child", variant, "--config", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    if done.returncode != 0 or not lines:
        sys.exit(f"{variant} failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return json.loads(lines[-1][len("RESULT ") :])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=4)
    parser.add_argument("--seq", type=int, default=2048)
    parser.add_argument("--batch", type=int, default=2)
    parser.add_argument("--variants", default="plain,cut_cross_entropy")
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--config", type=Path, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.config)
        return
    if not C4.exists():
        sys.exit(f"the shared C4 demo is missing: {C4}")
    with tempfile.TemporaryDirectory(prefix="ftui-fused-bench-") as tmp:
        results = [run_variant(v, Path(tmp), args) for v in args.variants.split(",")]
    base, other = results[0], results[-1]
    summary = {
        "case": f"embedded SmolLM2-135M, C4 completion packed to {args.seq}, micro batch {args.batch}, "
        "LoRA r8 q_proj/v_proj, no gradient checkpointing, fp32 CPU",
        "machine": f"{platform.machine()} {platform.processor() or ''}".strip(),
        "results": results,
        "rss_ratio": other["peak_rss_gib"] / base["peak_rss_gib"],
        "step_time_ratio": other["step_s"] / base["step_s"],
        "first_loss_diff": abs(other["first_loss"] - base["first_loss"]),
    }
    for r in results:
        print(
            f"{r['variant']:<34} {r['loss_impl']:<30} peak RSS {r['peak_rss_gib']:.2f} GiB  "
            f"step {r['step_s']:.1f} s  first loss {r['first_loss']:.5f}"
        )
    print(
        f"ratios {other['variant']} / {base['variant']}: peak RSS {summary['rss_ratio']:.2f}x (target <= 0.7), "
        f"step time {summary['step_time_ratio']:.2f}x (target <= 1.1), first loss diff "
        f"{summary['first_loss_diff']:.2e} (target <= 1e-3)"
    )
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
