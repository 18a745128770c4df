"""The fixed vocabularies of the config: dataset types, chat templates, optimizers, schedulers, attention
backends. Kept apart from the schema so other modules (data, templates, trainer, wizard) import them cheaply.

Axolotl's own lists (chat template names, optimizers, attention backends) are read from
templates/axolotl/*.json, generated from Axolotl and transformers (bench/axolotl/make_axolotl_keys.py);
importing transformers' OptimizerNames would pull in torch.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

# --- dataset types ---------------------------------------------------------------------------------------

# Dataset `type` values ftui reads and renders itself. `chat_template` is Axolotl's name for chat data
# rendered with a chat template; `sharegpt` and `messages` are accepted as explicit row shapes for it.
# The legacy instruction types (core/templates/instruct.py) render as the Axolotl release that had them did.
DATASET_TYPES: tuple[str, ...] = (
    "alpaca",
    "chat_template",
    "messages",
    "completion",
    "input_output",
    "pretokenized",
    "tokenized",
)
# Older Axolotl types, rendered as the Axolotl release that had them did: legacy ShareGPT with a FastChat
# conversation template (`conversation:`; core/templates/legacy.py) and the instruction-style types
# (core/templates/instruct.py). `type: sharegpt` is the legacy one (Axolotl 0.5 dropped it); ShareGPT rows
# with a chat template are `type: chat_template`.
LEGACY_SHAREGPT_TYPES: tuple[str, ...] = (
    "sharegpt",
    "sharegpt:chat",
    "sharegpt_simple",
    "sharegpt.load_role",
    "sharegpt.load_guanaco",
    "sharegpt.load_ultrachat",
)
LEGACY_INSTRUCT_TYPES: tuple[str, ...] = (
    "alpaca:chat",
    "alpaca:chatml",
    "alpaca:phi",
    "alpaca_instruct",
    "alpaca_instruct.load_no_prompt",
    "alpaca_chat",
    "alpaca_chat.load_qa",
    "alpaca_chat.load_concise",
    "alpaca_chat.load_camel_ai",
    "alpaca_chat.load_no_prompt",
    "alpaca_w_system",
    "alpaca_w_system.load_instruct",
    "alpaca_w_system.load_chat",
    "alpaca_w_system.load_open_orca",
    "alpaca_w_system.load_open_orca_chatml",
    "context_qa",
    "context_qa.load_v2",
    "context_qa.load_404",
    "gpteacher",
    "oasst",
    "jeopardy",
)

# Axolotl types ftui knows but does not render; the config opens and `ftui train` refuses (see registry).
UNRENDERED_DATASET_TYPES: tuple[str, ...] = (
    "reflection",
    "explainchoice",
    "concisechoice",
    "summarizetldr",
    "metharme",
    "pygmalion",
    "creative_acr.load_answer",
    "creative_acr.load_critique",
    "creative_acr.load_revise",
    "orcamini",
    "llama2_chat",
    "completion.load",
    "pretrain",
    "_synthetic",
    "stepwise_supervised",
)


def is_known_dataset_type(name: str) -> bool:
    """A type ftui renders (today's, legacy ShareGPT, or an instruction type, e.g. `oasst:chat`)."""
    if name in DATASET_TYPES or name in LEGACY_SHAREGPT_TYPES or name in LEGACY_INSTRUCT_TYPES:
        return True
    base, _, style = name.partition(":")
    return bool(style) and base in LEGACY_INSTRUCT_TYPES and style in ("instruct", "chat", "chatml", "phi")


# --- chat templates --------------------------------------------------------------------------------------


@lru_cache(maxsize=4)
def _axolotl_json(name: str) -> Any:
    from ftui.core.paths import templates_dir

    return json.loads((templates_dir() / "axolotl" / name).read_text(encoding="utf-8"))


def axolotl_chat_templates() -> tuple[str, ...]:
    """Every name Axolotl's ChatTemplate enum accepts (plus phi_4, whose template Axolotl ships)."""
    names = list(_axolotl_json("keys.json")["current"]["chat_templates"])
    return tuple(dict.fromkeys([*names, "phi_4"]))


# Other spellings of a template -> the name `config.chat_template_name` reports. Axolotl names whose text
# is that of one of ftui's own templates map onto it (mistral_v1 is ftui's `mistral`, phi_3 its `phi3`).
CHAT_TEMPLATE_ALIASES: dict[str, str] = {
    "tokenizer": "tokenizer_default",
    "mistral_v1": "mistral",
    "phi_3": "phi3",
    "llama3_2": "llama3",
    "llama31": "llama3",
}
# Axolotl's "use the tokenizer's template, else this one".
TOKENIZER_DEFAULT_FALLBACK_PREFIX = "tokenizer_default_fallback_"


def chat_template_names() -> tuple[str, ...]:
    """Every accepted `chat_template:` value (without the tokenizer_default_fallback_ forms)."""
    own = ("chatml", "llama3", "mistral", "gemma", "phi3", "alpaca")
    return tuple(dict.fromkeys([*axolotl_chat_templates(), *own, *CHAT_TEMPLATE_ALIASES]))


def is_known_chat_template(name: str) -> bool:
    if name.startswith(TOKENIZER_DEFAULT_FALLBACK_PREFIX):
        name = name[len(TOKENIZER_DEFAULT_FALLBACK_PREFIX) :]
        return name in chat_template_names() and name not in ("jinja", "tokenizer", "tokenizer_default")
    return name in chat_template_names()


# --- optimizers ------------------------------------------------------------------------------------------


def transformers_optimizers() -> tuple[str, ...]:
    """transformers' OptimizerNames (generated list; tests/test_config_choices.py compares it)."""
    return tuple(_axolotl_json("optimizers.json")["transformers"])


def axolotl_optimizers() -> tuple[str, ...]:
    """Axolotl's own optimizer implementations (CustomSupportedOptimizers); ftui cannot build them."""
    return tuple(_axolotl_json("optimizers.json")["axolotl"])


# Names transformers dropped that Axolotl configs still use, and what ftui runs for them.
OPTIMIZER_ALIASES: dict[str, str] = {"adamw_hf": "adamw_torch", "paged_adamw": "paged_adamw_32bit"}


def optimizer_names() -> tuple[str, ...]:
    return tuple(dict.fromkeys([*transformers_optimizers(), *OPTIMIZER_ALIASES, *axolotl_optimizers()]))


LR_SCHEDULERS: tuple[str, ...] = (
    "cosine",
    "linear",
    "constant",
    "constant_with_warmup",
    "cosine_with_restarts",
    "cosine_with_min_lr",
    "cosine_warmup_with_min_lr",
    "polynomial",
    "inverse_sqrt",
    "reduce_lr_on_plateau",
    "warmup_stable_decay",
)
# Axolotl's own schedulers (not in transformers): the config opens, `ftui train` refuses (registry).
AXOLOTL_LR_SCHEDULERS: tuple[str, ...] = ("one_cycle", "rex")

# --- attention -------------------------------------------------------------------------------------------


def attention_implementations() -> tuple[str, ...]:
    """Axolotl's canonical `attn_implementation` names (a hub-kernel path with `/` is accepted too)."""
    return tuple(_axolotl_json("keys.json")["current"]["attn_implementations"])


def legacy_attention_flags() -> dict[str, str]:
    """Axolotl's old boolean flags -> the attn_implementation they mean, most specific first."""
    return dict(_axolotl_json("keys.json")["current"]["legacy_attention_flags"])


def attention_short_forms() -> dict[str, str]:
    return dict(_axolotl_json("keys.json")["current"]["attn_short_forms"])


# Backends transformers runs from the model itself; the rest are Axolotl patches ftui does not have.
ATTENTION_FTUI_RUNS: tuple[str, ...] = (
    "eager",
    "sdpa",
    "flash_attention_2",
    "flash_attention_3",
    "flex_attention",
)


def resolve_attention(values: Any) -> str | None:
    """The attention backend a config asks for: `attn_implementation`, else the first true legacy flag
    in Axolotl's priority (xformers, sage, flex, flash, sdp, eager), else None (the model's default).
    `values` is a config object or a plain mapping of its keys."""

    def get(key: str) -> Any:
        return values.get(key) if isinstance(values, dict) else getattr(values, key, None)

    if get("attn_implementation"):
        return str(get("attn_implementation"))
    for flag, implementation in legacy_attention_flags().items():
        if get(flag):
            return implementation
    return None


def runnable_attention(name: str | None) -> str | None:
    """What ftui runs for an asked-for backend: transformers' own backends and hub kernels as they are;
    Axolotl's patched ones (xformers, sage, fp8, flash_attention_4/_torch) as SDPA - same result, other
    speed and memory."""
    if name is None or name in ATTENTION_FTUI_RUNS or "/" in name:
        return name
    return "sdpa"


# --- secrets: one rule, in core/config/secrets.py (re-exported here for older imports) ----------------------

from ftui.core.config.secrets import SECRET_KEYS, is_secret_key  # noqa: E402, F401


def __getattr__(name: str) -> Any:
    """`CHAT_TEMPLATES` and `OPTIMIZERS` read their data files on first use (the wizard asks for them by name)."""
    if name == "CHAT_TEMPLATES":
        return chat_template_names()
    if name == "OPTIMIZERS":
        return optimizer_names()
    raise AttributeError(name)
