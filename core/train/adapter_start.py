"""`lora_model_dir`: start LoRA/QLoRA training from an adapter trained before (continue it, or train it
further on new data or with a preference method), as Axolotl does.

The folder is found and checked before the model loads (import-light, so `ftui check` uses it too); an
ftui run folder works as it is: its final adapter at the top, else its last checkpoint with an adapter.
The adapter's own shape (r, alpha, target modules) wins over the config's LoRA keys.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ftui.core.errors import UserError
from ftui.core.train.checkpoints import checkpoints

ADAPTER_CONFIG = "adapter_config.json"  # peft's file name


def find_adapter_dir(value: str, base_dir: str | Path) -> Path:
    """The folder holding `adapter_config.json` for `lora_model_dir: value` (relative to the config's folder)."""
    folder = Path(value).expanduser()
    folder = (folder if folder.is_absolute() else Path(base_dir) / folder).resolve()
    if not folder.is_dir():
        raise UserError(
            f"lora_model_dir: {folder} {'is a file, not a folder' if folder.exists() else 'not found'}",
            hint="point lora_model_dir at a trained adapter (a folder with adapter_config.json), or remove it",
        )
    if (folder / ADAPTER_CONFIG).is_file():
        return folder
    for checkpoint in reversed(checkpoints(folder)):
        if (checkpoint / ADAPTER_CONFIG).is_file():
            return checkpoint
    raise UserError(
        f"lora_model_dir: {folder} has no {ADAPTER_CONFIG} (not a LoRA adapter, nor a run with one)",
        hint="point lora_model_dir at a trained adapter (an ftui run folder or a peft save), or remove it",
    )


def start_adapter_dir(settings: Any) -> Path | None:
    """The adapter folder to start from, or None when `lora_model_dir` is unset or there is no LoRA adapter
    (`ftui check` warns about `lora_model_dir` without an adapter)."""
    value = settings.raw.get("lora_model_dir")
    if not value or settings.adapter not in ("lora", "qlora"):
        return None
    return find_adapter_dir(str(value), settings.config_dir)


def _targets(value: Any) -> set[str] | None:
    if value is None:
        return None
    return {value} if isinstance(value, str) else set(value)


def shape_mismatch(settings: Any, folder: Path) -> str | None:
    """One warning line when the config's lora_r / lora_alpha / lora_target_modules disagree with the
    adapter's (only keys the config sets are compared); None when they agree."""
    saved = json.loads((folder / ADAPTER_CONFIG).read_text(encoding="utf-8"))
    raw = settings.raw
    differ = []
    for key, saved_key in (("lora_r", "r"), ("lora_alpha", "lora_alpha")):
        if raw.get(key) is not None and saved.get(saved_key) is not None and raw[key] != saved[saved_key]:
            differ.append(f"{key}: {raw[key]} -> {saved[saved_key]}")
    mine, theirs = _targets(raw.get("lora_target_modules")), _targets(saved.get("target_modules"))
    if mine and theirs and not raw.get("lora_target_linear") and mine != theirs:
        differ.append(f"lora_target_modules: {sorted(mine)} -> {sorted(theirs)}")
    if not differ:
        return None
    return f"lora_model_dir: the adapter in {folder} keeps its own shape ({'; '.join(differ)})"


def load_start_adapter(model: Any, folder: Path) -> Any:
    """The trained adapter on `model`, trainable (after k-bit preparation for QLoRA, as Axolotl does)."""
    from peft import PeftModel

    try:
        return PeftModel.from_pretrained(model, str(folder), is_trainable=True)
    except (ValueError, RuntimeError, KeyError, OSError) as err:
        raise UserError(
            f"lora_model_dir: the adapter in {folder} does not fit this base model: {err}",
            hint="use the base_model the adapter was trained on, or remove lora_model_dir",
        ) from err
