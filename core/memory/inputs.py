"""`EstimateInput`: the training settings that decide memory, small and hashable.

The TUI builds one from the config on every keystroke (`from_config`), the CLI from flags; the estimator
never sees the full config, so it stays fast and independent of the config schema.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

Attention = Literal["flash", "sdpa", "eager"]
# hybrid: FSDP HYBRID_SHARD, sharded within a node and replicated across nodes
Sharding = Literal["ddp", "fsdp", "zero3", "zero2", "zero1", "hybrid"]
DType = Literal["bf16", "fp16", "fp32"]


@dataclass(frozen=True)
class EstimateInput:
    model: str = "embedded"
    adapter: str | None = None  # "lora", "qlora" or None (full fine-tune)
    load_in_4bit: bool = False
    load_in_8bit: bool = False
    lora_r: int = 8
    lora_dropout: float = 0.0
    lora_target_modules: tuple[str, ...] = ()
    lora_target_linear: bool = False
    lora_modules_to_save: tuple[str, ...] = ()
    micro_batch_size: int = 1
    gradient_accumulation_steps: int = 1
    sequence_len: int = 512
    sample_packing: bool = False
    gradient_checkpointing: bool = False
    attention: Attention = "sdpa"
    dtype: DType = "bf16"
    optimizer: str = "adamw_torch"
    num_gpus: int = 1  # in total, across nodes
    sharding: Sharding = "ddp"
    num_nodes: int = 1
    offload_optimizer: bool = False  # DeepSpeed offload_optimizer (optimizer states and step on the CPU)
    offload_params: bool = False  # DeepSpeed offload_param / FSDP offload_params
    preference: str | None = None  # rl: dpo|ipo|simpo|orpo|kto (core/memory/preference.py)
    precompute_ref_log_probs: bool = False
    # cut_cross_entropy / liger_fused_linear_cross_entropy / chunked_cross_entropy: no [tokens x vocab] logits
    fused_loss: bool = False
    liger_kernels: tuple[str, ...] = ()  # liger-kernel kernels patched in: "rms_norm", "swiglu", "rope", ...
    # Where the step runs: "cuda" (the estimate's target) or "cpu", where TRL's fused LM head runs its torch
    # fallback instead of Triton and keeps fp32 temporaries of each logits tile (core/memory/preference.py),
    # and SDPA keeps k/v heads unrepeated even with a packing mask (core/train/cpu_memory.native_gqa).
    device: str = "cuda"

    @property
    def shard_count(self) -> int:
        """How many GPUs share one copy of the sharded state (hybrid: the GPUs of one node)."""
        if self.sharding == "hybrid":
            return max(1, self.num_gpus // max(self.num_nodes, 1))
        return self.num_gpus

    @property
    def is_lora(self) -> bool:
        return self.adapter in ("lora", "qlora")

    @property
    def quant_bits(self) -> int | None:
        """4 for QLoRA / load_in_4bit, 8 for load_in_8bit, None for 16/32-bit base weights."""
        if self.adapter == "qlora" or self.load_in_4bit:
            return 4
        if self.load_in_8bit:
            return 8
        return None

    @property
    def targets_all_linear(self) -> bool:
        """ftui's trainer (like PEFT's "all-linear") adapts every Linear when no target is listed."""
        return self.lora_target_linear or not self.lora_target_modules

    def with_changes(self, **changes: Any) -> EstimateInput:
        return replace(self, **changes)

    @classmethod
    def from_config(cls, config: Any) -> EstimateInput:
        """Read an FtuiConfig (or any object/dict with Axolotl key names)."""

        from ftui.core.config.schema import default_of
        from ftui.core.train.kernels import LIGER_KERNELS, LOSS_KEYS, fused_key, liger_keys

        def get(key: str, unset: Any = None) -> Any:
            """The key's value, else the schema's default, else `unset` (keys the schema leaves None)."""
            value = config.get(key) if isinstance(config, dict) else getattr(config, key, None)
            if value is None:
                value = default_of(key)
            return unset if value is None else value

        sharding, offload = _parallel(config, _base_dir(config))
        raw = {key: get(key) for key in (*LOSS_KEYS, *LIGER_KERNELS)}
        targets = get("lora_target_modules", ())
        if isinstance(targets, str):
            targets = (targets,)
        return cls(
            model=str(get("base_model", "embedded")),
            adapter=get("adapter") or None,
            load_in_4bit=bool(get("load_in_4bit")),
            load_in_8bit=bool(get("load_in_8bit")),
            lora_r=int(get("lora_r")),
            lora_dropout=float(get("lora_dropout")),
            lora_target_modules=tuple(targets),
            lora_target_linear=bool(get("lora_target_linear")),
            lora_modules_to_save=tuple(get("lora_modules_to_save", ()) or ()),
            micro_batch_size=int(get("micro_batch_size")),
            gradient_accumulation_steps=int(get("gradient_accumulation_steps")),
            sequence_len=int(get("sequence_len")),
            sample_packing=bool(get("sample_packing")),
            gradient_checkpointing=bool(get("gradient_checkpointing")),
            attention=_attention(config),
            dtype=_dtype(get("bf16"), get("fp16", False)),
            optimizer=str(get("optimizer")),
            num_gpus=int(get("num_processes")),
            sharding=sharding,
            num_nodes=int(get("num_machines")),
            offload_optimizer=offload[0],
            offload_params=offload[1],
            preference=_preference(get("rl")),
            precompute_ref_log_probs=bool(get("precompute_ref_log_probs")),
            fused_loss=fused_key(raw) is not None,
            liger_kernels=tuple(dict.fromkeys(LIGER_KERNELS[k] for k in liger_keys(raw))),
        )


def _preference(rl: Any) -> str | None:
    from ftui.core.preference.methods import METHODS

    return rl if isinstance(rl, str) and rl in METHODS else None


def _base_dir(config: Any) -> Path | None:
    base = getattr(config, "_base_dir", None)
    return Path(base) if base else None


def _attention(config: Any) -> Attention:
    """What the trainer runs (attn_implementation or Axolotl's older flags): FlashAttention, flex and hub
    kernels keep no full attention matrix ("flash"); eager does; SDPA otherwise (transformers' default,
    and what ftui runs for Axolotl-only backends)."""
    from ftui.core.config.choices import resolve_attention, runnable_attention

    name = runnable_attention(resolve_attention(config)) or "sdpa"
    if name.startswith("flash_attention") or name == "flex_attention" or "/" in name:
        return "flash"
    return "eager" if name == "eager" else "sdpa"


def _dtype(bf16: Any, fp16: Any) -> DType:
    """Mirror the trainer: bf16 auto -> bf16 on a modern GPU; bf16: false -> fp16 unless fp16: false too."""
    if isinstance(bf16, str) and bf16.lower() == "auto":
        return "fp16" if fp16 is True else "bf16"
    if bf16:
        return "bf16"
    if fp16 is False and bf16 is False:
        return "fp32"
    return "fp16"


def _parallel(config: Any, base_dir: Path | None) -> tuple[Sharding, tuple[bool, bool]]:
    """(sharding, (offload optimizer, offload params)) as the launcher reads fsdp/fsdp_config/deepspeed
    (core/train/fsdp.py, core/train/deepspeed.py: shipped names, FSDP2 keys); unreadable -> by name."""
    from ftui.core.errors import UserError
    from ftui.core.train.deepspeed import resolve_deepspeed
    from ftui.core.train.fsdp import fsdp_plan

    def get(key: str) -> Any:
        return config.get(key) if isinstance(config, dict) else getattr(config, key, None)

    try:
        plan = fsdp_plan(get("fsdp"), get("fsdp_config"), get("fsdp_version"))
        if plan is not None:
            return plan.sharding, (plan.offload_params, plan.offload_params)  # type: ignore[return-value]
        choice = resolve_deepspeed(get("deepspeed"), base_dir)
    except UserError:
        return _sharding(get("fsdp"), get("deepspeed"), base_dir), (False, False)
    if choice is None:
        return "ddp", (False, False)
    stage = {3: "zero3", 2: "zero2", 1: "zero1"}.get(choice.stage, "ddp")
    return stage, (choice.offload_optimizer, choice.offload_params)  # type: ignore[return-value]


def _sharding(fsdp: Any, deepspeed: Any, base_dir: Path | None) -> Sharding:
    if fsdp:
        text = " ".join(fsdp) if isinstance(fsdp, list) else str(fsdp)
        return "zero2" if "shard_grad_op" in text else "fsdp"
    if not deepspeed:
        return "ddp"
    stage = None
    if isinstance(deepspeed, dict):
        stage = (deepspeed.get("zero_optimization") or {}).get("stage")
    else:
        path = Path(str(deepspeed))
        if not path.is_absolute() and base_dir is not None:
            path = base_dir / path
        try:
            stage = (json.loads(path.read_text()).get("zero_optimization") or {}).get("stage")
        except (OSError, ValueError):
            match = re.search(r"zero[_-]?(\d)", str(deepspeed))
            stage = int(match.group(1)) if match else None
    return {3: "zero3", 2: "zero2", 1: "zero1"}.get(int(stage) if stage is not None else 0, "ddp")  # type: ignore[return-value]
