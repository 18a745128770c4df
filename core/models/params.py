"""Exact parameter counts from architecture facts, without weights or torch.

Each supported family is described as an inventory of its tensors: the Linear layers (what LoRA and
bitsandbytes act on), embeddings, norms, MoE expert banks and vision towers. Totals, the quantizable part and
LoRA trainable counts all derive from that one inventory, so they cannot disagree with each other. Tests check
the inventory against `num_parameters()` of real transformers models and LoRA counts against PEFT.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass

from ftui.core.models.facts import ModelFacts


@dataclass(frozen=True)
class LinearLayer:
    """One kind of nn.Linear: `count` instances of a `d_in -> d_out` layer named `name` (leaf name)."""

    name: str
    d_in: int
    d_out: int
    count: int
    bias: bool = False
    part: str = "text"  # "text", "vision" or "head"

    @property
    def weight_params(self) -> int:
        return self.d_in * self.d_out * self.count

    @property
    def bias_params(self) -> int:
        return self.d_out * self.count if self.bias else 0


@dataclass(frozen=True)
class ParamCounts:
    """Parameter totals by kind. `linear_weights` excludes lm_head (counted in `lm_head`)."""

    embedding: int
    lm_head: int  # 0 when tied to the embedding
    linear_weights: int  # weights of every nn.Linear except lm_head (text and vision)
    biases: int
    norms: int
    experts: int  # fused MoE expert banks (3-D parameters, not nn.Linear)
    other: int  # routers, position/patch embeddings, projector weights

    @property
    def total(self) -> int:
        return (
            self.embedding
            + self.lm_head
            + self.linear_weights
            + self.biases
            + self.norms
            + self.experts
            + self.other
        )

    @property
    def quantizable(self) -> int:
        """What bitsandbytes 4/8-bit replaces: nn.Linear weights except lm_head (transformers skips it)."""
        return self.linear_weights

    @property
    def not_quantized(self) -> int:
        return self.total - self.quantizable


def _attention_layers(facts: ModelFacts) -> list[LinearLayer]:
    h, n, hd, kv, L = facts.hidden_size, facts.num_heads, facts.head_dim, facts.num_kv_heads, facts.num_layers
    qkv_bias = facts.attention_bias
    o_bias = facts.attention_bias and facts.model_type != "qwen2"  # Qwen2 has q/k/v biases only
    if facts.family == "phi3":
        return [
            LinearLayer("qkv_proj", h, (n + 2 * kv) * hd, L, qkv_bias),
            LinearLayer("o_proj", n * hd, h, L, o_bias),
        ]
    return [
        LinearLayer("q_proj", h, n * hd, L, qkv_bias),
        LinearLayer("k_proj", h, kv * hd, L, qkv_bias),
        LinearLayer("v_proj", h, kv * hd, L, qkv_bias),
        LinearLayer("o_proj", n * hd, h, L, o_bias),
    ]


def _mlp_layers(facts: ModelFacts) -> list[LinearLayer]:
    h, i, L, b = facts.hidden_size, facts.intermediate_size, facts.num_layers, facts.mlp_bias
    if facts.family == "mixtral":
        return []  # experts are fused 3-D parameters in transformers >= 5, not nn.Linear
    if facts.family == "phi3":
        return [LinearLayer("gate_up_proj", h, 2 * i, L, b), LinearLayer("down_proj", i, h, L, b)]
    return [
        LinearLayer("gate_proj", h, i, L, b),
        LinearLayer("up_proj", h, i, L, b),
        LinearLayer("down_proj", i, h, L, b),
    ]


def _vision_layers(facts: ModelFacts) -> list[LinearLayer]:
    v = facts.vision
    if v is None:
        return []
    d, m, L = v.hidden_size, v.intermediate_size, v.num_layers
    return [
        LinearLayer("q_proj", d, d, L, True, "vision"),
        LinearLayer("k_proj", d, d, L, True, "vision"),
        LinearLayer("v_proj", d, d, L, True, "vision"),
        LinearLayer("out_proj", d, d, L, True, "vision"),
        LinearLayer("fc1", d, m, L, True, "vision"),
        LinearLayer("fc2", m, d, L, True, "vision"),
    ]


def linear_layers(facts: ModelFacts) -> list[LinearLayer]:
    """Every nn.Linear of the model (lm_head last, part="head"), as transformers builds it."""
    layers = _attention_layers(facts) + _mlp_layers(facts) + _vision_layers(facts)
    layers.append(LinearLayer("lm_head", facts.hidden_size, facts.vocab_size, 1, False, "head"))
    return layers


def linear_module_names(facts: ModelFacts) -> list[str]:
    """The decoder's Linear layer names in model order (lm_head excluded): the TUI's LoRA target list."""
    names: list[str] = []
    for layer in _attention_layers(facts) + _mlp_layers(facts):
        if layer.name not in names:
            names.append(layer.name)
    return names


def _norm_params(facts: ModelFacts) -> int:
    h, L, hd = facts.hidden_size, facts.num_layers, facts.head_dim
    per_layer = {"gemma2": 4 * h, "gemma3": 4 * h + 2 * hd, "qwen3": 2 * h + 2 * hd}.get(facts.family, 2 * h)
    norms = per_layer * L + h  # + final norm
    if facts.vision is not None:
        d = facts.vision.hidden_size
        norms += facts.vision.num_layers * 4 * d + 2 * d  # LayerNorm weight+bias x2 per layer, post-norm
        norms += d  # multimodal projector's soft-embedding RMSNorm
    return norms


def _vision_other(facts: ModelFacts) -> int:
    v = facts.vision
    if v is None:
        return 0
    patches = (v.image_size // v.patch_size) ** 2
    patch_embedding = v.num_channels * v.patch_size**2 * v.hidden_size + v.hidden_size
    position_embedding = patches * v.hidden_size
    projector = v.hidden_size * facts.hidden_size
    return patch_embedding + position_embedding + projector


@functools.lru_cache(maxsize=512)
def count_parameters(facts: ModelFacts) -> ParamCounts:
    """Exact parameter counts by kind (cached per facts; a few microseconds the first time)."""
    layers = linear_layers(facts)
    body = [layer for layer in layers if layer.part != "head"]
    experts = other = 0
    if facts.family == "mixtral":
        h, i, e = facts.hidden_size, facts.intermediate_size, facts.num_experts
        experts = facts.num_layers * e * (h * 2 * i + i * h)
        other += facts.num_layers * e * h  # router
    other += _vision_other(facts)
    return ParamCounts(
        embedding=facts.vocab_size * facts.hidden_size,
        lm_head=0 if facts.tied_embeddings else facts.vocab_size * facts.hidden_size,
        linear_weights=sum(layer.weight_params for layer in body),
        biases=sum(layer.bias_params for layer in body),
        norms=_norm_params(facts),
        experts=experts,
        other=other,
    )


def _matches(name: str, targets: Iterable[str]) -> bool:
    return name in set(targets)


def lora_trainable_params(
    facts: ModelFacts,
    r: int,
    target_modules: Iterable[str] | None = None,
    target_linear: bool = False,
) -> int:
    """LoRA A+B parameters: r * (d_in + d_out) per adapted Linear, exactly as PEFT counts them.

    `target_linear` is Axolotl's `lora_target_linear`: every Linear except lm_head (vision towers included).
    Names match by the module's leaf name, like PEFT's list form of `target_modules`.
    """
    if r <= 0:
        return 0
    targets = set(target_modules or ())
    total = 0
    for layer in linear_layers(facts):
        if layer.part == "head":
            selected = "lm_head" in targets
        else:
            selected = target_linear or _matches(layer.name, targets)
        if selected:
            total += r * (layer.d_in + layer.d_out) * layer.count
    return total


def lora_layer_shapes(
    facts: ModelFacts, target_modules: Iterable[str] | None = None, target_linear: bool = False
) -> list[LinearLayer]:
    """The Linear layers a LoRA config adapts (used for activation memory of the adapters)."""
    targets = set(target_modules or ())
    chosen = []
    for layer in linear_layers(facts):
        if layer.part == "head":
            if "lm_head" in targets:
                chosen.append(layer)
        elif target_linear or layer.name in targets:
            chosen.append(layer)
    return chosen


def unknown_targets(facts: ModelFacts, target_modules: Iterable[str]) -> list[str]:
    """Targets that name no Linear of this model (PEFT would raise; the wizard warns early)."""
    known = {layer.name for layer in linear_layers(facts)}
    return [t for t in target_modules if t not in known]


def meta_device_count(config: dict, cache_key: str) -> int:
    """Fallback for architectures without an analytic count: build on the meta device, cache on disk."""
    from ftui.core.paths import cache_dir

    digest = hashlib.sha256(json.dumps(config, sort_keys=True, default=str).encode()).hexdigest()[:16]
    cache_file = cache_dir() / "param_counts.json"
    try:
        cache = json.loads(cache_file.read_text())
    except (OSError, ValueError):
        cache = {}
    key = f"{cache_key}:{digest}"
    if key in cache:
        return int(cache[key])
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM

    cfg_dict = dict(config)
    model_type = cfg_dict.pop("model_type")
    hf_config = AutoConfig.for_model(model_type, **cfg_dict)
    # The meta device allocates nothing and, unlike accelerate's init_empty_weights, keeps tied weights tied.
    with torch.device("meta"):
        model = AutoModelForCausalLM.from_config(hf_config)
    count = int(model.num_parameters())
    cache[key] = count
    tmp = cache_file.with_suffix(".tmp")
    tmp.write_text(json.dumps(cache, indent=1, sort_keys=True))
    tmp.replace(cache_file)
    return count


def total_parameters(facts: ModelFacts) -> int:
    """Exact total: analytic for known families; meta-device count (cached on disk) for other local/hub configs."""
    if facts.known_architecture or "config" not in facts.extra:
        return count_parameters(facts).total
    return meta_device_count(facts.extra["config"], facts.name)
