"""Trained tokens/s with sample packing vs padding every example to sequence_len (same data, same model).

    python bench/train_throughput.py [--data FILE] [--type alpaca] [--model embedded|tiny|PATH] [--steps N]

Both runs go through `ftui train`'s runner (prepare_dataset, the Trainer, the step events) and differ only
in `sample_packing` / `pad_to_sequence_len`. Each step processes micro_batch_size x sequence_len tokens
either way; packing fills those slots with real examples instead of padding, so the ratio of trained
tokens/s is the speed-up a user sees. Prints both numbers and the ratio (the target is >= 2x on
alpaca-like lengths). Default data: the shared alpaca demo if present, else ftui's shipped demo data.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SHARED_ALPACA = REPO.parent / "shared" / "datasets" / "alpaca_en_demo.json"
DEMO_DATA = REPO / "templates" / "demo" / "observability_queries.jsonl"


def tiny_model(folder: Path) -> Path:
    """A random Llama (hidden 256, 4 layers) with the embedded SmolLM2 tokenizer: fast, real vocabulary."""
    import torch
    from ftui.core.models.embedded import embedded_model_dir
    from transformers import AutoTokenizer, LlamaConfig, LlamaForCausalLM

    target = folder / "tiny-bench-llama"
    if (target / "config.json").exists():
        return target
    tok = AutoTokenizer.from_pretrained(embedded_model_dir(progress=False))
    torch.manual_seed(0)
    config = LlamaConfig(
        vocab_size=len(tok),
        hidden_size=256,
        intermediate_size=768,
        num_hidden_layers=4,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=4096,
        bos_token_id=tok.bos_token_id,
        eos_token_id=tok.eos_token_id,
        pad_token_id=tok.pad_token_id,
    )
    LlamaForCausalLM(config).save_pretrained(target)
    tok.save_pretrained(target)
    return target


def run_mode(model: str, data: Path, data_type: str, packing: bool, args, work: Path) -> dict:
    from ftui.core.config import parse_config
    from ftui.core.events import read_events
    from ftui.core.train.runner import run_training

    out = work / ("packed" if packing else "padded")
    config = {
        "base_model": model,
        "adapter": "lora",
        "lora_r": 8,
        "lora_alpha": 16,
        "lora_target_linear": True,
        "datasets": [{"path": str(data), "type": data_type}],
        "sequence_len": args.sequence_len,
        "sample_packing": packing,
        "pad_to_sequence_len": not packing,
        "excess_length_strategy": "truncate",
        "micro_batch_size": args.micro_batch_size,
        "max_steps": args.steps,
        "learning_rate": 1e-4,
        "output_dir": str(out),
        "dataset_prepared_path": str(work / "prepared"),
        "seed": 1,
    }
    loaded = parse_config(json.dumps(config), source="<bench>", base_dir=work)
    run_training(loaded.config, config_dir=work, quiet=True)
    steps = [e for e in read_events(out) if e["type"] == "step"][1:]  # the first step pays for warm-up
    return {
        "tokens_per_s": statistics.mean(e["tokens_per_s"] for e in steps),
        "trained_tokens_per_s": statistics.mean(e["trained_tokens_per_s"] for e in steps),
        "trained_share": sum(e["trained_tokens"] for e in steps) / max(sum(e["tokens"] for e in steps), 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=SHARED_ALPACA if SHARED_ALPACA.exists() else DEMO_DATA)
    parser.add_argument(
        "--type", default=None, help="dataset type (default: alpaca for .json, chat_template else)"
    )
    parser.add_argument("--model", default="tiny", help="tiny (random, fast), embedded, or a model folder")
    parser.add_argument("--sequence-len", type=int, default=1024)
    parser.add_argument("--micro-batch-size", type=int, default=2)
    parser.add_argument("--steps", type=int, default=6)
    args = parser.parse_args()
    data_type = args.type or ("alpaca" if args.data.suffix == ".json" else "chat_template")
    with tempfile.TemporaryDirectory(prefix="ftui-bench-") as tmp:
        work = Path(tmp)
        model = str(tiny_model(work)) if args.model == "tiny" else args.model
        print(
            f"data {args.data.name} ({data_type}), model {args.model}, sequence_len {args.sequence_len}, "
            f"micro_batch_size {args.micro_batch_size}, {args.steps} steps each",
            file=sys.stderr,
        )
        padded = run_mode(model, args.data, data_type, False, args, work)
        packed = run_mode(model, args.data, data_type, True, args, work)
    ratio = packed["trained_tokens_per_s"] / padded["trained_tokens_per_s"]
    for name, r in (("padding", padded), ("packing", packed)):
        print(
            f"{name:8s} trained tokens/s {r['trained_tokens_per_s']:9.1f}  all tokens/s {r['tokens_per_s']:9.1f}  "
            f"trained share {r['trained_share']:.1%}"
        )
    print(f"packing / padding (trained tokens/s): {ratio:.2f}x")
    # The same ratio from token counts alone: what it would be at equal raw speed (immune to a busy CPU).
    print(
        f"packing / padding (trained share of each batch): {packed['trained_share'] / padded['trained_share']:.2f}x"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
