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
Sharding = Literal["ddp", "fsdp", "zero3", "zero2", "zero1"]
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
    num_gpus: int = 1
    sharding: Sharding = "ddp"

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

        def get(key: str, default: Any = None) -> Any:
            value = config.get(key, default) if isinstance(config, dict) else getattr(config, key, default)
            return default if value is None else value

        targets = get("lora_target_modules", ())
        if isinstance(targets, str):
            targets = (targets,)
        return cls(
            model=str(get("base_model", "embedded")),
            adapter=get("adapter") or None,
            load_in_4bit=bool(get("load_in_4bit", False)),
            load_in_8bit=bool(get("load_in_8bit", False)),
            lora_r=int(get("lora_r", 8)),
            lora_dropout=float(get("lora_dropout", 0.0)),
            lora_target_modules=tuple(targets),
            lora_target_linear=bool(get("lora_target_linear", False)),
            lora_modules_to_save=tuple(get("lora_modules_to_save", ()) or ()),
            micro_batch_size=int(get("micro_batch_size", 1)),
            gradient_accumulation_steps=int(get("gradient_accumulation_steps", 1)),
            sequence_len=int(get("sequence_len", 512)),
            sample_packing=bool(get("sample_packing", False)),
            gradient_checkpointing=bool(get("gradient_checkpointing", False)),
            attention=_attention(get("flash_attention", False), get("eager_attention", False)),
            dtype=_dtype(get("bf16", "auto"), get("fp16", False)),
            optimizer=str(get("optimizer", "adamw_torch")),
            num_gpus=int(get("num_processes", 1)),
            sharding=_sharding(get("fsdp"), get("deepspeed"), _base_dir(config)),
        )


def _base_dir(config: Any) -> Path | None:
    base = getattr(config, "_base_dir", None)
    return Path(base) if base else None


def _attention(flash: Any, eager: Any) -> Attention:
    """flash_attention -> flash; eager_attention -> eager; otherwise SDPA (transformers' default,
    which `sdp_attention: true` also selects)."""
    if flash:
        return "flash"
    return "eager" if eager else "sdpa"


def _dtype(bf16: Any, fp16: Any) -> DType:
    """Mirror the trainer: bf16 auto -> bf16 on a modern GPU; bf16: false -> fp16 unless fp16: false too."""
    if isinstance(bf16, str) and bf16.lower() == "auto":
        return "fp16" if fp16 is True else "bf16"
    if bf16:
        return "bf16"
    if fp16 is False and bf16 is False:
        return "fp32"
    return "fp16"


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
