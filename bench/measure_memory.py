"""Measure peak GPU memory of real training steps and compare it with ftui's estimate.

    python bench/measure_memory.py                 # every case; needs a CUDA GPU
    python bench/measure_memory.py --only qwen0.5b-full --steps 3 --out results.json
    python bench/measure_memory.py --dry-run       # estimates only (no GPU needed)

Models are built from the catalog's architecture facts with random weights (no download: GPU machines
may be offline), saved once to --workdir in bf16, and loaded the way core/train/loading.py loads them
(dtype, bitsandbytes NF4 + double quant, prepare_model_for_kbit_training, PEFT LoRA with fp32 adapters),
then trained for a few steps with transformers' Trainer (autocast, the configured optimizer, grad clipping).
The measured value is torch.cuda.max_memory_allocated() over those steps, which is what the estimator's
`peak_allocated_bytes` predicts. Record results in docs/memory.md ("Measurements").
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from ftui.core.memory import EstimateInput, breakdown
from ftui.core.models import catalog

GIB = 1024**3

CASES: dict[str, dict] = {
    "qwen0.5b-full": dict(model="Qwen/Qwen2.5-0.5B", sequence_len=1024, micro_batch_size=4),
    "qwen0.5b-full-gc-8bit": dict(
        model="Qwen/Qwen2.5-0.5B",
        sequence_len=2048,
        micro_batch_size=4,
        gradient_checkpointing=True,
        optimizer="adamw_bnb_8bit",
    ),
    "qwen0.5b-lora": dict(model="Qwen/Qwen2.5-0.5B", adapter="lora", sequence_len=2048, micro_batch_size=4),
    "llama1b-lora": dict(
        model="meta-llama/Llama-3.2-1B", adapter="lora", sequence_len=2048, micro_batch_size=2
    ),
    "llama1b-qlora-gc": dict(
        model="meta-llama/Llama-3.2-1B",
        adapter="qlora",
        sequence_len=2048,
        micro_batch_size=4,
        gradient_checkpointing=True,
    ),
    "qwen1.5b-full-gc": dict(
        model="Qwen/Qwen2.5-1.5B",
        sequence_len=2048,
        micro_batch_size=2,
        gradient_checkpointing=True,
    ),
    "llama3b-lora-qv": dict(
        model="meta-llama/Llama-3.2-3B",
        adapter="lora",
        lora_r=16,
        lora_target_modules=("q_proj", "v_proj"),
        sequence_len=2048,
        micro_batch_size=2,
    ),
    "llama8b-qlora-gc": dict(
        model="meta-llama/Llama-3.1-8B",
        adapter="qlora",
        lora_r=16,
        sequence_len=2048,
        micro_batch_size=2,
        gradient_checkpointing=True,
    ),
    "llama8b-lora-gc": dict(
        model="meta-llama/Llama-3.1-8B",
        adapter="lora",
        lora_r=16,
        sequence_len=2048,
        micro_batch_size=2,
        gradient_checkpointing=True,
    ),
}


def estimate(case: dict) -> tuple[EstimateInput, int]:
    inp = EstimateInput(**case)
    return inp, breakdown(catalog()[inp.model], inp).peak_allocated_bytes


def _saved_model(hub_id: str, workdir: Path) -> Path:
    """A random-weight bf16 copy of the architecture, saved once (quantization needs from_pretrained)."""
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM

    folder = workdir / hub_id.replace("/", "--")
    if (folder / "config.json").exists():
        return folder
    cfg = catalog()[hub_id].to_config_dict()
    model_type = cfg.pop("model_type")
    config = AutoConfig.for_model(model_type, **cfg)
    torch.manual_seed(0)
    model = AutoModelForCausalLM.from_config(config, dtype=torch.bfloat16)
    model.save_pretrained(folder)
    del model
    return folder


def measure(inp: EstimateInput, workdir: Path, steps: int) -> int:
    import torch
    from datasets import Dataset
    from transformers import AutoModelForCausalLM, BitsAndBytesConfig, Trainer, TrainingArguments

    folder = _saved_model(inp.model, workdir)
    dtype = {"bf16": torch.bfloat16, "fp16": torch.float16, "fp32": torch.float32}[inp.dtype]
    attn = {"flash": "flash_attention_2", "sdpa": "sdpa", "eager": "eager"}[inp.attention]
    kwargs = dict(dtype=dtype, attn_implementation=attn, device_map={"": 0})
    if inp.is_lora and inp.quant_bits:
        kwargs["quantization_config"] = (
            BitsAndBytesConfig(
                load_in_4bit=True,
                bnb_4bit_quant_type="nf4",
                bnb_4bit_use_double_quant=True,
                bnb_4bit_compute_dtype=dtype,
            )
            if inp.quant_bits == 4
            else BitsAndBytesConfig(load_in_8bit=True)
        )
    torch.cuda.empty_cache()
    torch.cuda.reset_peak_memory_stats()
    model = AutoModelForCausalLM.from_pretrained(folder, **kwargs)
    model.config.use_cache = False
    if inp.is_lora:
        from peft import LoraConfig, get_peft_model, prepare_model_for_kbit_training

        if inp.quant_bits:
            model = prepare_model_for_kbit_training(
                model, use_gradient_checkpointing=inp.gradient_checkpointing
            )
        targets = "all-linear" if inp.targets_all_linear else list(inp.lora_target_modules)
        lora = LoraConfig(
            r=inp.lora_r, lora_alpha=2 * inp.lora_r, target_modules=targets, task_type="CAUSAL_LM"
        )
        model = get_peft_model(model, lora)
    vocab = catalog()[inp.model].vocab_size
    rows = inp.micro_batch_size * steps * inp.gradient_accumulation_steps
    generator = torch.Generator().manual_seed(0)
    ids = torch.randint(0, vocab, (rows, inp.sequence_len), generator=generator).tolist()
    data = Dataset.from_dict({"input_ids": ids, "labels": ids})
    args = TrainingArguments(
        output_dir=str(workdir / "trainer-out"),
        per_device_train_batch_size=inp.micro_batch_size,
        gradient_accumulation_steps=inp.gradient_accumulation_steps,
        max_steps=steps,
        optim=inp.optimizer,
        bf16=inp.dtype == "bf16",
        fp16=inp.dtype == "fp16",
        gradient_checkpointing=inp.gradient_checkpointing,
        learning_rate=1e-5,
        max_grad_norm=1.0,
        save_strategy="no",
        logging_strategy="no",
        report_to="none",
        disable_tqdm=True,
    )
    trainer = Trainer(model=model, args=args, train_dataset=data)
    trainer.train()
    torch.cuda.synchronize()
    peak = torch.cuda.max_memory_allocated()
    del trainer, model
    torch.cuda.empty_cache()
    return int(peak)


def _versions() -> dict[str, str]:
    import bitsandbytes
    import peft
    import torch
    import transformers

    return {
        "gpu": torch.cuda.get_device_name(0),
        "torch": torch.__version__,
        "cuda": str(torch.version.cuda),
        "transformers": transformers.__version__,
        "peft": peft.__version__,
        "bitsandbytes": bitsandbytes.__version__,
        "python": platform.python_version(),
        "date": datetime.now(UTC).strftime("%Y-%m-%d"),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", action="append", choices=sorted(CASES), help="run only these cases")
    parser.add_argument("--steps", type=int, default=3, help="optimizer steps per case (>= 2: states exist)")
    parser.add_argument("--workdir", default="/tmp/ftui-bench-memory", help="where random models are saved")
    parser.add_argument("--out", help="write the results as JSON here")
    parser.add_argument("--dry-run", action="store_true", help="print the estimates only (no GPU needed)")
    args = parser.parse_args(argv)
    names = args.only or list(CASES)
    if not args.dry_run:
        import torch

        if not torch.cuda.is_available():
            print(
                "measure_memory: no CUDA GPU here (torch.cuda.is_available() is False); this benchmark measures "
                "real GPU peaks. Run it on a machine with an NVIDIA GPU, or pass --dry-run for estimates only.",
                file=sys.stderr,
            )
            return 2
    workdir = Path(args.workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    results = []
    print(f"{'case':<24} {'estimated':>10} {'measured':>10} {'error':>8}  seconds")
    for name in names:
        inp, estimated = estimate(CASES[name])
        row = {"case": name, "input": CASES[name], "estimated_bytes": estimated}
        if args.dry_run:
            print(f"{name:<24} {estimated / GIB:>9.2f}G {'-':>10} {'-':>8}")
        else:
            start = time.time()
            measured = measure(inp, workdir, args.steps)
            error = (estimated - measured) / measured * 100
            row.update(measured_bytes=measured, error_pct=round(error, 2))
            print(
                f"{name:<24} {estimated / GIB:>9.2f}G {measured / GIB:>9.2f}G {error:>+7.1f}%  {time.time() - start:.0f}"
            )
        results.append(row)
        sys.stdout.flush()
    if args.out:
        report = {"versions": None if args.dry_run else _versions(), "steps": args.steps, "results": results}
        Path(args.out).write_text(json.dumps(report, indent=2, default=list))
    return 0


if __name__ == "__main__":
    sys.exit(main())
