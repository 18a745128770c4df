"""The training settings read from a config (Axolotl keys). Their defaults are core/config/schema.py's
(`effective_default`), so a plain dict without a key trains as a YAML file without it.

The runner takes either a validated `FtuiConfig` (pydantic) or a plain dict; everything it needs is copied
into `TrainSettings` so the rest of core/train never cares which one it got, and unknown keys are kept in
`raw` for the resolved-config record.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from ftui.core.config.derived import resolve_against
from ftui.core.config.schema import effective_default as _default
from ftui.core.config.secrets import is_secret_key, without_secrets


def config_to_dict(config: Any) -> dict[str, Any]:
    """A plain dict of a config object (pydantic model, dataclass or dict), without None-only noise."""
    if isinstance(config, dict):
        return dict(config)
    if hasattr(config, "model_dump"):
        return config.model_dump(mode="json", exclude_none=True)
    if hasattr(config, "__dict__"):
        return {k: v for k, v in vars(config).items() if not k.startswith("_")}
    raise TypeError(f"cannot read a config of type {type(config).__name__}")


def is_secret(key: Any) -> bool:
    """The name half of core/config/secrets.py's rule (kept for older imports)."""
    return is_secret_key(key)


def redact(value: Any) -> Any:
    """A config dict without its secrets (core/config/secrets.py: top-level string credentials)."""
    return without_secrets(value) if isinstance(value, dict) else value


@dataclass
class TrainSettings:
    """What the trainer reads; every default is core/config/schema.py's (`effective_default`: the schema's,
    else `WHEN_UNSET` for keys Axolotl leaves None); None here means "off" or "not given"."""

    base_model: str = "embedded"
    tokenizer_config: str | None = None
    trust_remote_code: bool = _default("trust_remote_code")
    adapter: str | None = None  # None (full), "lora", "qlora"
    load_in_4bit: bool = _default("load_in_4bit")
    load_in_8bit: bool = _default("load_in_8bit")
    lora_r: int = _default("lora_r")
    lora_alpha: int = _default("lora_alpha")
    lora_dropout: float = _default("lora_dropout")
    lora_target_modules: list[str] | None = None
    lora_target_linear: bool = _default("lora_target_linear")
    lora_modules_to_save: list[str] | None = None
    sequence_len: int = _default("sequence_len")
    sample_packing: bool = _default("sample_packing")
    pad_to_sequence_len: bool = _default("pad_to_sequence_len")
    micro_batch_size: int = _default("micro_batch_size")
    gradient_accumulation_steps: int = _default("gradient_accumulation_steps")
    num_epochs: float = _default("num_epochs")
    max_steps: int | None = None
    learning_rate: float = _default("learning_rate")
    lr_scheduler: str = _default("lr_scheduler")
    warmup_steps: int | float | None = None  # a float < 1 is a fraction of the run (transformers' rule)
    warmup_ratio: float | None = None
    weight_decay: float = _default("weight_decay")
    max_grad_norm: float = _default("max_grad_norm")
    optimizer: str = _default("optimizer")
    bf16: Any = _default("bf16")
    fp16: Any = None
    tf32: Any = None
    gradient_checkpointing: bool = _default("gradient_checkpointing")
    val_set_size: float = _default("val_set_size")
    evals_per_epoch: int | None = None
    eval_steps: int | None = None
    saves_per_epoch: int | None = None
    save_steps: int | None = None
    save_total_limit: int | None = None
    early_stopping_patience: int | None = None
    output_dir: str = _default("output_dir")
    seed: int = _default("seed")
    resume_from_checkpoint: Any = None
    loss_watchdog_threshold: float | None = None
    loss_watchdog_patience: int | None = _default("loss_watchdog_patience")
    eval_table_size: int = _default("eval_table_size")
    eval_max_new_tokens: int = _default("eval_max_new_tokens")
    eval_assertions: str | None = None
    logging_steps: int | float = _default("logging_steps")  # a float < 1 is a fraction of the run
    fsdp: Any = None
    fsdp_config: dict[str, Any] | None = None
    deepspeed: Any = None  # path to a DeepSpeed JSON, or the dict itself
    config_dir: str = "."  # folder of the YAML file: relative paths in the config are relative to it
    raw: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_config(cls, config: Any, config_dir: str | Path | None = None) -> TrainSettings:
        data = config_to_dict(config)
        known = {f.name for f in fields(cls)} - {"raw", "config_dir"}
        kwargs = {k: v for k, v in data.items() if k in known and v is not None}
        if kwargs.get("adapter") in ("", "none", "full"):
            kwargs["adapter"] = None
        if kwargs.get("lora_target_modules") == "all-linear":
            kwargs.pop("lora_target_modules")
            kwargs["lora_target_linear"] = True
        if kwargs.get("optimizer") == "adamw_hf":  # Axolotl's old name; transformers 5 has only adamw_torch
            kwargs["optimizer"] = "adamw_torch"
        if "gradient_checkpointing" in kwargs:  # Axolotl's `offload` / `offload_disk` also checkpoint
            kwargs["gradient_checkpointing"] = bool(kwargs["gradient_checkpointing"])
        if kwargs.get("optimizer") == "paged_adamw":
            kwargs["optimizer"] = "paged_adamw_32bit"
        if isinstance(kwargs.get("lora_target_modules"), str):
            kwargs["lora_target_modules"] = [kwargs["lora_target_modules"]]
        source_dir = config_dir or data.get("config_dir") or _source_dir(config)
        return cls(**kwargs, config_dir=str(source_dir or "."), raw=data)

    @property
    def is_quantized(self) -> bool:
        return self.adapter == "qlora" or self.load_in_4bit or self.load_in_8bit

    def resolve_path(self, value: str) -> Path:
        """A config path against the YAML's folder, by the config's rule (core/config/derived.py)."""
        return resolve_against(self.config_dir, value)

    @property
    def output_path(self) -> Path:
        from ftui.core.config.relocate import output_path

        return output_path(self.output_dir)  # against the working directory, as in Axolotl

    def warmup(self, total_steps: int) -> int:
        if self.warmup_steps and 0 < self.warmup_steps < 1:  # a fraction, as transformers reads a float
            return int(math.ceil(total_steps * self.warmup_steps))
        if self.warmup_steps:
            return int(self.warmup_steps)
        if self.warmup_ratio:
            return int(math.ceil(total_steps * self.warmup_ratio))
        return 0


def _source_dir(config: Any) -> str | None:
    """The folder of the YAML a config came from, when the config object knows it."""
    for attr in ("_base_dir", "source_path", "path"):
        value = getattr(config, attr, None)
        if value:
            return str(value) if attr == "_base_dir" else str(Path(value).parent)
    return None
