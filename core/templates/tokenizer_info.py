"""Facts about a tokenizer that rendering and masking need, computed once per tokenizer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ftui.core.errors import UserError


@dataclass(frozen=True)
class TokenizerInfo:
    tokenizer: Any
    backend: Any  # tokenizers.Tokenizer (Rust): batch encoding with offsets
    eos_token: str | None
    eos_id: int | None
    bos_id: int | None
    special_ids: frozenset[int]
    context: dict[str, Any]  # what chat templates see besides messages: bos_token, eos_token, ...
    chat_template: str | None
    # True when a text tokenized on its own starts with a space token (sentencepiece's dummy prefix,
    # add_prefix_space): Axolotl's separately tokenized alpaca response then starts with that space.
    prefixes_space: bool

    def single_token_id(self, token: str) -> int | None:
        ids = self.backend.encode(token, add_special_tokens=False).ids
        return ids[0] if len(ids) == 1 else None

    def pieces(self, ids: list[int]) -> list[str]:
        return [str(p) for p in self.tokenizer.convert_ids_to_tokens(ids)]


_CACHE: dict[tuple[int, int], TokenizerInfo] = {}
_CACHE_SIZE = 4


def tokenizer_info(tokenizer: Any) -> TokenizerInfo:
    key = (id(tokenizer), len(tokenizer))
    info = _CACHE.get(key)
    if info is None or info.tokenizer is not tokenizer:
        info = _build(tokenizer)
        if len(_CACHE) >= _CACHE_SIZE:  # a long-lived TUI may switch models many times
            _CACHE.pop(next(iter(_CACHE)))
        _CACHE[key] = info
    return info


def _build(tokenizer: Any) -> TokenizerInfo:
    backend = getattr(tokenizer, "backend_tokenizer", None) or getattr(tokenizer, "_tokenizer", None)
    if backend is None or not hasattr(backend, "encode_batch"):
        raise UserError(
            f"tokenizer {type(tokenizer).__name__} is not a fast (Rust) tokenizer, which ftui needs for token "
            "offsets",
            hint="use a model whose folder has tokenizer.json, or convert the tokenizer with transformers",
        )
    context = {k: str(v) for k, v in (tokenizer.special_tokens_map or {}).items() if isinstance(v, str)}
    for key in ("bos_token", "eos_token", "unk_token", "pad_token"):
        value = getattr(tokenizer, key, None)
        if value is not None:
            context[key] = str(value)
    first = tokenizer.convert_ids_to_tokens(backend.encode("a", add_special_tokens=False).ids[:1])
    prefixes_space = bool(first) and str(first[0]).startswith(("▁", "Ġ"))
    return TokenizerInfo(
        tokenizer=tokenizer,
        backend=backend,
        eos_token=getattr(tokenizer, "eos_token", None),
        eos_id=getattr(tokenizer, "eos_token_id", None),
        bos_id=getattr(tokenizer, "bos_token_id", None),
        special_ids=frozenset(int(i) for i in (tokenizer.all_special_ids or [])),
        context=context,
        chat_template=_chat_template(tokenizer),
        prefixes_space=prefixes_space,
    )


def _chat_template(tokenizer: Any) -> str | None:
    template = getattr(tokenizer, "chat_template", None)
    if isinstance(template, dict):  # several named templates: the default one
        template = template.get("default")
    return template if isinstance(template, str) and template.strip() else None
