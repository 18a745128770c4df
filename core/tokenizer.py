"""Load the tokenizer a config trains with, the way Axolotl sets it up.

`base_model` (or `tokenizer_config`) is resolved like every model reference (embedded / local / gguf / hub);
a missing pad token falls back to EOS (Axolotl's rule, so no new embedding row is needed); `special_tokens:`
and `tokens:` from the config are added. A hub tokenizer that is not cached while offline gives one clear
error instead of a stack of retries.

No torch: `AutoTokenizer` reads the model's config through `AutoConfig`, which imports torch in
transformers 5.x. The class named in `tokenizer_config.json` (a tokenizers-backed class, whose module does
not import torch) is used directly, else `PreTrainedTokenizerFast` over `tokenizer.json`. `AutoTokenizer`
stays for what needs it: `trust_remote_code`, `tokenizer_use_fast: false`, a folder without tokenizer.json.
The embedded model's tokenizer is the folder extracted once from its GGUF (core/models/embedded.py).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ftui.core.errors import UserError
from ftui.core.models.embedded import EMBEDDED_MODEL_ID, embedded_tokenizer_dir, is_embedded
from ftui.core.models.source import ModelSource, missing_offline_error, offline, resolve_model


def _get(config: Any, key: str) -> Any:
    if isinstance(config, dict):
        return config.get(key)
    return getattr(config, key, None)


def _special_tokens(config: Any) -> dict[str, Any]:
    value = _get(config, "special_tokens")
    if value is None:
        return {}
    if not isinstance(value, dict):
        value = value.model_dump() if hasattr(value, "model_dump") else dict(vars(value))
    return {k: v for k, v in value.items() if v is not None}


def load_tokenizer(config_or_model_name: Any, base_dir: str | None = None) -> Any:
    """The tokenizer for a config (FtuiConfig or dict) or a plain model reference (`embedded`, a folder,
    a .gguf file, a hub id)."""
    from transformers import AddedToken

    if isinstance(config_or_model_name, str):
        config: Any = {"base_model": config_or_model_name}
    else:
        config = config_or_model_name
    name = _get(config, "tokenizer_config") or _get(config, "base_model")
    if base_dir is None and hasattr(config, "resolve_path"):
        try:
            base_dir = str(config.resolve_path("."))
        except Exception:  # noqa: BLE001 - a config without a known folder resolves from the cwd
            base_dir = None
    source = tokenizer_source(str(name or ""), base_dir)
    trust = bool(_get(config, "trust_remote_code") or False)
    kwargs = source.pretrained_kwargs(trust_remote_code=trust)
    if _get(config, "tokenizer_use_fast") is False:
        kwargs["use_fast"] = False
    if _get(config, "tokenizer_legacy") is not None:
        kwargs["legacy"] = bool(_get(config, "tokenizer_legacy"))
    tokenizer_cls: Any = _tokenizer_class(source, trust or kwargs.get("use_fast") is False)
    tokenizer_type = _get(config, "tokenizer_type")
    if tokenizer_type:
        import transformers

        tokenizer_cls = getattr(transformers, str(tokenizer_type), None)
        if tokenizer_cls is None:
            raise UserError(
                f"tokenizer_type {tokenizer_type!r} is not a transformers tokenizer class",
                hint="remove tokenizer_type (AutoTokenizer picks the right one) or fix its spelling",
            )
    if getattr(tokenizer_cls, "__name__", "") != "AutoTokenizer":
        kwargs.pop("trust_remote_code", None)  # AutoTokenizer's own; a class would save it as a setting
    try:
        tokenizer = tokenizer_cls.from_pretrained(source.path, **kwargs)
    except OSError as exc:
        raise _load_error(source, exc) from None
    _add_configured_tokens(tokenizer, config, AddedToken)
    if tokenizer.pad_token is None and tokenizer.eos_token is not None:
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer


TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "tokenizer.model")


def tokenizer_source(name: str, base_dir: str | None = None) -> ModelSource:
    """Where a config's tokenizer files are: a tokenizer-only folder, the embedded model's tokenizer folder
    (no weights converted), or the model reference itself."""
    if is_embedded(name):
        return ModelSource(
            name=name, kind="embedded", path=str(embedded_tokenizer_dir()), hub_id=EMBEDDED_MODEL_ID
        )
    return _tokenizer_folder(name, base_dir) or resolve_model(name, base_dir=base_dir)


def _tokenizer_class(source: ModelSource, needs_auto: bool) -> Any:
    """The class to load with, without AutoConfig: the fast class tokenizer_config.json names, else
    PreTrainedTokenizerFast over tokenizer.json; AutoTokenizer where remote code, a slow tokenizer, a GGUF or
    a conversion from sentencepiece is asked for (those may import torch)."""
    import transformers

    folder = _local_folder(source)
    if needs_auto or source.gguf_file or folder is None or not (folder / "tokenizer.json").is_file():
        from transformers import AutoTokenizer

        return AutoTokenizer
    named = _named_class(folder)
    fast = transformers.PreTrainedTokenizerFast
    for candidate in (f"{named.removesuffix('Fast')}Fast", named.removesuffix("Fast")) if named else ():
        cls = getattr(transformers, candidate, None)
        if isinstance(cls, type) and issubclass(cls, fast):
            return cls
    return fast


def _named_class(folder: Path) -> str:
    try:
        data = json.loads((folder / "tokenizer_config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return ""
    named = data.get("tokenizer_class") if isinstance(data, dict) else None
    return named if isinstance(named, str) and named.isidentifier() else ""


def _local_folder(source: ModelSource) -> Path | None:
    """The folder holding the tokenizer files: the path itself, or a hub model's cached snapshot."""
    if source.kind != "hub":
        return Path(source.path) if Path(source.path).is_dir() else None
    from huggingface_hub import try_to_load_from_cache

    cached = try_to_load_from_cache(source.path, "tokenizer.json")
    return Path(cached).parent if isinstance(cached, str) else None


def _tokenizer_folder(name: str, base_dir: str | None) -> ModelSource | None:
    """A folder with tokenizer files but no model config.json (a `tokenizer_config:` folder) is fine here."""
    path = Path(name).expanduser()
    if not path.is_absolute() and base_dir is not None:
        path = Path(base_dir) / path
    if (
        path.is_dir()
        and not (path / "config.json").exists()
        and any((path / f).exists() for f in TOKENIZER_FILES)
    ):
        return ModelSource(name=name, kind="local", path=str(path))
    return None


def _add_configured_tokens(tokenizer: Any, config: Any, added_token: Any) -> None:
    special = _special_tokens(config)
    additional = special.pop("additional_special_tokens", None)
    for key, value in special.items():
        tokenizer.add_special_tokens(
            {key: added_token(str(value), rstrip=False, lstrip=False, normalized=False)}
        )
    tokens = _get(config, "tokens")
    if tokens:
        tokenizer.add_tokens(
            [added_token(str(t), rstrip=False, lstrip=False, normalized=False) for t in tokens]
        )
    if additional:
        tokenizer.add_special_tokens({"additional_special_tokens": [str(t) for t in additional]})


def _load_error(source: ModelSource, exc: OSError) -> UserError:
    if source.kind == "hub" and offline():
        return missing_offline_error(source, what="tokenizer of")
    return UserError(
        f"could not load a tokenizer from {source.name!r}: {str(exc).splitlines()[0] if str(exc) else exc!r}",
        hint="check base_model (or tokenizer_config): it needs tokenizer files (tokenizer.json or "
        "tokenizer.model)",
    )
