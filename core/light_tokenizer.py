"""A tokenizer for the inspection loop (`ftui debug`, `ftui preprocess`) that needs no `transformers` import.

Importing transformers costs 1-2 s, more than the whole rest of `ftui debug`. What ftui's template engine
reads from a tokenizer is its Rust backend (`tokenizers.Tokenizer`) plus a few facts (special tokens, chat
template, length). The first time a tokenizer is loaded, it is loaded the exact way (core/tokenizer.py,
transformers) and its backend, serialized by `tokenizers` itself, and those facts are saved in ftui's cache;
later loads read them back with `tokenizers` alone. Exact by construction: it is the same backend, not a
re-implementation of how transformers sets one up (tests/test_light_tokenizer.py compares them).

The key covers everything that changes the loaded tokenizer: the tokenizer files' bytes, the config keys that
add tokens or choose the class, and the transformers / tokenizers versions. What the light path does not
cover loads the exact way every time: remote code, slow tokenizers, `tokenizer_type`, a hub model (finding
its cached files imports huggingface_hub), a GGUF file.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CACHE_VERSION = 1
# Config keys that change what core/tokenizer.py loads.
_KEYS = ("base_model", "tokenizer_config", "special_tokens", "tokens", "tokenizer_legacy")
_FACT_TOKENS = ("bos_token", "eos_token", "unk_token", "pad_token")


@dataclass
class LightTokenizer:
    """The part of a transformers fast tokenizer that ftui's template engine and `ftui debug` read."""

    backend_tokenizer: Any  # tokenizers.Tokenizer
    special_tokens_map: dict[str, Any]
    all_special_ids: list[int]
    chat_template: Any
    length: int
    name_or_path: str = ""
    tokens: dict[str, str | None] = field(default_factory=dict)
    ids: dict[str, int | None] = field(default_factory=dict)
    all_special_tokens: list[str] = field(default_factory=list)
    added_tokens: dict[str, str] = field(default_factory=dict)  # id (as text, JSON's keys) -> content

    def __len__(self) -> int:
        return self.length

    def __getattr__(self, name: str) -> Any:  # bos_token, eos_token_id, ...
        tokens = self.__dict__.get("tokens", {})
        ids = self.__dict__.get("ids", {})
        if name in tokens:
            return tokens[name]
        if name.endswith("_id") and name[:-3] in ids:
            return ids[name[:-3]]
        raise AttributeError(name)

    @property
    def _tokenizer(self) -> Any:
        return self.backend_tokenizer

    @property
    def added_tokens_decoder(self) -> dict[int, AddedTokenText]:
        return {int(i): AddedTokenText(content) for i, content in self.added_tokens.items()}

    def convert_ids_to_tokens(self, ids: list[int] | int) -> Any:
        if isinstance(ids, int):
            return self.backend_tokenizer.id_to_token(ids)
        return [self.backend_tokenizer.id_to_token(int(i)) for i in ids]


@dataclass(frozen=True)
class AddedTokenText:
    """Stands in for transformers' AddedToken where only `content` is read."""

    content: str

    def __str__(self) -> str:
        return self.content


def load_light_tokenizer(config: Any) -> Any:
    """The config's tokenizer: the cached light one when there is one for exactly these inputs, else the
    exact load (core/tokenizer.py), whose result is then cached when the light form can stand in for it."""
    key = _cache_key(config)
    path = _cache_path(key) if key else None
    if path is not None:
        light = _read(path)
        if light is not None:
            return light
    from ftui.core.tokenizer import load_tokenizer

    tokenizer = load_tokenizer(config)
    if path is not None:
        _write(path, tokenizer)
    return tokenizer


