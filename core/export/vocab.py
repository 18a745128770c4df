"""The tokenizer as GGUF metadata (tokenizer.ggml.*): llama.cpp and Ollama tokenize with it, not with HF files.

Two kinds, as llama.cpp names them: `gpt2` (byte-level BPE: SmolLM2, Llama 3, Qwen) and `llama`
(SentencePiece-style BPE with byte fallback: Mistral v1, Llama 2, Gemma). Special ids, add-BOS/EOS flags and
merges come from the `gguf` package's SpecialVocab, reading the tokenizer files saved to a scratch folder.
"""

from __future__ import annotations

import json
import logging
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ftui.core.errors import UserError

# tokenizer.json pre-tokenizer split regexes -> llama.cpp's pre-tokenizer names (tokenizer.ggml.pre)
_LLAMA3_SPLIT = (
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}"
    r"| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
)
_QWEN2_SPLIT = _LLAMA3_SPLIT.replace(r"\p{N}{1,3}", r"\p{N}")
SPLIT_NAMES = {_LLAMA3_SPLIT: "llama-bpe", _QWEN2_SPLIT: "qwen2"}

BYTE_TOKEN = re.compile(r"<0x[0-9A-Fa-f]{2}>")


@dataclass
class GgufVocab:
    """Everything the writer needs for tokenizer.ggml.*; `notes` are said to the user."""

    model: str  # "gpt2" or "llama"
    pre: str
    space_prefix: bool
    tokens: list[str]
    types: list[int]
    scores: list[float] | None
    special: Any  # gguf.SpecialVocab
    notes: list[str] = field(default_factory=list)


def _kind(tokenizer_json: dict[str, Any]) -> str:
    model = tokenizer_json.get("model", {})
    if model.get("type") != "BPE":
        raise UserError(
            f"GGUF export cannot write a {model.get('type')} tokenizer",
            hint="GGUF export supports BPE tokenizers (byte-level or SentencePiece-style)",
        )
    return "llama" if model.get("byte_fallback") else "gpt2"


def _pre_name(tokenizer_json: dict[str, Any], kind: str, notes: list[str]) -> str:
    """llama.cpp's name for how text is split before BPE (only byte-level vocabularies need one)."""
    if kind == "llama":
        return "default"
    pre = tokenizer_json.get("pre_tokenizer") or {}
    steps = pre.get("pretokenizers", [pre]) if pre.get("type") == "Sequence" else [pre]
    types = [s.get("type") for s in steps]
    if types == ["ByteLevel"] and steps[0].get("use_regex", True):
        return "gpt-2"
    if types == ["Digits", "ByteLevel"] and steps[0].get("individual_digits"):
        return "smollm"
    if types == ["Split", "ByteLevel"]:
        regex = (steps[0].get("pattern") or {}).get("Regex")
        if regex in SPLIT_NAMES:
            return SPLIT_NAMES[regex]
    notes.append(
        "the tokenizer's pre-tokenizer is not one llama.cpp names; wrote 'default', so llama.cpp may split "
        "some text (digits, punctuation) differently from transformers"
    )
    return "default"


def _adds_space_prefix(tokenizer_json: dict[str, Any]) -> bool:
    """SentencePiece's "dummy prefix": a Metaspace that prepends, or a normalizer that prepends "▁"."""
    pre = tokenizer_json.get("pre_tokenizer") or {}
    if pre.get("type") == "Metaspace":
        return pre.get("prepend_scheme", "always") != "never" and pre.get("add_prefix_space", True)
    norm = json.dumps(tokenizer_json.get("normalizer") or {})
    return '"Prepend"' in norm


def _looks_special(token: str) -> bool:
    return token.startswith("<|") and token.endswith("|>")


def _token_type(tok_id: int, token: str, added: dict[int, Any], unk_id: int | None, kind: str) -> int:
    import gguf

    if tok_id in added:
        entry = added[tok_id]
        if entry.special or _looks_special(token):
            return gguf.TokenType.CONTROL
        return gguf.TokenType.USER_DEFINED
    if kind == "llama":
        if tok_id == unk_id:
            return gguf.TokenType.UNKNOWN
        if BYTE_TOKEN.fullmatch(token):
            return gguf.TokenType.BYTE
    return gguf.TokenType.NORMAL


def build_vocab(tokenizer: Any, n_vocab: int, chat_template: str | None) -> GgufVocab:
    """The GGUF vocabulary of `tokenizer`, padded to the model's `n_vocab` embedding rows."""
    import gguf

    notes: list[str] = []
    with tempfile.TemporaryDirectory(prefix="ftui-vocab-") as tmp:
        tokenizer.save_pretrained(tmp)
        tokenizer_json = json.loads((Path(tmp) / "tokenizer.json").read_text(encoding="utf-8"))
        kind = _kind(tokenizer_json)
        quiet = logging.getLogger("gguf.vocab")  # its guesses about pair templates are not for users
        level, quiet.level = quiet.level, logging.ERROR
        try:
            special = gguf.SpecialVocab(tmp, load_merges=True, n_vocab=n_vocab)
        finally:
            quiet.setLevel(level)
    special.chat_template = chat_template or None
    vocab = tokenizer.get_vocab()
    if len(vocab) > n_vocab:
        raise UserError(
            f"the tokenizer has {len(vocab)} tokens but the model only {n_vocab} embedding rows",
            hint="resize the model's embeddings to the tokenizer (resize_token_embeddings) before exporting",
        )
    by_id = {i: t for t, i in vocab.items()}
    added = dict(tokenizer.added_tokens_decoder)
    unk_id = tokenizer.unk_token_id
    tokens, types, scores = [], [], []
    for i in range(n_vocab):
        if i not in by_id:  # embedding rows past the tokenizer (padding for speed): never produced
            tokens.append(f"[PAD{i}]")
            types.append(gguf.TokenType.UNUSED)
            scores.append(-10000.0)
            continue
        token = by_id[i]
        tokens.append(token)
        types.append(_token_type(i, token, added, unk_id, kind))
        # SentencePiece BPE vocabularies are ordered by merge rank, so -id ranks pieces like their scores
        scores.append(-1000.0 if i in added else -float(i))
    return GgufVocab(
        model=kind,
        pre=_pre_name(tokenizer_json, kind, notes),
        space_prefix=kind == "llama" and _adds_space_prefix(tokenizer_json),
        tokens=tokens,
        types=[int(t) for t in types],
        scores=scores if kind == "llama" else None,
        special=special,
        notes=notes,
    )


def write_vocab(writer: Any, vocab: GgufVocab) -> None:
    writer.add_tokenizer_model(vocab.model)
    writer.add_tokenizer_pre(vocab.pre)
    writer.add_token_list(vocab.tokens)
    if vocab.scores is not None:
        writer.add_token_scores(vocab.scores)
    writer.add_token_types(vocab.types)
    if vocab.model == "llama":
        writer.add_add_space_prefix(vocab.space_prefix)
    vocab.special.add_to_gguf(writer, quiet=True)
