"""The Data step's format and template choice, in terms of the state: the dataset types core knows, the
template core will use for the first entry, the picker's options and the base/instruct mismatch warning."""

from __future__ import annotations

from typing import Any

from ftui.tui.wizard.data_info import draft
from ftui.tui.wizard.state import WizardState

TEMPLATE_LABELS = {
    "tokenizer_default": "model's own chat template",
    "chatml": "chatml",
    "llama3": "llama3",
    "mistral": "mistral [INST]",
    "gemma": "gemma",
    "phi3": "phi3",
    "alpaca": "alpaca (instruction/response)",
    "jinja": "custom Jinja (chat_template_jinja)",
}


def dataset_types() -> list[str]:
    from ftui.core.config.choices import DATASET_TYPES

    return list(DATASET_TYPES)


def dataset_type_value(state: WizardState) -> str | None:
    value = state.dataset.get("type")
    return value if isinstance(value, str) else None


def set_dataset_type(state: WizardState, value: str | None) -> None:
    state.set_dataset(type=value)


def template_value(state: WizardState, facts: Any) -> str:
    """The template core uses for the first entry (its own `chat_template` / `chat_template_jinja` first,
    legacy types included), as the name the template picker knows."""
    from ftui.core.templates.library import template_from_config

    try:
        config = draft(state)
        name = template_from_config(config, config.datasets[0] if config.datasets else None).name
    except Exception:  # noqa: BLE001 - a draft core cannot read yet: show what the keys say
        raw = state.dataset.get("chat_template") or state.get("chat_template")
        name = "jinja" if raw is None and _own_jinja(state) else str(raw or "tokenizer_default")
    return "tokenizer_default" if name == "tokenizer" else name


def _own_jinja(state: WizardState) -> bool:
    return bool(state.dataset.get("chat_template_jinja") or state.get("chat_template_jinja"))


def set_template(state: WizardState, value: str) -> None:
    """Pick a template where the config decides it: on the entry when the entry names its own."""
    if value == "alpaca":
        state.set_dataset(type="alpaca", chat_template=None, chat_template_jinja=None)
        state.set("chat_template", None)
        return
    if dataset_type_value(state) == "alpaca":
        state.set_dataset(type=None)  # alpaca rows rendered with a chat template: let the format be detected
    if state.dataset.get("chat_template") or state.dataset.get("chat_template_jinja"):
        jinja = state.dataset.get("chat_template_jinja") if value == "jinja" else None
        state.set_dataset(chat_template=value, chat_template_jinja=jinja)
    else:
        state.set("chat_template", value)
        if value != "jinja":
            state.set("chat_template_jinja", None)


def template_options(facts: Any, state: WizardState) -> list[tuple[str, str]]:
    """The model's own template first for instruct models (alpaca first for base models)."""
    instruct = bool(getattr(facts, "instruct", True))
    chats = ["chatml", "llama3", "mistral", "gemma", "phi3"]
    suggested = getattr(facts, "chat_template", None)
    if suggested in chats:
        chats.remove(suggested)
        chats.insert(0, suggested)
    order = ["tokenizer_default", *chats, "alpaca"] if instruct else ["alpaca", *chats, "tokenizer_default"]
    current = template_value(state, facts)
    if current not in order:
        order.append(current)
    return [(TEMPLATE_LABELS.get(name, name), name) for name in order]


def template_warning(state: WizardState, facts: Any) -> str | None:
    if facts is None:
        return None
    template = template_value(state, facts)
    if not facts.instruct and template != "alpaca":
        return (f"{facts.name} is a base model: it has never seen this chat format, so it learns it from "
                "scratch (fine with enough data; alpaca or an instruct model is the usual choice)")  # fmt: skip
    if facts.instruct and template == "alpaca":
        return (f"{facts.name} is an instruct model trained on its own chat template; alpaca prompts fight "
                "that format (choose the model's own chat template)")  # fmt: skip
    return None
