"""GGUF metadata (the key/value header) read as plain data: no numpy views per element, no torch.

`gguf.GGUFReader` builds a numpy view for every element of every array (seconds for a 49k-token
vocabulary), and transformers' reader imports torch. The header format is small: magic `GGUF`, version,
tensor count, key/value count, then each key (length-prefixed UTF-8) with a typed value.
"""

from __future__ import annotations

import mmap
import struct
from pathlib import Path
from typing import Any

_SCALARS = {
    0: "<B",
    1: "<b",
    2: "<H",
    3: "<h",
    4: "<I",
    5: "<i",
    6: "<f",
    7: "<?",
    10: "<Q",
    11: "<q",
    12: "<d",
}
_STRING, _ARRAY = 8, 9


class _Cursor:
    def __init__(self, data: Any) -> None:
        self.data = data
        self.pos = 0

    def scalar(self, kind: int) -> Any:
        fmt = _SCALARS[kind]
        (value,) = struct.unpack_from(fmt, self.data, self.pos)
        self.pos += struct.calcsize(fmt)
        return value

    def string(self) -> str:
        (length,) = struct.unpack_from("<Q", self.data, self.pos)
        start = self.pos + 8
        self.pos = start + length
        return bytes(self.data[start : self.pos]).decode("utf-8", errors="replace")

    def value(self, kind: int) -> Any:
        if kind == _STRING:
            return self.string()
        if kind == _ARRAY:
            item_kind = self.scalar(4)
            count = self.scalar(10)
            if item_kind in _SCALARS:
                fmt = _SCALARS[item_kind]
                size = struct.calcsize(fmt)
                values = list(struct.unpack_from(f"<{count}{fmt[1]}", self.data, self.pos))
                self.pos += size * count
                return values
            return [self.value(item_kind) for _ in range(count)]
        if kind not in _SCALARS:
            raise ValueError(f"unknown GGUF value type {kind}")
        return self.scalar(kind)


def read_gguf_metadata(path: str | Path) -> dict[str, Any]:
    """Every key/value of a GGUF file's header (arrays as lists); raises ValueError for a broken file."""
    return read_gguf_header(path)[0]


def read_gguf_header(path: str | Path) -> tuple[dict[str, Any], list[str]]:
    """(every key/value of the header, the tensor names); raises ValueError for a broken file."""
    with open(path, "rb") as handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
        if bytes(data[:4]) != b"GGUF":
            raise ValueError(f"{path} is not a GGUF file (no GGUF magic)")
        cursor = _Cursor(data)
        cursor.pos = 4
        version = cursor.scalar(4)
        if version not in (2, 3):
            raise ValueError(f"{path}: GGUF version {version} is not supported (2 or 3)")
        tensors = cursor.scalar(10)
        count = cursor.scalar(10)
        meta: dict[str, Any] = {}
        names: list[str] = []
        try:
            for _ in range(count):
                key = cursor.string()
                meta[key] = cursor.value(cursor.scalar(4))
            for _ in range(tensors):
                names.append(cursor.string())
                dims = cursor.scalar(4)
                cursor.pos += 8 * dims + 4 + 8  # the dims, the ggml type, the data offset
        except (struct.error, UnicodeDecodeError) as err:
            raise ValueError(f"{path}: truncated GGUF header ({err})") from err
        return meta, names


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


def config_from_gguf(meta: dict[str, Any], tensor_names: list[str]) -> dict[str, Any]:
    """A config.json-shaped dict of the architecture a GGUF header describes."""
    arch = meta.get("general.architecture", "llama")
    heads = meta.get(f"{arch}.attention.head_count")
    hidden = meta.get(f"{arch}.embedding_length")
    tokens = meta.get("tokenizer.ggml.tokens")
    names = set(tensor_names)
    config = {
        "model_type": GGUF_ARCHITECTURES.get(arch, arch),
        "architectures": [],
        "hidden_size": hidden,
        "num_hidden_layers": meta.get(f"{arch}.block_count"),
        "num_attention_heads": heads,
        "num_key_value_heads": meta.get(f"{arch}.attention.head_count_kv", heads),
        "head_dim": meta.get(f"{arch}.attention.key_length", (hidden // heads) if hidden and heads else None),
        "intermediate_size": meta.get(f"{arch}.feed_forward_length"),
        "vocab_size": len(tokens) if tokens is not None else meta.get(f"{arch}.vocab_size"),
        "max_position_embeddings": meta.get(f"{arch}.context_length"),
        "tie_word_embeddings": "output.weight" not in names,
        "num_local_experts": meta.get(f"{arch}.expert_count", 0),
        "num_experts_per_tok": meta.get(f"{arch}.expert_used_count", 0),
        "attention_bias": "blk.0.attn_q.bias" in names,
    }
    extras = {
        "rope_theta": meta.get(f"{arch}.rope.freq_base"),
        "rms_norm_eps": meta.get(f"{arch}.attention.layer_norm_rms_epsilon"),
        "bos_token_id": meta.get("tokenizer.ggml.bos_token_id"),
        "eos_token_id": meta.get("tokenizer.ggml.eos_token_id"),
        "pad_token_id": meta.get("tokenizer.ggml.padding_token_id"),
    }
    # float32 in the file: written back with the digits float32 has (1e-05, not 9.999999747378752e-06)
    config.update(
        {k: float(f"{v:.7g}") if isinstance(v, float) else v for k, v in extras.items() if v is not None}
    )
    return config
