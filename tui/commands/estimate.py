"""`ftui estimate CONFIG` / `ftui estimate --model ID [...]`: training memory per GPU, before anything runs.

Flags override the config's keys, so `ftui estimate cfg.yml --batch 8` answers "what if". Never imports torch.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from ftui.core.errors import UserError
from ftui.core.units import gib_number as _gib


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("config", nargs="?", help="a YAML config (Axolotl keys); flags below override it")
    parser.add_argument("--model", help="catalog/hub id, local folder, .gguf file or `embedded`")
    parser.add_argument("--adapter", choices=["lora", "qlora", "none"], help="none = full fine-tune")
    parser.add_argument("--lora-r", type=int, help="LoRA rank (lora_r)")
    parser.add_argument("--targets", help="comma-separated LoRA target modules, e.g. q_proj,v_proj")
    parser.add_argument("--target-linear", action="store_true", default=None, help="LoRA on every Linear")
    parser.add_argument("--seq", type=int, help="sequence_len")
    parser.add_argument("--batch", type=int, help="micro_batch_size")
    parser.add_argument("--grad-accum", type=int, help="gradient_accumulation_steps")
    parser.add_argument("--gpus", type=int, help="GPUs (processes) per node; the total without --nodes")
    parser.add_argument(
        "--nodes", type=int, help="machines; with --gpus: per-GPU memory and inter-node traffic"
    )
    parser.add_argument(
        "--sharding", choices=["ddp", "fsdp", "zero1", "zero2", "zero3", "hybrid"], help="multi-GPU mode"
    )
    parser.add_argument("--optimizer", help="e.g. adamw_torch, adamw_bnb_8bit, paged_adamw_8bit, adafactor")
    parser.add_argument(
        "--gradient-checkpointing",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="recompute activations",
    )
    parser.add_argument(
        "--fused-loss",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="cut_cross_entropy (fused linear cross-entropy: no logits buffer)",
    )
    parser.add_argument("--attention", choices=["flash", "sdpa", "eager"], help="attention implementation")
    parser.add_argument("--dtype", choices=["bf16", "fp16", "fp32"], help="compute dtype")
    parser.add_argument(
        "--packing", action=argparse.BooleanOptionalAction, default=None, help="sample_packing"
    )
    parser.add_argument(
        "--gpu", action="append", metavar="NAME", help='judge against a preset, e.g. "A100 40G" (repeatable)'
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--list-models", action="store_true", help="list the model catalog and exit")
    parser.add_argument("--list-gpus", action="store_true", help="list GPU presets and this machine's GPUs")


def _overrides(args: argparse.Namespace) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    if args.model:
        changes["model"] = args.model
    if args.adapter:
        changes["adapter"] = None if args.adapter == "none" else args.adapter
        if args.adapter != "qlora":
            changes["load_in_4bit"] = False
    flag_map = {
        "lora_r": "lora_r",
        "seq": "sequence_len",
        "batch": "micro_batch_size",
        "grad_accum": "gradient_accumulation_steps",
        "gpus": "num_gpus",
        "sharding": "sharding",
        "optimizer": "optimizer",
        "gradient_checkpointing": "gradient_checkpointing",
        "attention": "attention",
        "dtype": "dtype",
        "packing": "sample_packing",
        "fused_loss": "fused_loss",
        "target_linear": "lora_target_linear",
    }
    for flag, field in flag_map.items():
        value = getattr(args, flag)
        if value is not None:
            changes[field] = value
    if args.targets:
        changes["lora_target_modules"] = tuple(t.strip() for t in args.targets.split(",") if t.strip())
    for key in ("lora_r", "sequence_len", "micro_batch_size", "gradient_accumulation_steps", "num_gpus"):
        if key in changes and changes[key] < 1:
            raise UserError(f"--{key.replace('_', '-')} must be at least 1", hint="pass a positive number")
    if args.nodes is not None:
        if args.nodes < 1:
            raise UserError("--nodes must be at least 1", hint="pass a positive number")
        changes["num_nodes"] = args.nodes
        changes["num_gpus"] = changes.get("num_gpus", 1) * args.nodes  # --gpus counts one node
    return changes  # sharding stays what the config says (fsdp/deepspeed), else EstimateInput's ddp


def build_input(args: argparse.Namespace):
    from ftui.core.memory import EstimateInput

    base_dir = None
    if args.config:
        from ftui.core.config import load_config

        loaded = load_config(args.config)
        for warning in loaded.warnings:
            print(f"warning: {warning}", file=sys.stderr)
        inp = EstimateInput.from_config(loaded.config)
        base_dir = loaded.path.resolve().parent if loaded.path else None
    elif args.model:
        inp = EstimateInput(model=args.model)
    else:
        raise UserError(
            "nothing to estimate: give a CONFIG file or --model",
            hint="e.g. ftui estimate --model meta-llama/Llama-3.1-8B --adapter qlora --seq 2048",
        )
    return inp.with_changes(**_overrides(args)), base_dir


def run(args: argparse.Namespace) -> int:
    if args.list_models:
        return _list_models()
    if args.list_gpus:
        return _list_gpus()
    from ftui.core.memory import detected_or_preset_gpus, estimate_memory
    from ftui.core.models.lookup import get_model_facts

    inp, base_dir = build_input(args)
    facts = get_model_facts(inp.model, base_dir=base_dir)
    gpus, real_target = detected_or_preset_gpus(args.gpu)
    result = estimate_memory(inp, facts=facts, gpus=gpus, suggest=real_target)
    nodes = node_section(facts, inp, gpus[0] if real_target and gpus else None)
    if args.json:
        print(json.dumps({**result.to_dict(), "nodes": nodes}, indent=2))
    else:
        print(render(result, real_target) + render_nodes(nodes))
    return 0


def node_section(facts, inp, target) -> dict[str, Any]:
    """The layout asked for (per-GPU memory, inter-node traffic) and the cheapest layout that fits."""
    from ftui.core.memory.nodes import cheapest_layout, layout

    per_node = max(inp.num_gpus // max(inp.num_nodes, 1), 1)
    asked = layout(facts, inp, max(inp.num_nodes, 1), per_node, inp.sharding)
    cheapest = cheapest_layout(facts, inp, target) if target is not None else None
    return {
        "layout": asked.to_dict(),
        "target_gpu": target.name if target is not None else None,
        "cheapest": cheapest.to_dict() if cheapest is not None else None,
    }


def render_nodes(nodes: dict[str, Any], gbit: float = 100.0) -> str:
    asked, cheapest = nodes["layout"], nodes["cheapest"]
    lines = ["", f"layout    {asked['title']}: {_gib(asked['per_gpu_bytes'])} GiB per GPU"]
    if asked["nodes"] > 1:
        seconds = asked["inter_node_bytes"] * 8 / (gbit * 1e9)
        lines.append(
            f"traffic   each node sends {asked['inter_node_bytes'] / 1e9:.2f} GB to the other nodes per optimizer "
            f"step (about {seconds:.2f} s at {gbit:.0f} Gbit/s)"
        )
    if nodes["target_gpu"] is None:
        lines.append("cheapest  pass --gpu NAME to find the cheapest layout that fits")
    elif cheapest is None:
        lines.append(f"cheapest  nothing up to 8 nodes x 8 GPUs fits {nodes['target_gpu']}")
    else:
        traffic = (
            f"{cheapest['inter_node_bytes'] / 1e9:.2f} GB per node per step across nodes"
            if cheapest["nodes"] > 1
            else "no inter-node traffic"
        )
        lines.append(
            f"cheapest  layout that fits {nodes['target_gpu']}: {cheapest['title']} "
            f"({_gib(cheapest['per_gpu_bytes'])} GiB per GPU, {traffic})"
        )
    return "\n".join(lines)


def _count(n: int) -> str:
    for unit, size in (("B", 10**9), ("M", 10**6), ("K", 10**3)):
        if n >= size:
            return f"{n / size:.2f} {unit}"
    return str(n)


def _describe(inp) -> str:
    if inp.is_lora:
        targets = "all linear" if inp.targets_all_linear else ",".join(inp.lora_target_modules)
        method = f"{'QLoRA' if inp.quant_bits == 4 else 'LoRA'} r={inp.lora_r} ({targets})"
        if inp.quant_bits == 8:
            method += " on an 8-bit base"
    else:
        method = "full fine-tune"
    gc = ", gradient checkpointing" if inp.gradient_checkpointing else ""
    gc += ", fused loss" if inp.fused_loss else ""
    gc += f", Liger {'+'.join(inp.liger_kernels)}" if inp.liger_kernels else ""
    gpus = f"{inp.num_gpus} GPUs ({inp.sharding})" if inp.num_gpus > 1 else "1 GPU"
    if inp.num_nodes > 1:
        gpus += f" on {inp.num_nodes} nodes"
    return (
        f"{method} · seq {inp.sequence_len} × batch {inp.micro_batch_size} · {inp.dtype} · {inp.attention}"
        f" attention{gc} · {inp.optimizer} · {gpus}"
    )


def render(result, real_target: bool) -> str:
    from ftui.core.memory import COMPONENT_LABELS

    inp = result.input
    share = result.trainable_params / result.params * 100 if result.params else 0.0
    lines = [
        f"model     {result.model}",
        f"training  {_describe(inp)}",
        f"params    {_count(result.params)} total, {_count(result.trainable_params)} trainable ({share:.2f}%)",
        "",
        f"{'component (per GPU)':<50} {'GiB':>8} {'share':>7}",
    ]
    for name, value in result.components.items():
        if value:
            label = COMPONENT_LABELS.get(name, name)
            lines.append(f"{label:<50} {_gib(value):>8} {value / result.total_bytes * 100:>6.1f}%")
    lines.append(f"{'total peak':<50} {_gib(result.total_bytes):>8} {100.0:>6.1f}%")
    lines.append(
        f"(peak moment: {result.peak_phase.replace('_', ' ')}; PyTorch-allocated part "
        f"{_gib(result.peak_allocated_bytes)} GiB)"
    )
    for name, value in result.offloaded.items():
        lines.append(
            f"not counted: {COMPONENT_LABELS.get(name, name)} {_gib(value)} GiB (in CPU RAM: paged or offloaded)"
        )
    lines += ["", f"{'GPU':<24} {'memory':>10} {'use':>6}  verdict"]
    for v in result.per_gpu:
        verdict = {"fits": "fits", "tight": "tight (> 90%)", "does_not_fit": "does NOT fit"}[v.status]
        lines.append(f"{v.gpu:<24} {_gib(v.memory_bytes):>6} GiB {v.usage * 100:>5.0f}%  {verdict}")
    if not real_target:
        lines.append("(no GPU detected: showing presets; pass --gpu NAME for suggestions against one)")
    if result.suggestions:
        target = result.per_gpu[0].gpu if result.per_gpu else "the GPU"
        lines += ["", f"suggestions for {target} (each re-estimated):"]
        for i, s in enumerate(result.suggestions, 1):
            status = "fits" if s.fits else "still too big"
            lines.append(f"{i:>2}. {s.title}")
            lines.append(f"    -> {_gib(s.total_bytes)} GiB ({status}, saves {_gib(s.saves_bytes)} GiB)")
    if result.tips:
        lines += ["", *[f"tip: {t}" for t in result.tips]]
    if result.notes:
        lines += ["", *[f"note: {n}" for n in result.notes]]
    return "\n".join(lines)


def _list_models() -> int:
    from ftui.core.models import catalog, count_parameters

    family = None
    for hub_id, facts in catalog().items():
        if facts.family_label != family:
            family = facts.family_label
            print(f"\n{family}")
        kind = "instruct" if facts.instruct else "base"
        print(
            f"  {hub_id:<42} {_count(count_parameters(facts).total):>9}  {kind:<8} ctx {facts.max_positions}"
        )
    return 0


def _list_gpus() -> int:
    from ftui.core.hardware import GPU_PRESETS, detect_hardware

    print("presets:")
    for preset in GPU_PRESETS.values():
        print(
            f"  {preset.name:<14} {_gib(preset.memory_bytes):>7} GiB  bf16: {'yes' if preset.bf16 else 'no'}"
        )
    hw = detect_hardware()
    print("this machine:")
    if not hw.gpus:
        print("  no NVIDIA GPU detected" + (" (Apple MPS available)" if hw.mps else ""))
    for gpu in hw.gpus:
        print(f"  {gpu.label}, free {_gib(gpu.free_bytes)} GiB, bf16: {'yes' if gpu.bf16 else 'no'}")
    print(f"  CPU: {hw.cpu_cores} cores / {hw.cpu_threads} threads, RAM {_gib(hw.ram_total_bytes)} GiB")
    return 0
