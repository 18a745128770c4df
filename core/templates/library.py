"""Prompt templates as data: `templates/prompts/NAME.yaml` (metadata) plus `NAME.jinja` for chat formats.

Config values map onto template names here: Axolotl's `chat_template: tokenizer_default` is ftui's
`tokenizer` template, and `type: alpaca` datasets use the `alpaca` template.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from ftui.core.errors import UserError
from ftui.core.paths import templates_dir

TemplateKind = Literal["instruct", "chat", "tokenizer"]

# Axolotl's names for the same formats, so an Axolotl config's `chat_template:` works unchanged.
ALIASES = {
    "tokenizer_default": "tokenizer",
    "tokenizer_default_fallback_chatml": "tokenizer",
    "mistral_v1": "mistral",
    "phi_3": "phi3",
    "phi_35": "phi3",
    "llama3_2": "llama3",
    "llama31": "llama3",
    "mistral_v2v3": "mistral",
    "gemma3": "gemma",
    "llama3_2_vision": "llama3",
}


@dataclass(frozen=True)
class PromptTemplate:
    name: str
    kind: TemplateKind
    description: str
    models: tuple[str, ...] = ()
    stop_tokens: tuple[str, ...] = ()
    adds_bos: bool = False
    jinja: str | None = None  # the chat template source (kind "chat")
    formats: dict[str, str] = field(default_factory=dict)  # alpaca prompt strings (kind "instruct")
    response_as_separate_text: bool = False
    path: str = ""
    fallback: str | None = None  # kind "tokenizer": the template to use when the tokenizer has none


def prompts_dir() -> Path:
    return templates_dir() / "prompts"


def list_templates() -> list[str]:
    """Names of the shipped templates, sorted."""
    return sorted(p.stem for p in prompts_dir().glob("*.yaml"))


def canonical_name(name: str) -> str:
    key = str(name).strip()
    return ALIASES.get(key, key)


@lru_cache(maxsize=64)
def load_template(name: str) -> PromptTemplate:
    """Load a shipped template by name (or Axolotl alias). Unknown names raise a `UserError`."""
    from ruamel.yaml import YAML

    canonical = canonical_name(name)
    path = prompts_dir() / f"{canonical}.yaml"
    if not path.is_file():
        raise UserError(
            f"unknown prompt template {name!r} (config key `chat_template`)",
            hint="use one of: " + ", ".join(list_templates()) + " (or tokenizer_default)",
        )
    meta = YAML(typ="safe", pure=True).load(path.read_text(encoding="utf-8")) or {}
    jinja_source = None
    if meta.get("jinja"):
        jinja_source = (path.parent / meta["jinja"]).read_text(encoding="utf-8")
    format_keys = (
        "system_prompt",
        "system_no_input_prompt",
        "system_format",
        "turn_format",
        "turn_no_input_format",
    )
    return PromptTemplate(
        name=meta.get("name", canonical),
        kind=meta["kind"],
        description=meta.get("description", ""),
        models=tuple(meta.get("models") or ()),
        stop_tokens=tuple(meta.get("stop_tokens") or ()),
        adds_bos=bool(meta.get("adds_bos", False)),
        jinja=jinja_source,
        formats={k: meta[k] for k in format_keys if k in meta},
        response_as_separate_text=bool(meta.get("response_as_separate_text", False)),
        path=str(path),
    )


FALLBACK_PREFIX = "tokenizer_default_fallback_"


def template_for(
    dataset_type: str | None, chat_template: str | None, chat_template_jinja: str | None = None
) -> PromptTemplate:
    """The template a dataset uses: `alpaca`-family rows use `alpaca`; chat rows use `chat_template`
    (default: the tokenizer's own template, as Axolotl's `chat_template` type does). `jinja` takes the
    template text from `chat_template_jinja`; `tokenizer_default_fallback_X` uses X when the tokenizer has
    no template."""
    if dataset_type and str(dataset_type).startswith("alpaca"):
        return load_template("alpaca")
    name = chat_template or "tokenizer"
    if name == "jinja":
        if not chat_template_jinja:
            raise UserError(
                "chat_template: jinja needs the template text",
                hint="set chat_template_jinja: to a Jinja template",
            )
        return PromptTemplate(
            name="jinja", kind="chat", description="custom Jinja chat template", jinja=chat_template_jinja
        )
    if name.startswith(FALLBACK_PREFIX):
        fallback = load_template(name[len(FALLBACK_PREFIX) :])
        return replace(load_template("tokenizer"), fallback=fallback.name)
    return load_template(name)


def template_from_config(config: Any, dataset: Any = None) -> PromptTemplate:
    """The template for one `datasets[]` entry of a config: its own `chat_template` wins over the
    top-level one (Axolotl's rule)."""

    def get(obj: Any, key: str) -> Any:
        if obj is None:
            return None
        return obj.get(key) if isinstance(obj, dict) else getattr(obj, key, None)

    dataset_type = get(dataset, "type")
    return template_for(
        dataset_type if isinstance(dataset_type, str) else None,
        get(dataset, "chat_template") or get(config, "chat_template"),
        get(dataset, "chat_template_jinja") or get(config, "chat_template_jinja"),
    )


def suggest_template(model_name: str) -> str | None:
    """The shipped chat template whose `models` patterns match a model name, if any."""
    lowered = model_name.lower()
    for name in list_templates():
        template = load_template(name)
        if any(pattern in lowered for pattern in template.models):
            return name
    return None
