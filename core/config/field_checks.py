"""The checks of single config fields (one value: its type form, range or known choices).

Kept out of schema.py so the schema reads as the list of keys with their defaults; `FtuiConfig` attaches each
check to its field(s). Rules that relate several fields live in rules.py.
"""

from __future__ import annotations

from typing import Any

from ftui.core.config.choices import (
    AXOLOTL_LR_SCHEDULERS,
    LR_SCHEDULERS,
    attention_implementations,
    attention_short_forms,
    optimizer_names,
)
from ftui.core.config.suggestions import unknown_choice
from pydantic import ValidationInfo


def adapter_choice(value: Any) -> Any:
    """`adapter:` empty, `none` or `full` all mean a full fine-tune."""
    if value is None or (isinstance(value, str) and value.strip().lower() in ("", "none", "full")):
        return None
    if isinstance(value, str) and value not in ("lora", "qlora", "llama-adapter"):
        raise ValueError(unknown_choice("adapter", value, ("lora", "qlora", "none")))
    return value


def rl_method(value: Any) -> Any:
    """Axolotl's `rl:` names; empty or false means supervised fine-tuning."""
    from ftui.core.preference.methods import RL_CHOICES

    if value in (None, False, ""):
        return None
    if not isinstance(value, str) or value.strip().lower() not in RL_CHOICES:
        raise ValueError(unknown_choice("rl", str(value), RL_CHOICES))
    return value.strip().lower()


def dpo_losses(value: Any) -> Any:
    """`dpo_loss_type:` one of TRL's loss names, or a list of them (TRL combines several)."""
    from ftui.core.preference.methods import DPO_LOSS_TYPES

    value = [value] if isinstance(value, str) else value
    if value is not None and not isinstance(value, list):
        raise ValueError(f"must be a DPO loss name or a list of them, not {value!r}")
    for name in value or []:
        if not isinstance(name, str) or name not in DPO_LOSS_TYPES:
            raise ValueError(unknown_choice("DPO loss type", str(name), DPO_LOSS_TYPES))
    return value


def val_fraction_or_count(value: float) -> float:
    """A fraction in [0, 1) of the rows, or a whole number (>= 1) of rows."""
    if 0 <= value < 1:
        return value
    if value >= 1 and float(value).is_integer():
        return int(value)
    raise ValueError(f"must be a fraction in [0, 1) or a whole number of rows, not {value!r}")


def assertions_ref(value: str | None) -> str | None:
    if value is None:
        return None
    file, sep, func = value.rpartition(":")
    if not sep or not file.endswith(".py") or not func.isidentifier():
        raise ValueError(f"must look like 'path/to/file.py:function_name', not {value!r}")
    return value


def drop_kinds(value: Any) -> Any:
    from ftui.core.quality.kinds import KINDS, parse_kinds

    if value is None:
        return None
    return parse_kinds(value if isinstance(value, (list, str)) else [str(value)], allowed=tuple(KINDS))


def near_threshold(value: bool | float) -> bool | float:
    if not isinstance(value, bool) and not 0 < value <= 1:
        raise ValueError(f"must be true/false or a similarity in (0, 1], not {value!r}")
    return value


def quality_settings(value: dict[str, float] | None) -> dict[str, float] | None:
    if value is not None:
        from ftui.core.quality.settings import AuditSettings

        AuditSettings.from_mapping(value)
    return value


def known_choice(value: str, info: ValidationInfo) -> str:
    """`optimizer` and `lr_scheduler`: one of the names ftui can pass on."""
    if info.field_name == "optimizer":
        choices, listed = optimizer_names(), 16
    else:
        choices, listed = (*LR_SCHEDULERS, *AXOLOTL_LR_SCHEDULERS), None
    if value not in choices:
        raise ValueError(unknown_choice(str(info.field_name), value, choices, listed=listed))
    return value


def known_attention(value: str | None) -> str | None:
    """Axolotl's canonical names or a hub-kernel path (`org/repo`); short forms are refused as there."""
    if value is None or value in attention_implementations() or "/" in value:
        return value
    short = attention_short_forms()
    if value in short:
        raise ValueError(f"{value!r} is not accepted; use the canonical name {short[value]!r} (as Axolotl)")
    raise ValueError(
        unknown_choice("attention backend", value, attention_implementations())
        + ", or a hub-kernel path like kernels-community/flash-attn3"
    )


def one_or_many(value: Any) -> Any:
    """A list key written as one string (`plugins: x`) is a list of that one string."""
    return [value] if isinstance(value, str) else value


def pretraining_forms(value: Any) -> Any:
    """Old configs give one hub id (`pretraining_dataset: allenai/c4`) or one mapping."""
    if isinstance(value, str):
        return [{"path": value}]
    if isinstance(value, dict):
        return [value]
    return value


def bool_as_text(value: Any) -> Any:
    """Axolotl examples write `wandb_log_model: false`; keep the meaning without a type error."""
    return None if value is False else value
