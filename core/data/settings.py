"""Read a dataset entry from the config, whatever shape it has.

The config's `DatasetConfig` (pydantic), a plain dict (tests, the wizard) and any object with the same attributes
are all accepted, so this package does not depend on how the schema is written. Only the keys the data layer
acts on are read here.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class DatasetSettings:
    """The data-related keys of one `datasets:` entry, normalized."""

    path: str
    type: str | None = None
    ds_type: str | None = None
    data_files: list[str] | None = None
    split: str | None = None
    name: str | None = None
    field: str | None = None
    field_messages: str | None = None
    field_system: str | None = None
    field_tools: str | None = None
    message_property_mappings: dict[str, str] = dataclasses.field(default_factory=dict)
    message_field_training: str | None = None
    roles: dict[str, list[str]] = dataclasses.field(default_factory=dict)
    # Axolotl's custom alpaca-like prompt: `type: {field_instruction: ..., field_input: ..., field_output: ...}`
    # (or the same field_* keys on the entry itself)
    custom_fields: dict[str, str] = dataclasses.field(default_factory=dict)
    drop_system_message: bool = False
    revision: str | None = None


def _get(entry: Any, key: str) -> Any:
    if isinstance(entry, dict):
        return entry.get(key)
    return getattr(entry, key, None)


def _str_or_none(value: Any) -> str | None:
    if value is None or value == "":
        return None
    return str(value)


def dataset_settings(entry: Any) -> DatasetSettings:
    """Build `DatasetSettings` from a DatasetConfig, a dict or an object with those attributes."""
    if isinstance(entry, DatasetSettings):
        return entry
    raw_type = _get(entry, "type")
    custom: dict[str, str] = {}
    if hasattr(raw_type, "model_dump"):  # a pydantic sub-model for the custom prompt format
        raw_type = raw_type.model_dump(exclude_none=True)
    if isinstance(raw_type, dict):
        custom = {str(k): str(v) for k, v in raw_type.items() if v is not None}
        raw_type = None
    for key in ("field_instruction", "field_input", "field_output"):
        if _get(entry, key) and key not in custom:
            custom[key] = str(_get(entry, key))
    if custom and _get(entry, "field_system") and "field_system" not in custom:
        custom["field_system"] = str(_get(entry, "field_system"))
    mappings = {str(k): str(v) for k, v in (_get(entry, "message_property_mappings") or {}).items()}
    # Axolotl's deprecated spellings of the same mapping
    if _get(entry, "message_field_role"):
        mappings.setdefault("role", str(_get(entry, "message_field_role")))
    if _get(entry, "message_field_content"):
        mappings.setdefault("content", str(_get(entry, "message_field_content")))
    data_files = _get(entry, "data_files")
    if isinstance(data_files, str):
        data_files = [data_files]
    roles = _get(entry, "roles") or {}
    return DatasetSettings(
        path=str(_get(entry, "path") or ""),
        type=_str_or_none(raw_type),
        ds_type=_str_or_none(_get(entry, "ds_type")),
        data_files=[str(f) for f in data_files] if data_files else None,
        split=_str_or_none(_get(entry, "split")),
        name=_str_or_none(_get(entry, "name")),
        field=_str_or_none(_get(entry, "field")),
        field_messages=_str_or_none(_get(entry, "field_messages")),
        field_system=_str_or_none(_get(entry, "field_system")),
        field_tools=_str_or_none(_get(entry, "field_tools")),
        message_property_mappings=mappings,
        message_field_training=_str_or_none(_get(entry, "message_field_training")),
        roles={
            str(k): [str(s) for s in ([v] if isinstance(v, str) else (v or []))] for k, v in roles.items()
        },
        custom_fields=custom,
        drop_system_message=bool(_get(entry, "drop_system_message")),
        revision=_str_or_none(_get(entry, "revision")),
    )
