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


def _aliases() -> dict[str, str]:
    """A `chat_template:` spelling -> its file in templates/prompts/ (config/choices.py holds the names)."""
    from ftui.core.config.choices import CHAT_TEMPLATE_ALIASES

    return {**CHAT_TEMPLATE_ALIASES, "tokenizer_default": "tokenizer", "tokenizer": "tokenizer"}


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
    # legacy types (core/templates/legacy.py): an instruction type and its prompt strings, or the FastChat
    # conversation a `type: sharegpt` entry renders with
    instruct: Any = None
    style: Any = None
    legacy_sharegpt: Any = None

    def describe(self) -> str:
        """One line for `ftui check` and the wizard: which template, in words."""
        if self.kind == "tokenizer":
            extra = f" (else {self.fallback})" if self.fallback else ""
            return f"the tokenizer's own chat template{extra}"
        return (
            f"the {self.name} template: {self.description}"
            if self.description
            else f"the {self.name} template"
        )


def prompts_dir() -> Path:
    return templates_dir() / "prompts"


def list_templates() -> list[str]:
    """Names of the shipped templates, sorted."""
    return sorted(p.stem for p in prompts_dir().glob("*.yaml"))


def canonical_name(name: str) -> str:
    key = str(name).strip()
    return _aliases().get(key, key)


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


def is_instruct_type(dataset_type: str) -> bool:
    """Dataset types rendered with instruction strings (alpaca and Axolotl's other instruct types), not a
    chat template."""
    from ftui.core.templates.instruct import instruct_type

    return dataset_type == "alpaca" or instruct_type(dataset_type) is not None


def template_for(
    dataset_type: str | None,
    chat_template: str | None,
    chat_template_jinja: str | None = None,
    dataset: Any = None,
    config: Any = None,
) -> PromptTemplate:
    """The template a dataset uses: `alpaca` rows use `alpaca`, Axolotl's other instruction types and
    legacy ShareGPT their own (see `legacy_template`); chat rows use `chat_template` (default: the
    tokenizer's own template, as Axolotl's `chat_template` type does). `jinja` takes the template text from
    `chat_template_jinja`; `tokenizer_default_fallback_X` uses X when the tokenizer has no template."""
    legacy = legacy_template(dataset_type, dataset, config)
    if legacy is not None:
        return legacy
    if dataset_type == "alpaca":
        return load_template("alpaca")
    name = chat_template or "tokenizer"
    if name == "alpaca" and dataset_type in ("chat_template", "sharegpt", "messages"):
        name = "alpaca_chat"  # Axolotl's alpaca chat template for chat rows
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
    if dataset_type is not None and not isinstance(dataset_type, str):  # a mapping: Axolotl's user_defined
        dataset_type = "user_defined"
    chat_template = get(dataset, "chat_template") or get(config, "chat_template")
    jinja = get(dataset, "chat_template_jinja") or get(config, "chat_template_jinja")
    if chat_template is None and jinja:
        chat_template = "jinja"  # Axolotl: chat_template_jinja alone means chat_template: jinja
    if chat_template == "jinja":
        jinja = jinja_text(config, jinja)
    return template_for(dataset_type, chat_template, jinja, dataset=dataset, config=config)


def looks_like_path(value: str) -> bool:
    """A `chat_template_jinja` value naming a file rather than holding the template (no braces, one line)."""
    return "\n" not in value and "{" not in value


def jinja_text(config: Any, value: str | None) -> str | None:
    """`chat_template_jinja` holds the template or, as Axolotl allows, the path of a file with it (relative
    to the config's folder). A path that names no file is a user error, not a one-line template."""
    if not value or not looks_like_path(value):
        return value
    resolve = getattr(config, "resolve_path", None)
    candidate = resolve(value) if resolve is not None else Path(value).expanduser()
    if candidate.is_file():
        return candidate.read_text(encoding="utf-8")
    raise UserError(
        f"chat_template_jinja: file not found: {candidate}",
        hint="give the Jinja template itself, or the path of a .jinja file (relative to the config's folder)",
    )


def legacy_template(
    dataset_type: str | None, dataset: Any = None, config: Any = None
) -> PromptTemplate | None:
    """The template of a legacy type: an instruction type, a `type:` mapping, or legacy ShareGPT."""
    from ftui.core.config.choices import LEGACY_SHAREGPT_TYPES
    from ftui.core.templates import instruct

    def get(obj: Any, key: str) -> Any:
        if obj is None:
            return None
        return obj.get(key) if isinstance(obj, dict) else getattr(obj, key, None)

    if dataset_type == "user_defined":
        kind, style = instruct.user_defined(get(dataset, "type"))
        return PromptTemplate(
            "user_defined",
            "instruct",
            "Axolotl's user-defined prompt (type: mapping)",
            instruct=kind,
            style=style,
        )
    if dataset_type in LEGACY_SHAREGPT_TYPES:
        return _legacy_sharegpt(dataset_type, dataset, config, get)
    kind = instruct.instruct_type(dataset_type) if dataset_type else None
    if kind is None:
        return None
    style_name = kind.style
    if kind.style_from_conversation and get(dataset, "conversation") in instruct.STYLES:
        style_name = get(dataset, "conversation")
    return PromptTemplate(
        dataset_type, "instruct", f"Axolotl's {dataset_type} prompt ({style_name} style)", instruct=kind,
        style=instruct.STYLES[style_name],
    )  # fmt: skip


def _legacy_sharegpt(dataset_type: str, dataset: Any, config: Any, get: Any) -> PromptTemplate:
    """Axolotl 0.4's rule: the entry's `conversation`, else (plain `sharegpt`) the top-level chat_template,
    else vicuna_v1.1; chatml/llama3 take `default_system_message` when chat_template names them."""
    from ftui.core.templates.conversations import get_conversation
    from ftui.core.templates.legacy import LegacyShareGPT

    chat_template = get(config, "chat_template")
    name = get(dataset, "conversation") or (
        chat_template
        if dataset_type in ("sharegpt", "sharegpt:chat", "sharegpt_simple") and chat_template
        else None
    )
    name = name or "vicuna_v1.1"
    system = get(config, "default_system_message") if chat_template == name else None
    roles = get(dataset, "roles") or {}
    legacy = LegacyShareGPT(
        conversation=get_conversation(name, system),
        role_key_human=get(dataset, "field_human") or "human",
        role_key_model=get(dataset, "field_model") or "gpt",
        input_roles=tuple(roles.get("input") or ()),
        output_roles=tuple(roles.get("output") or ()),
    )
    return PromptTemplate(
        f"sharegpt:{name}",
        "chat",
        f"legacy ShareGPT with the FastChat {name!r} conversation",
        legacy_sharegpt=legacy,
    )


def suggest_template(model_name: str) -> str | None:
    """The shipped chat template whose `models` patterns match a model name, if any."""
    lowered = model_name.lower()
    for name in list_templates():
        template = load_template(name)
        if any(pattern in lowered for pattern in template.models):
            return name
    return None
