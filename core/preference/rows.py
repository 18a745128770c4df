"""Preference rows: one dataset row -> prompt + chosen + rejected (or KTO's prompt + completion + label).

The row shapes are Axolotl's prompt strategies (src/axolotl/prompt_strategies/{dpo,orpo,kto}/) and TRL's and
LLaMA-Factory's preference rows. A row is either *conversational* (the prompt is a list of messages and the
answers are plain text: the config's chat template renders them) or *formatted* (Axolotl's chatml.*, llama3.*
and user_defined types build the final strings themselves). Every problem is a `RowError` with a short
reason; the caller adds `file:line`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ftui.core.data.formats import DEFAULT_ROLES
from ftui.core.data.model import RowOrigin
from ftui.core.data.rows import RowError, describe


@dataclass
class PreferenceRow:
    """One example. `prompt` is messages (rendered with the chat template) or the final prompt text."""

    origin: RowOrigin
    prompt: list[dict[str, str]] | str
    chosen: str  # KTO: the completion
    rejected: str | None = None  # None for KTO
    label: bool | None = None  # KTO: True when the completion is desirable

    @property
    def formatted(self) -> bool:
        return isinstance(self.prompt, str)


@dataclass(frozen=True)
class EntryKeys:
    """The keys of one `datasets:` entry that preference rows read (Axolotl's names and defaults)."""

    type: str | None = None
    custom: dict[str, str] = field(default_factory=dict)  # user_defined: the mapping under `type:`
    field_messages: str | None = None
    field_chosen: str = "chosen"
    field_rejected: str = "rejected"
    role_key: str = "role"
    content_key: str = "content"
    roles: dict[str, str] = field(default_factory=dict)  # source role -> canonical role

    @classmethod
    def of(cls, entry: Any) -> EntryKeys:
        def get(key: str) -> Any:
            return entry.get(key) if isinstance(entry, dict) else getattr(entry, key, None)

        raw_type = get("type")
        if hasattr(raw_type, "model_dump"):
            raw_type = raw_type.model_dump(exclude_none=True)
        custom = {str(k): str(v) for k, v in raw_type.items()} if isinstance(raw_type, dict) else {}
        mappings = dict(get("message_property_mappings") or {})
        roles: dict[str, str] = {}
        for target, sources in (get("roles") or {}).items():
            for source in [sources] if isinstance(sources, str) else sources or []:
                roles[str(source)] = str(target)
        return cls(
            type="user_defined.default" if custom else (str(raw_type) if raw_type else None),
            custom=custom,
            field_messages=get("field_messages"),
            field_chosen=get("field_chosen") or "chosen",
            field_rejected=get("field_rejected") or "rejected",
            role_key=str(mappings.get("role") or get("message_field_role") or "role"),
            content_key=str(mappings.get("content") or get("message_field_content") or "content"),
            roles=roles,
        )


# --- small readers ----------------------------------------------------------------------------------------


def first_key(row: dict, keys: tuple[str, ...]) -> str:
    """The first of `keys` the row has (Axolotl's chatml.default looks for prompt, input, question, ...)."""
    for key in keys:
        if key in row:
            return key
    raise RowError("missing field " + " / ".join(f"'{k}'" for k in keys))


def system_of(row: dict, key: str = "system") -> str | None:
    value = row.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise RowError(f"field '{key}' must be a string, got {describe(value)}")
    return value


def message(value: Any, where: str, keys: EntryKeys) -> dict[str, str]:
    """One turn as {role, content} with a canonical role (ShareGPT from/value read too)."""
    if not isinstance(value, dict):
        raise RowError(f"{where} must be an object with role and content, got {describe(value)}")
    role_key = keys.role_key if keys.role_key in value else "from" if "from" in value else keys.role_key
    content_key = (
        keys.content_key if keys.content_key in value else "value" if "value" in value else keys.content_key
    )
    role, content = value.get(role_key), value.get(content_key)
    if not isinstance(role, str):
        raise RowError(f"{where}: missing '{role_key}'")
    if not isinstance(content, str):
        raise RowError(f"{where}: '{content_key}' must be a string, got {describe(content)}")
    canonical = keys.roles.get(role) or DEFAULT_ROLES.get(role)
    if canonical is None:
        raise RowError(f"{where}: unknown role '{role}'")
    return {"role": canonical, "content": content}


def messages(value: Any, where: str, keys: EntryKeys) -> list[dict[str, str]]:
    if isinstance(value, str):  # Axolotl: a string prompt is one user message
        return [{"role": "user", "content": value}]
    if not isinstance(value, list) or not value:
        raise RowError(f"field '{where}' must be a non-empty list of messages, got {describe(value)}")
    return [message(turn, f"{where}[{i}]", keys) for i, turn in enumerate(value)]


def answer(value: Any, where: str, keys: EntryKeys) -> str:
    """A chosen/rejected answer given as text, one message, or a conversation whose last turn is it."""
    if value is None:
        raise RowError(f"missing field '{where}'")
    if isinstance(value, str):
        content = value
    elif isinstance(value, dict):
        content = message(value, where, keys)["content"]
    elif isinstance(value, list) and value:
        content = message(value[-1], f"{where}[{len(value) - 1}]", keys)["content"]
    else:
        raise RowError(
            f"field '{where}' must be text, a message or a list of messages, got {describe(value)}"
        )
    if not content.strip():
        raise RowError(f"field '{where}' is empty")
    return content


def last_content(value: Any, where: str, index: int) -> str:
    """`value[index]['content']` (Axolotl's argilla_chat / ultra rows), with a reason when it is not there."""
    if not isinstance(value, list) or len(value) <= index:
        raise RowError(
            f"field '{where}' must be a list of at least {index + 1} messages, got {describe(value)}"
        )
    turn = value[index]
    if not isinstance(turn, dict) or not isinstance(turn.get("content"), str):
        raise RowError(f"{where}[{index}] must be an object with a string 'content'")
    return turn["content"]


def kto_label(row: dict, key: str = "label") -> bool:
    if key not in row:
        raise RowError(
            f"missing field '{key}' (true for a desirable completion, false for an undesirable one)"
        )
    value = row[key]
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    if value in (0, 1):
        return bool(value)
    raise RowError(f"field '{key}' must be true or false, got {describe(value)}")


def check_pair(row: PreferenceRow) -> PreferenceRow:
    if row.rejected is not None and row.chosen.strip() == row.rejected.strip():
        raise RowError("chosen and rejected are the same answer: the pair teaches nothing")
    return row
