"""`get_model_facts`: architecture facts for any `base_model` value, cheaply and without torch.

Order: the embedded default and catalog ids (offline, instant), then local folders (config.json), .gguf files
(metadata only), then the hub (config.json download when online; a clear error offline).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ftui.core.errors import UserError
from ftui.core.models.catalog import catalog_lookup, close_catalog_names
from ftui.core.models.embedded import EMBEDDED_MODEL_ID, is_embedded
from ftui.core.models.facts import ModelFacts, facts_from_config
from ftui.core.models.source import ModelSource, missing_offline_error, offline, resolve_model

# llama.cpp architecture name -> transformers model_type (Mistral GGUFs use "llama").
GGUF_ARCHITECTURES = {
    "llama": "llama",
    "mistral": "mistral",
    "qwen2": "qwen2",
    "qwen3": "qwen3",
    "gemma": "gemma",
    "gemma2": "gemma2",
    "gemma3": "gemma3_text",
    "phi3": "phi3",
}


def _suggestion_hint(name: str) -> str:
    close = close_catalog_names(name)
    if close:
        return "did you mean: " + ", ".join(close) + "?  (`ftui estimate --list-models` shows the catalog)"
    return "use a hub id like meta-llama/Llama-3.2-1B, a local model folder, a .gguf file, or `embedded`"


def get_model_facts(name_or_path: str, base_dir: str | Path | None = None) -> ModelFacts:
    """Facts for a catalog id, `embedded`, a local HF folder, a .gguf file or a hub id."""
    name = str(name_or_path or "").strip()
    if is_embedded(name):
        facts = catalog_lookup(EMBEDDED_MODEL_ID)
        assert facts is not None, "the embedded model must be in the catalog"
        return facts.with_name(EMBEDDED_MODEL_ID, "embedded")
    facts = catalog_lookup(name)
    if facts is not None:
        return facts
    try:
        source = resolve_model(name, base_dir=base_dir, materialize=False)
    except UserError as err:
        if not name.startswith((".", "/", "~")) and not name.endswith(".gguf"):
            raise UserError(f"unknown model {name!r}", hint=_suggestion_hint(name)) from err
        raise
    if source.kind == "local":
        return facts_from_folder(Path(source.path), name)
    if source.kind == "gguf":
        path = Path(source.path) / str(source.gguf_file)
        key = ("gguf", str(path.resolve()), path.stat().st_mtime_ns)
        if key not in _CACHE:  # reading GGUF metadata takes seconds; the wizard asks on every keystroke
            _CACHE[key] = facts_from_gguf(path, name)
        return _CACHE[key]
    key = ("hub", source.name, 0)
    if key not in _CACHE:
        _CACHE[key] = _facts_from_hub(source)
    return _CACHE[key]


_CACHE: dict[tuple[str, str, int], ModelFacts] = {}


def facts_from_folder(folder: Path, name: str | None = None) -> ModelFacts:
    config_path = folder / "config.json"
    try:
        config = json.loads(config_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise UserError(
            f"cannot read {config_path}: {err}", hint="is this a Hugging Face model folder?"
        ) from err
    facts = facts_from_config(config, name or str(folder), "local", where=str(config_path))
    return _with_raw_config(facts, config)


def _with_raw_config(facts: ModelFacts, config: dict[str, Any]) -> ModelFacts:
    facts.extra["config"] = config  # kept for the meta-device count of unknown architectures
    return facts


def _gguf_value(field: Any) -> Any:
    """A scalar or string value of a GGUFReader field."""
    from gguf import GGUFValueType

    if field.types and field.types[0] == GGUFValueType.STRING:
        return bytes(field.parts[field.data[0]]).decode("utf-8", errors="replace")
    return field.parts[field.data[0]].tolist()[0]


def facts_from_gguf(path: Path, name: str | None = None) -> ModelFacts:
    """Facts from GGUF metadata (memory-mapped; no tensor is read)."""
    try:
        from gguf import GGUFReader

        reader = GGUFReader(str(path))
    except Exception as err:  # gguf raises ValueError/OSError/struct errors for broken files
        raise UserError(
            f"cannot read GGUF metadata from {path}: {err}", hint="is this a valid .gguf file?"
        ) from err
    fields = reader.fields

    def get(key: str, default: Any = None) -> Any:
        return _gguf_value(fields[key]) if key in fields else default

    arch = get("general.architecture", "llama")
    heads = get(f"{arch}.attention.head_count")
    hidden = get(f"{arch}.embedding_length")
    tokens = fields.get("tokenizer.ggml.tokens")
    tensor_names = {t.name for t in reader.tensors}
    config = {
        "model_type": GGUF_ARCHITECTURES.get(arch, arch),
        "architectures": [],
        "hidden_size": hidden,
        "num_hidden_layers": get(f"{arch}.block_count"),
        "num_attention_heads": heads,
        "num_key_value_heads": get(f"{arch}.attention.head_count_kv", heads),
        "head_dim": get(f"{arch}.attention.key_length", (hidden // heads) if hidden and heads else None),
        "intermediate_size": get(f"{arch}.feed_forward_length"),
        "vocab_size": len(tokens.data) if tokens is not None else get(f"{arch}.vocab_size"),
        "max_position_embeddings": get(f"{arch}.context_length"),
        "tie_word_embeddings": "output.weight" not in tensor_names,
        "num_local_experts": get(f"{arch}.expert_count", 0),
        "num_experts_per_tok": get(f"{arch}.expert_used_count", 0),
        "attention_bias": "blk.0.attn_q.bias" in tensor_names,
    }
    return facts_from_config(config, name or str(path), "gguf", where=str(path))


def _facts_from_hub(source: ModelSource) -> ModelFacts:
    """config.json of a hub model: from the local HF cache, else downloaded (unless offline)."""
    from huggingface_hub import hf_hub_download, try_to_load_from_cache

    cached = try_to_load_from_cache(source.name, "config.json")
    path = cached if isinstance(cached, str) else None
    if path is None:
        if offline():
            err = missing_offline_error(source)
            raise UserError(
                err.message, hint=f"{err.hint}; or pick a catalog model ({_suggestion_hint(source.name)})"
            )
        try:
            path = hf_hub_download(source.name, "config.json")
        except Exception as err:  # network, 404, gated repo: all user-fixable
            raise UserError(
                f"cannot fetch config.json of {source.name!r} from the Hugging Face Hub: {err}",
                hint=_suggestion_hint(source.name) + " (gated models need `huggingface-cli login`)",
            ) from err
    facts = facts_from_folder(Path(path).parent, source.name)
    return ModelFacts(**{**facts.__dict__, "source": "hub"})
