"""Which weights an export writes: the run's merged model, its LoRA merged in memory, or its full weights.

The architecture is checked from config.json before any weights load, so an unsupported model is refused
in a second, not after minutes of loading.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ftui.core.export.arch import arch_spec
from ftui.core.runs.layout import (
    ADAPTER_CONFIG,
    MERGED_DIR,
    MODEL_CONFIG,
    model_dir_of,
    read_run_info,
    tokenizer_dir,
)


@dataclass
class Loaded:
    model: Any
    tokenizer: Any
    source: str


def _check_arch(path: str, gguf_file: str | None, trust: bool) -> None:
    from transformers import AutoConfig

    extra = {"gguf_file": gguf_file} if gguf_file else {}
    arch_spec(AutoConfig.from_pretrained(path, trust_remote_code=trust, **extra))


def load_for_export(root: Path, say: Callable[[str], None]) -> Loaded:
    from ftui.core.merge import load_merged
    from transformers import AutoModelForCausalLM, AutoTokenizer

    info = read_run_info(root)
    trust = bool(info.get("trust_remote_code", False))
    merged = root / MERGED_DIR
    if (merged / MODEL_CONFIG).exists():
        _check_arch(str(merged), None, trust)
        say(f"loading the merged model {merged} ...")
        model = AutoModelForCausalLM.from_pretrained(merged, dtype="auto", trust_remote_code=trust)
        return Loaded(model.eval(), AutoTokenizer.from_pretrained(merged), f"the merged model {merged}")
    weights = model_dir_of(root)
    adapter_config = weights / ADAPTER_CONFIG
    if adapter_config.exists():
        base = (
            info.get("base_model_path") or json.loads(adapter_config.read_text())["base_model_name_or_path"]
        )
        _check_arch(base, info.get("base_model_gguf_file"), trust)
        say(f"merging the adapter {weights} into {base} in memory (no merged/ folder yet) ...")
        model, tokenizer, _ = load_merged(root)
        return Loaded(model.eval(), tokenizer, f"the adapter {weights} merged into {base}")
    _check_arch(str(weights), None, trust)
    say(f"loading the trained model {weights} ...")
    model = AutoModelForCausalLM.from_pretrained(weights, dtype="auto", trust_remote_code=trust)
    tok = AutoTokenizer.from_pretrained(tokenizer_dir(root, weights))
    return Loaded(model.eval(), tok, f"the full model {weights}")
