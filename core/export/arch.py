"""Which Hugging Face architectures ftui exports to GGUF, and how each differs from a plain rename.

The facts follow llama.cpp's converter (convert_hf_to_gguf.py), since llama.cpp and Ollama are the readers:
Llama/Mistral store q/k rows permuted for llama.cpp's rotary layout; Gemma stores RMSNorm weights as
`w + 1` (its norm multiplies by `1 + w`); Gemma 2/3, Qwen3 state their head size. Tensor names come from
the `gguf` package's own maps (gguf.get_tensor_name_map), never from a table of ours.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ftui.core.errors import UserError


@dataclass(frozen=True)
class ArchSpec:
    """One exportable architecture: the GGUF arch, the tensor transforms, the extra metadata it needs."""

    gguf_arch: str  # gguf.MODEL_ARCH member name
    permute_qk: bool = False  # Llama-style: llama.cpp wants q/k rows in its rotary order
    norm_plus_one: bool = False  # Gemma: store RMSNorm weights as w + 1
    extra: Callable[[Any, Any], None] | None = None  # writes arch-specific keys: extra(writer, config)
    multimodal: bool = False  # image-text model: its language model is exported, the vision tower is not


def _gemma2_keys(writer: Any, config: Any) -> None:
    writer.add_attn_logit_softcapping(config.attn_logit_softcapping)
    writer.add_final_logit_softcapping(config.final_logit_softcapping)
    writer.add_sliding_window(config.sliding_window)


def _gemma3_keys(writer: Any, config: Any) -> None:
    local = (getattr(config, "rope_parameters", None) or {}).get("sliding_attention") or {}
    local_theta = local.get("rope_theta", getattr(config, "rope_local_base_freq", 10000.0))
    if float(local_theta) != 10000.0:  # llama.cpp hard-codes Gemma 3's sliding-layer rope base
        raise UserError(
            f"this Gemma 3 uses rope base {local_theta} on its sliding layers; llama.cpp assumes 10000",
            hint="such a model would run wrong in llama.cpp, so it is not exported",
        )
    if getattr(config, "final_logit_softcapping", None):
        writer.add_final_logit_softcapping(config.final_logit_softcapping)
    if getattr(config, "sliding_window", None) and getattr(config, "sliding_window_pattern", 6) != 1:
        writer.add_sliding_window(config.sliding_window)


ARCHS: dict[str, ArchSpec] = {
    "LlamaForCausalLM": ArchSpec("LLAMA", permute_qk=True),  # Llama 2/3, SmolLM2, TinyLlama
    "MistralForCausalLM": ArchSpec("LLAMA", permute_qk=True),  # llama.cpp runs Mistral as llama
    "Qwen2ForCausalLM": ArchSpec("QWEN2"),  # Qwen2, Qwen2.5
    "Qwen3ForCausalLM": ArchSpec("QWEN3"),
    "Gemma2ForCausalLM": ArchSpec("GEMMA2", norm_plus_one=True, extra=_gemma2_keys),
    "Gemma3ForCausalLM": ArchSpec("GEMMA3", norm_plus_one=True, extra=_gemma3_keys),
    # Gemma 3 4B+: the text model only, as llama.cpp does (its vision tower goes in a separate mmproj file)
    "Gemma3ForConditionalGeneration": ArchSpec(
        "GEMMA3", norm_plus_one=True, extra=_gemma3_keys, multimodal=True
    ),
}

# where an image-text model keeps its language model (transformers 5, then 4.x), and what is not text
TEXT_PREFIXES = {
    "model.language_model.": "model.",
    "language_model.model.": "model.",
    "language_model.lm_head.": "lm_head.",
}
VISION_PREFIXES = (
    "model.vision_tower.",
    "model.multi_modal_projector.",
    "vision_tower.",
    "multi_modal_projector.",
)


def text_weights(state: dict[str, Any]) -> dict[str, Any]:
    """The language model's weights of an image-text model, under the text model's names."""
    out = {}
    for name, tensor in state.items():
        if name.startswith(VISION_PREFIXES):
            continue
        for prefix, replacement in TEXT_PREFIXES.items():
            if name.startswith(prefix):
                name = replacement + name[len(prefix) :]
                break
        out[name] = tensor
    return out


def supported_text() -> str:
    return ", ".join(ARCHS)


def arch_spec(config: Any) -> tuple[str, ArchSpec]:
    """(HF architecture name, its spec); a clear refusal for anything else."""
    names = list(getattr(config, "architectures", None) or [])
    for name in names:
        if name in ARCHS:
            return name, ARCHS[name]
    shown = ", ".join(names) or getattr(config, "model_type", "unknown")
    raise UserError(
        f"GGUF export does not support the architecture {shown}",
        hint=f"supported: {supported_text()}",
    )


def permute_rows(weight: Any, n_head: int) -> Any:
    """HF's (head, half, dim) rotary row order -> llama.cpp's interleaved (head, dim, half) order."""
    rows = weight.shape[0]
    return (
        weight.reshape(n_head, 2, rows // n_head // 2, *weight.shape[1:]).swapaxes(1, 2).reshape(weight.shape)
    )


def rope_settings(config: Any) -> dict[str, Any]:
    """The full-attention rope parameters, from transformers 5's `rope_parameters` or the older keys."""
    params = dict(getattr(config, "rope_parameters", None) or {})
    if isinstance(params.get("full_attention"), dict):  # Gemma 3: one entry per attention type
        params = dict(params["full_attention"])
    legacy = getattr(config, "rope_scaling", None)
    if isinstance(legacy, dict):
        params = {**legacy, **params}
    if "rope_theta" not in params and getattr(config, "rope_theta", None) is not None:
        params["rope_theta"] = config.rope_theta
    params.setdefault("rope_type", params.get("type", "default"))
    return params


def head_dim(config: Any) -> int:
    return getattr(config, "head_dim", None) or config.hidden_size // config.num_attention_heads


def llama3_rope_factors(config: Any) -> Any:
    """llama.cpp's `rope_freqs` tensor for Llama 3.1+ rope scaling: how much each frequency is slowed.

    Computed with transformers' own rope functions (default vs llama3), so it is the same scaling the
    model was trained with; llama.cpp divides each rotary frequency by its factor.
    """
    import torch
    from transformers.modeling_rope_utils import ROPE_INIT_FUNCTIONS

    dim = head_dim(config)
    theta = rope_settings(config)["rope_theta"]
    base = 1.0 / (theta ** (torch.arange(0, dim, 2, dtype=torch.float32) / dim))
    scaled, _ = ROPE_INIT_FUNCTIONS["llama3"](config, "cpu")
    return (base / scaled.float()).numpy()
