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
from ftui.core.models.gguf_meta import config_from_gguf, read_gguf_header
from ftui.core.models.source import ModelSource, missing_offline_error, offline, resolve_model


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


def facts_from_gguf(path: Path, name: str | None = None) -> ModelFacts:
    """Facts from GGUF metadata (the header only; no tensor is read)."""
    try:
        meta, tensor_names = read_gguf_header(path)
    except (OSError, ValueError) as err:
        raise UserError(
            f"cannot read GGUF metadata from {path}: {err}", hint="is this a valid .gguf file?"
        ) from err
    config = config_from_gguf(meta, tensor_names)
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