def facts_of(tokenizer: Any) -> dict[str, Any]:
    """What a LightTokenizer keeps besides the backend, taken from a transformers tokenizer."""
    template = getattr(tokenizer, "chat_template", None)
    return {
        "special_tokens_map": _plain(dict(tokenizer.special_tokens_map or {})),
        "all_special_ids": [int(i) for i in tokenizer.all_special_ids or []],
        "chat_template": template if isinstance(template, str | dict) else None,
        "length": len(tokenizer),
        "name_or_path": str(getattr(tokenizer, "name_or_path", "") or ""),
        "tokens": {k: _str_or_none(getattr(tokenizer, k, None)) for k in _FACT_TOKENS},
        "ids": {k: getattr(tokenizer, f"{k}_id", None) for k in _FACT_TOKENS},
        "all_special_tokens": [str(t) for t in getattr(tokenizer, "all_special_tokens", None) or []],
        "added_tokens": {
            str(i): str(getattr(t, "content", t))
            for i, t in (getattr(tokenizer, "added_tokens_decoder", None) or {}).items()
        },
    }


def light_from(tokenizer: Any) -> LightTokenizer:
    """The light form of a loaded transformers tokenizer, through the same serialization as the cache."""
    from tokenizers import Tokenizer

    backend = Tokenizer.from_str(tokenizer.backend_tokenizer.to_str())
    return LightTokenizer(backend_tokenizer=backend, **facts_of(tokenizer))


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value if value is None or isinstance(value, int | float | bool) else str(value)


def _str_or_none(value: Any) -> str | None:
    return None if value is None else str(value)


def _get(config: Any, key: str) -> Any:
    return config.get(key) if isinstance(config, dict) else getattr(config, key, None)


def _cache_key(config: Any) -> str | None:
    """The key of this config's light tokenizer, or None when the light path does not apply."""
    if _get(config, "trust_remote_code") or _get(config, "tokenizer_use_fast") is False:
        return None
    if _get(config, "tokenizer_type"):
        return None
    folder = _folder(config)
    if folder is None or not (folder / "tokenizer.json").is_file():
        return None
    from ftui.core.fingerprint import json_digest, tokenizer_digest

    settings = {k: _plain(_settings_value(config, k)) for k in _KEYS}
    parts = {
        "cache": CACHE_VERSION,
        "folder": str(folder),
        "files": tokenizer_digest(folder),
        "settings": settings,
        "versions": _versions(),
        "code": [_code_stamp("tokenizer.py"), _code_stamp("light_tokenizer.py")],
    }
    return json_digest(parts)


def _settings_value(config: Any, key: str) -> Any:
    value = _get(config, key)
    if hasattr(value, "model_dump"):
        value = value.model_dump()
    return value


def _folder(config: Any) -> Path | None:
    """The local folder the tokenizer loads from; None for a hub model or a GGUF file."""
    from ftui.core.tokenizer import tokenizer_source

    name = str(_get(config, "tokenizer_config") or _get(config, "base_model") or "")
    base_dir = _get(config, "base_dir")
    try:
        source = tokenizer_source(name, str(base_dir) if base_dir else None)
    except Exception:  # noqa: BLE001 - the exact load reports what is wrong with the reference
        return None
    if source.kind == "hub" or source.gguf_file:
        return None
    path = Path(source.path)
    return path if path.is_dir() else None


def _versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    found = {}
    for name in ("transformers", "tokenizers"):
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = "missing"
    return found


def _code_stamp(name: str) -> list[Any]:
    stat = (Path(__file__).parent / name).stat()
    return [name, stat.st_size, stat.st_mtime_ns]


def _cache_path(key: str) -> Path:
    from ftui.core.paths import cache_dir

    return cache_dir() / "tokenizers" / f"{key[:32]}.json"


def _read(path: Path) -> LightTokenizer | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("cache") != CACHE_VERSION:
        return None
    from tokenizers import Tokenizer

    try:
        backend = Tokenizer.from_str(data["backend"])
        return LightTokenizer(backend_tokenizer=backend, **data["facts"])
    except Exception:  # noqa: BLE001 - a damaged or foreign entry: load exactly instead
        return None


def _write(path: Path, tokenizer: Any) -> None:
    """Cache a loaded tokenizer's light form; a tokenizer without a Rust backend is not cached."""
    backend = getattr(tokenizer, "backend_tokenizer", None)
    if backend is None or not hasattr(backend, "to_str"):
        return
    try:
        data = {"cache": CACHE_VERSION, "backend": backend.to_str(), "facts": facts_of(tokenizer)}
        text = json.dumps(data)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    except (OSError, TypeError, ValueError):
        return  # no cache: the next run loads exactly again
