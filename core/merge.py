"""Merge a run's LoRA adapter into its base model and save a standalone model (safetensors + tokenizer).

For QLoRA the adapter is merged into the base loaded in 16-bit (de-quantized) precision, never into 4-bit
weights: merging into quantized weights would round the update away. The result is written to a temporary
folder and renamed, so an interrupted merge never leaves a half model behind.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from ftui.core.errors import UserError
from ftui.core.runs.layout import (
    ADAPTER_CONFIG,
    MERGE_INFO_FILE,
    MERGED_DIR,
    MODEL_CONFIG,
    model_dir_of,
    read_run_info,
    tokenizer_dir,
)

DTYPES = ("auto", "float32", "float16", "bfloat16")


def _base_dtype(base_path: str, info: dict[str, Any], requested: str) -> Any:
    """The merge precision: the base's own 16/32-bit dtype (`auto`), or what the user asked for."""
    import torch

    if requested != "auto":
        return getattr(torch, requested)
    config_file = Path(base_path) / MODEL_CONFIG
    name = None
    if config_file.exists():
        data = json.loads(config_file.read_text())
        name = data.get("dtype") or data.get("torch_dtype")
    if info.get("quantized") and name not in ("float16", "bfloat16", "float32"):
        name = "bfloat16" if torch.cuda.is_available() else "float32"
    return getattr(torch, name) if name in ("float16", "bfloat16", "float32") else torch.float32


def load_merged(run_dir: str | Path, dtype: str = "auto") -> tuple[Any, Any, str]:
    """(merged model, tokenizer, base model path) of a LoRA run, merged in memory (nothing written)."""
    from peft import PeftModel
    from transformers import AutoModelForCausalLM, AutoTokenizer

    if dtype not in DTYPES:
        raise UserError(f"unknown dtype {dtype!r}", hint=f"choose one of {', '.join(DTYPES)}")
    root = Path(run_dir)
    if not root.exists():
        raise UserError(f"run folder not found: {root}", hint="pass a run's output_dir")
    weights = model_dir_of(root)
    adapter_config = weights / ADAPTER_CONFIG
    if not adapter_config.exists():
        raise UserError(
            f"{weights} holds a full model, not a LoRA adapter: there is nothing to merge",
            hint="use the run folder directly (ftui chat RUN_DIR), it is already a standalone model",
        )
    info = read_run_info(root)
    base_path = (
        info.get("base_model_path") or json.loads(adapter_config.read_text())["base_model_name_or_path"]
    )
    extra = {"gguf_file": info["base_model_gguf_file"]} if info.get("base_model_gguf_file") else {}
    torch_dtype = _base_dtype(base_path, info, dtype)
    trust = bool(info.get("trust_remote_code", False))
    # Loaded without quantization_config: for QLoRA runs this is the de-quantized 16-bit (or fp32) base.
    base = AutoModelForCausalLM.from_pretrained(
        base_path, dtype=torch_dtype, trust_remote_code=trust, **extra
    )
    merged = PeftModel.from_pretrained(base, weights).merge_and_unload()
    if hasattr(merged.config, "quantization_config"):
        del merged.config.quantization_config
    merged.config.use_cache = True
    tokenizer = AutoTokenizer.from_pretrained(tokenizer_dir(root, weights))
    return merged, tokenizer, base_path


def merge_run(run_dir: str | Path, out_dir: str | Path | None = None, dtype: str = "auto") -> Path:
    """Merge and save; returns the folder of the merged model (default RUN_DIR/merged)."""
    root = Path(run_dir)
    merged, tokenizer, base_path = load_merged(root, dtype)
    weights = model_dir_of(root)
    torch_dtype = merged.dtype

    target = Path(out_dir) if out_dir else root / MERGED_DIR
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    try:
        merged.save_pretrained(tmp, safe_serialization=True)
        tokenizer.save_pretrained(tmp)
        (tmp / MERGE_INFO_FILE).write_text(
            json.dumps(
                {
                    "run_dir": str(root.resolve()),
                    "adapter": str(weights),
                    "base_model": base_path,
                    "dtype": str(torch_dtype).replace("torch.", ""),
                },
                indent=2,
            )
        )
        if target.exists():
            shutil.rmtree(target)
        os.replace(tmp, target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target
