"""Dataset formats: their names, auto-detection from the first rows, and how a config's `type:` maps to them.

A `FormatSpec` is the fully resolved reading recipe for one dataset (which format, which keys hold the
messages/roles/content, how source roles map to canonical ones). Rows are then normalized by `rows.py`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from ftui.core.data.model import ROLES
from ftui.core.data.report import DataError
from ftui.core.data.settings import DatasetSettings

# Format name -> one line for the TUI.
FORMATS: dict[str, str] = {
    "alpaca": "instruction / input / output rows (Stanford Alpaca)",
    "sharegpt": "conversations of from/value turns: human, gpt, system, function_call, observation",
    "messages": "OpenAI-style messages of role/content turns, optional tools and per-turn train flags",
    "completion": "raw text to continue (`text`, or the key set with `field:`), every token trained",
    "input_output": "segments of {label, text}: label true is trained, false is context",
    "pretokenized": "token ids already made: input_ids, optional labels and attention_mask",
}

# Axolotl `type:` spellings -> ftui format. `chat_template` means sharegpt or messages, decided from the rows.
TYPE_ALIASES: dict[str, str] = {
    "chat_template": "chat",
    "sharegpt": "sharegpt",
    "messages": "messages",
    "completion": "completion",
    "input_output": "input_output",
    "pretokenized": "pretokenized",
    "tokenized": "pretokenized",
}

_ALPACA = {"instruction": "instruction", "input": "input", "output": "output", "system": "system"}

# Default role mapping (source spelling -> canonical role). A config's `roles:` extends it (Axolotl replaces
# its defaults, and an unmapped role then reaches the chat template as-is, which most templates reject or
# silently mis-render; ftui keeps the defaults so a partial mapping cannot drop tool turns).
# Tool calls (`function_call`) are assistant turns and observations are tool turns, as in LLaMA-Factory,
# which trains function_call turns like assistant replies; `roles_to_train` decides training by canonical role.
DEFAULT_ROLES: dict[str, str] = {
    "system": "system",
    "human": "user",
    "user": "user",
    "gpt": "assistant",
    "assistant": "assistant",
    "model": "assistant",
    "bot": "assistant",
    "function_call": "assistant",
    "tool_call": "assistant",
    "observation": "tool",
    "tool": "tool",
    "function": "tool",
    "ipython": "tool",
    "prompter": "user",  # OpenAssistant (legacy sharegpt.load_guanaco)
}

_CHAT_KEYS = ("conversations", "messages")
_DETECT_ROWS = 20


@dataclass(frozen=True)
class FormatSpec:
    """How to read the rows of one dataset."""

    format: str
    detected: bool
    field_messages: str = "messages"
    role_key: str = "role"
    content_key: str = "content"
    roles: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_ROLES))
    field_system: str = "system"
    field_tools: str = "tools"
    training_key: str | None = None
    text_field: str = "text"
    alpaca_fields: dict[str, str] = field(default_factory=lambda: dict(_ALPACA))
    # Axolotl's instruction types: part -> format string over row fields ("{question}", "{input?}" optional)
    instruct_fields: dict[str, str] | None = None
    drop_system_message: bool = False


def _chat_shape(messages: Any) -> str | None:
    """'sharegpt' for from/value turns, 'messages' for role/content turns, None when it cannot tell."""
    if not isinstance(messages, list):
        return None
    for turn in messages[:4]:
        if isinstance(turn, dict):
            if "from" in turn or "value" in turn:
                return "sharegpt"
            if "role" in turn or "content" in turn:
                return "messages"
    return None


def detect_row_format(row: Any, settings: DatasetSettings | None = None) -> str | None:
    """Guess one row's format from its keys; None if it looks like none of them."""
    if not isinstance(row, dict):
        return None
    if "input_ids" in row:
        return "pretokenized"
    if "segments" in row:
        return "input_output"
    chat_keys = _CHAT_KEYS
    if settings is not None and settings.field_messages:
        chat_keys = (settings.field_messages, *_CHAT_KEYS)
    for key in chat_keys:
        if key in row:
            shape = _chat_shape(row[key])
            if shape:
                return shape
            return "sharegpt" if key == "conversations" else "messages"
    if "instruction" in row and ("output" in row or "response" in row):
        return "alpaca"
    text_field = settings.field if settings is not None and settings.field else "text"
    if text_field in row:
        return "completion"
    return None


def detect_format(rows: Iterable[Any], settings: DatasetSettings | None = None) -> str | None:
    """The most common guess over the first rows (so one odd first row does not decide)."""
    guesses = Counter()
    for i, row in enumerate(rows):
        if i >= _DETECT_ROWS:
            break
        guess = detect_row_format(row, settings)
        if guess:
            guesses[guess] += 1
    if not guesses:
        return None
    return guesses.most_common(1)[0][0]


def _supported_types() -> str:
    return ", ".join(["alpaca", "chat_template", *[f for f in FORMATS if f not in ("alpaca", "sharegpt")]])


def _custom_alpaca_fields(custom: dict[str, str], base: dict[str, str]) -> dict[str, str]:
    """Axolotl's `field_instruction`/`field_input`/`field_output`/`field_system` over the type's own keys."""
    return {part: custom.get(f"field_{part}", key) for part, key in base.items()}


