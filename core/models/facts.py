"""Architecture facts of a model: the few `config.json` fields that decide parameter counts and memory.

One parser (`facts_from_config`) reads a real `config.json`, a catalog entry (which uses the same key names)
or GGUF metadata mapped to those names, so every source yields the same `ModelFacts`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Literal

from ftui.core.errors import UserError

SourceKind = Literal["catalog", "embedded", "local", "gguf", "hub"]

# model_type -> family used by the analytic parameter count and the linear-layer inventory.
FAMILIES: dict[str, str] = {
    "llama": "llama",
    "mistral": "llama",
    "qwen2": "llama",
    "qwen3": "qwen3",
    "mixtral": "mixtral",
    "gemma": "gemma",
    "gemma2": "gemma2",
    "gemma3_text": "gemma3",
    "gemma3": "gemma3",
    "phi3": "phi3",
}


@dataclass(frozen=True)
class VisionFacts:
    """A SigLIP-style vision tower shipped with a multimodal checkpoint (loaded, frozen, counted)."""

    hidden_size: int
    num_layers: int
    intermediate_size: int
    image_size: int
    patch_size: int
    num_channels: int = 3


@dataclass(frozen=True)
class ModelFacts:
    """What the estimator and the wizard need to know about a model, without its weights."""

    name: str  # hub id for catalog models, else what the user wrote
    source: SourceKind
    model_type: str  # config.json model_type (text part for multimodal models)
    architecture: str  # config.json architectures[0]
    hidden_size: int
    num_layers: int
    num_heads: int
    num_kv_heads: int
    head_dim: int
    intermediate_size: int
    vocab_size: int
    tied_embeddings: bool
    max_positions: int
    num_experts: int = 0  # MoE: experts per layer (0 = dense)
    experts_per_token: int = 0
    attention_bias: bool = False  # q/k/v biases (Qwen2)
    mlp_bias: bool = False
    sliding_window: int | None = None
    vision: VisionFacts | None = None
    instruct: bool = False
    chat_template: str | None = None  # name of ftui's prompt template that matches the model's chat format
    family_label: str = ""  # human family name for the catalog list, e.g. "Qwen2.5"
    params_published: int | None = None  # total parameters as published (model card / safetensors index)
    citation: str | None = None  # the config.json these facts were read from
    extra: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    @property
    def family(self) -> str:
        """Architecture family for parameter counting ("llama", "qwen3", "gemma2", ...)."""
        return FAMILIES.get(self.model_type, "llama")

    @property
    def is_moe(self) -> bool:
        return self.num_experts > 0

    @property
    def known_architecture(self) -> bool:
        return self.model_type in FAMILIES

    def with_name(self, name: str, source: SourceKind) -> ModelFacts:
        return replace(self, name=name, source=source)

    def to_config_dict(self) -> dict[str, Any]:
        """A transformers config dict with these facts (random-init models for tests and benchmarks)."""
        text: dict[str, Any] = {
            "model_type": "gemma3_text" if self.model_type == "gemma3" else self.model_type,
            "hidden_size": self.hidden_size,
            "num_hidden_layers": self.num_layers,
            "num_attention_heads": self.num_heads,
            "num_key_value_heads": self.num_kv_heads,
            "head_dim": self.head_dim,
            "intermediate_size": self.intermediate_size,
            "vocab_size": self.vocab_size,
            "tie_word_embeddings": self.tied_embeddings,
            "max_position_embeddings": self.max_positions,
            "mlp_bias": self.mlp_bias,
        }
        if self.model_type != "qwen2":
            text["attention_bias"] = self.attention_bias
        if self.sliding_window:
            text["sliding_window"] = self.sliding_window
        if self.num_experts:
            text["num_local_experts"] = self.num_experts
            text["num_experts_per_tok"] = self.experts_per_token
        if self.vision is None:
            return text
        v = self.vision
        return {
            "model_type": "gemma3",
            "text_config": text,
            "vision_config": {
                "model_type": "siglip_vision_model",
                "hidden_size": v.hidden_size,
                "num_hidden_layers": v.num_layers,
                "intermediate_size": v.intermediate_size,
                "image_size": v.image_size,
                "patch_size": v.patch_size,
                "num_channels": v.num_channels,
                "num_attention_heads": 16,
                "vision_use_head": False,
            },
            "tie_word_embeddings": self.tied_embeddings,
        }


def _first(config: dict[str, Any], *keys: str, default: Any = None) -> Any:
    for key in keys:
        if config.get(key) is not None:
            return config[key]
    return default


def _vision_facts(vcfg: dict[str, Any] | None) -> VisionFacts | None:
    """A multimodal config's vision tower (defaults: Gemma 3's SigLIP), None for text-only models."""
    if not vcfg:
        return None
    return VisionFacts(
        hidden_size=int(vcfg.get("hidden_size", 1152)),
        num_layers=int(vcfg.get("num_hidden_layers", 27)),
        intermediate_size=int(vcfg.get("intermediate_size", 4304)),
        image_size=int(vcfg.get("image_size", 896)),
        patch_size=int(vcfg.get("patch_size", 14)),
        num_channels=int(vcfg.get("num_channels", 3)),
    )


def facts_from_config(
    config: dict[str, Any], name: str, source: SourceKind, where: str | None = None
) -> ModelFacts:
    """Build facts from a config.json-shaped dict (multimodal configs: the `text_config` part)."""
    outer = config
    text = config.get("text_config") or config
    model_type = str(text.get("model_type") or outer.get("model_type") or "")
    architectures = outer.get("architectures") or []
    try:
        hidden = int(_first(text, "hidden_size", "n_embd", "d_model"))
        layers = int(_first(text, "num_hidden_layers", "n_layer", "num_layers"))
        heads = int(_first(text, "num_attention_heads", "n_head"))
        vocab = int(_first(text, "vocab_size", default=outer.get("vocab_size")))
    except (TypeError, ValueError) as err:
        raise UserError(
            f"cannot read the model architecture from {where or name}: missing hidden_size, "
            "num_hidden_layers, num_attention_heads or vocab_size",
            hint="ftui understands decoder-only transformers with a standard Hugging Face config.json",
        ) from err
    kv_heads = int(_first(text, "num_key_value_heads", default=heads))
    head_dim = int(_first(text, "head_dim", default=hidden // heads))
    intermediate = int(_first(text, "intermediate_size", "n_inner", "ffn_dim", default=4 * hidden))
    # transformers' default when the key is absent: Gemma configs tie, the others do not.
    tied_default = model_type in ("gemma", "gemma2", "gemma3", "gemma3_text")
    tied = bool(_first(text, "tie_word_embeddings", default=outer.get("tie_word_embeddings", tied_default)))
    vision = _vision_facts(outer.get("vision_config") if outer is not text else None)
    sliding = _first(text, "sliding_window")
    if text.get("use_sliding_window") is False and model_type == "qwen2":
        sliding = None
    return ModelFacts(
        name=name,
        source=source,
        model_type=model_type,
        architecture=str(architectures[0]) if architectures else "",
        hidden_size=hidden,
        num_layers=layers,
        num_heads=heads,
        num_kv_heads=kv_heads,
        head_dim=head_dim,
        intermediate_size=intermediate,
        vocab_size=vocab,
        tied_embeddings=tied,
        max_positions=int(_first(text, "max_position_embeddings", "n_positions", default=2048)),
        num_experts=int(_first(text, "num_local_experts", "num_experts", default=0) or 0),
        experts_per_token=int(_first(text, "num_experts_per_tok", default=0) or 0),
        attention_bias=bool(text.get("attention_bias", model_type == "qwen2")),
        mlp_bias=bool(text.get("mlp_bias", False)),
        sliding_window=int(sliding) if sliding else None,
        vision=vision,
        instruct=bool(outer.get("instruct", False)),
        chat_template=outer.get("chat_template_name"),
        family_label=str(outer.get("family", "")),
        params_published=outer.get("params"),
        citation=outer.get("source"),
    )