def resolve_format(settings: DatasetSettings, first_rows: list[Any], where: str) -> FormatSpec:
    """Turn `type:` (or, without it, the first rows) into a `FormatSpec`; UserError when neither says."""
    from ftui.core.config.choices import LEGACY_SHAREGPT_TYPES
    from ftui.core.templates.instruct import instruct_type, user_defined

    type_name = settings.type
    detected = False
    alpaca_fields = dict(_ALPACA)
    instruct_fields = None
    if type_name is None and settings.custom_fields:
        fmt = "alpaca"
        instruct_fields = user_defined(settings.custom_fields)[0].fields  # Axolotl's `type:` mapping
    elif type_name is None:
        guess = detect_format(first_rows, settings)
        if guess is None:
            keys = _first_keys(first_rows)
            raise DataError(
                f"cannot tell the format of dataset '{where}'"
                + (f": the first row has keys {keys}" if keys else ": its first rows are not JSON objects"),
                f"set `type:` on this dataset to one of: {_supported_types()}",
            )
        fmt, detected = guess, True
    elif type_name in LEGACY_SHAREGPT_TYPES:
        return _legacy_sharegpt_spec(type_name, settings, first_rows)
    elif type_name == "alpaca":
        fmt = "alpaca"
    elif (kind := instruct_type(type_name)) is not None:
        fmt, instruct_fields = "alpaca", kind.fields
    elif type_name in TYPE_ALIASES:
        fmt = TYPE_ALIASES[type_name]
    else:
        raise DataError(
            f"dataset '{where}': type '{type_name}' is not supported",
            f"use one of: {_supported_types()} (or leave `type:` out to detect it from the rows)",
        )
    if fmt == "alpaca" and settings.custom_fields and instruct_fields is None:
        alpaca_fields = _custom_alpaca_fields(settings.custom_fields, alpaca_fields)
    if fmt == "chat":
        fmt = _chat_format(settings, first_rows)
    spec = _build_spec(fmt, detected, settings, alpaca_fields, _chat_key(first_rows))
    return replace(spec, instruct_fields=instruct_fields) if instruct_fields else spec


def _legacy_sharegpt_spec(type_name: str, settings: DatasetSettings, rows: list[Any]) -> FormatSpec:
    """Legacy ShareGPT rows as Axolotl read them: turns under `conversations` (ultrachat: `messages`), the
    role under `from` or `role`, the text under `value`, `text` or `content`; no system column."""
    key = settings.field_messages or (
        "messages" if type_name == "sharegpt.load_ultrachat" else "conversations"
    )
    role_key, content_key = "from", "value"
    for row in rows[:_DETECT_ROWS]:
        turns = row.get(key) if isinstance(row, dict) else None
        if isinstance(turns, list) and turns and isinstance(turns[0], dict):
            first = turns[0]
            role_key = "role" if "role" in first else "from"
            content_key = "text" if "text" in first else "content" if "content" in first else "value"
            break
    plain = DatasetSettings(path=settings.path, field_messages=key)  # `roles:` there means input/output roles
    spec = _build_spec("sharegpt", False, plain, dict(_ALPACA), key)
    return replace(spec, role_key=role_key, content_key=content_key, field_system="\0no-system-column")


def _chat_format(settings: DatasetSettings, first_rows: list[Any]) -> str:
    """`chat_template` rows: sharegpt when the mapping or the rows say from/value, else messages."""
    if settings.message_property_mappings.get("role") == "from":
        return "sharegpt"
    if settings.message_property_mappings.get("role"):
        return "messages"
    guess = detect_format(first_rows, settings)
    return guess if guess in ("sharegpt", "messages") else "messages"


def _chat_key(rows: list[Any]) -> str | None:
    """Which of `conversations` / `messages` the rows keep their turns in (either may hold either shape)."""
    for row in rows[:_DETECT_ROWS]:
        if isinstance(row, dict):
            for key in _CHAT_KEYS:
                if key in row:
                    return key
    return None


def _build_spec(
    fmt: str,
    detected: bool,
    settings: DatasetSettings,
    alpaca_fields: dict[str, str],
    chat_key: str | None = None,
) -> FormatSpec:
    roles = dict(DEFAULT_ROLES)
    for canonical, sources in settings.roles.items():
        if canonical not in ROLES:
            raise DataError(
                f"dataset '{settings.path}': roles: '{canonical}' is not a role ftui knows",
                f"map source roles onto one of {', '.join(ROLES)}, e.g. `roles: {{user: [human], assistant: [gpt]}}`",
            )
        for source in sources:
            roles[source] = canonical
    mappings = settings.message_property_mappings
    if fmt == "sharegpt":
        default_field, role_key, content_key = "conversations", "from", "value"
    else:
        default_field, role_key, content_key = "messages", "role", "content"
    return FormatSpec(
        format=fmt,
        detected=detected,
        field_messages=settings.field_messages or chat_key or default_field,
        role_key=mappings.get("role", role_key),
        content_key=mappings.get("content", content_key),
        roles=roles,
        field_system=settings.field_system or "system",
        field_tools=settings.field_tools or "tools",
        training_key=settings.message_field_training,
        text_field=settings.field or "text",
        alpaca_fields=alpaca_fields,
        drop_system_message=settings.drop_system_message,
    )


def _first_keys(rows: list[Any]) -> list[str] | None:
    for row in rows:
        if isinstance(row, dict):
            return sorted(str(k) for k in row)[:12]
    return None
