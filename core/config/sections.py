"""Config sections shared by the schema: the base that keeps unknown keys and reads empty keys as
defaults, `special_tokens:`, and one `datasets:` entry (with Axolotl's custom prompt format under `type:`)."""

from __future__ import annotations

from typing import Any, Literal, get_args

from ftui.core.config.choices import CHAT_TEMPLATE_ALIASES, chat_template_names, is_known_chat_template
from ftui.core.config.suggestions import unknown_choice
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ModelWrapValidatorHandler,
    PrivateAttr,
    field_validator,
    model_validator,
)


def check_chat_template(value: str | None) -> str | None:
    if value is None:
        return None
    name = str(value)
    if is_known_chat_template(name):
        return name
    raise ValueError(unknown_choice("chat template", name, chat_template_names(), listed=12))


def canonical_chat_template(name: str | None) -> str | None:
    """The shipped template for a `chat_template` value (ftui/old spellings resolved, fallback prefix kept)."""
    if name is None:
        return None
    return CHAT_TEMPLATE_ALIASES.get(name, name)


def _accepts_none(annotation: Any) -> bool:
    return annotation is None or type(None) in get_args(annotation)


class Section(BaseModel):
    """Base for config sections: keeps keys it does not know (they round-trip on save), and reads an
    empty key (`debug:`) as the key's default, like Axolotl, remembering it so saving writes it empty again."""

    # Numbers where text is expected (`wandb_name: 2024`, `split: 1`) are read as text, as the user meant.
    model_config = ConfigDict(
        extra="allow", protected_namespaces=(), populate_by_name=True, coerce_numbers_to_str=True
    )

    _null_keys: frozenset[str] = PrivateAttr(default_factory=frozenset)

    @model_validator(mode="wrap")
    @classmethod
    def _empty_means_default(cls, data: Any, handler: ModelWrapValidatorHandler[Any]) -> Any:
        nulls = []
        if isinstance(data, dict):
            data = dict(data)
            for key, value in data.items():
                info = cls.model_fields.get(key) if isinstance(key, str) else None
                if (
                    value is None
                    and info is not None
                    and not info.is_required()
                    and not _accepts_none(info.annotation)
                ):
                    data[key] = info.get_default(call_default_factory=True)
                    nulls.append(key)
        model = handler(data)
        if nulls and isinstance(model, Section):
            model._null_keys = frozenset(nulls)
        return model

    def _dump_set(self) -> dict[str, Any]:
        """Keys that were set (plus unknown ones), with keys that were empty in the file empty again
        while they still hold their default."""
        data = self.model_dump(mode="json", exclude_unset=True)
        for key in self._null_keys:
            info = type(self).model_fields[key]
            if key in data and getattr(self, key) == info.get_default(call_default_factory=True):
                data[key] = None
        for key in list(data):
            value = getattr(self, key, None)
            if isinstance(value, Section):
                data[key] = value._dump_set()
            elif isinstance(value, list) and value and all(isinstance(v, Section) for v in value):
                data[key] = [v._dump_set() for v in value]
        return data


class SpecialTokensConfig(Section):
    """`special_tokens:` - tokens to set on the tokenizer (Axolotl names)."""

    bos_token: str | None = None
    eos_token: str | None = None
    pad_token: str | None = None
    unk_token: str | None = None
    additional_special_tokens: list[str] | None = None


class DatasetTypeFormat(Section):
    """A user-defined prompt format given as a mapping under `type:` (Axolotl's custom instruct format)."""

    system_prompt: str | None = None
    system_format: str | None = None
    field_system: str | None = None
    field_instruction: str | None = None
    field_input: str | None = None
    field_output: str | None = None
    format: str | None = None
    no_input_format: str | None = None
    field: str | None = None


class PretrainingDatasetConfig(Section):
    """One entry of `pretraining_dataset:` - raw text rows (Axolotl's streamed completion data)."""

    path: str | None = None
    name: str | None = None
    split: str | None = "train"
    text_column: str | None = "text"
    type: str | None = "pretrain"
    trust_remote_code: bool | None = False
    data_files: str | list[str] | None = None
    skip: int | None = Field(None, ge=0)

    def as_dataset(self) -> DatasetConfig:
        """The same rows as a `completion` dataset entry (every token trained, long texts split)."""
        entry: dict[str, Any] = {"path": self.path or self.name or "", "type": "completion"}
        if self.path and self.name:
            entry["name"] = self.name
        split = self.split or "train"
        if self.skip and "[" not in split:
            split = f"{split}[{self.skip}:]"  # Axolotl skips the first rows of the stream
        for key, value in (
            ("split", split),
            ("field", self.text_column),
            ("data_files", self.data_files),
            ("trust_remote_code", self.trust_remote_code),
        ):
            if value is not None:
                entry[key] = value
        return DatasetConfig.model_validate(entry)


class DatasetConfig(Section):
    """One entry of `datasets:` - where the rows are and how to read them."""

    path: str = Field(min_length=1)
    type: str | DatasetTypeFormat | None = None
    ds_type: Literal["json", "jsonl", "csv", "parquet", "arrow", "text"] | None = None
    data_files: str | list[str] | None = None
    split: str | None = None
    name: str | None = None
    revision: str | None = None
    trust_remote_code: bool = False
    # instruction-style column mappings (Axolotl's `field_*` keys)
    field: str | None = None
    field_system: str | None = None
    field_instruction: str | None = None
    field_input: str | None = None
    field_output: str | None = None
    field_human: str | None = None
    field_model: str | None = None
    # chat data
    field_messages: str | None = None
    # preference data (rl:): the keys holding the preferred and the dispreferred answer
    field_chosen: str | None = None
    field_rejected: str | None = None
    field_tools: str | None = None
    message_property_mappings: dict[str, str] | None = None
    message_field_role: str | None = None
    message_field_content: str | None = None
    message_field_training: str | None = None
    message_field_training_detail: str | None = None
    roles: dict[str, list[str]] | None = None
    roles_to_train: list[str] | None = None
    train_on_eos: Literal["turn", "all", "last", "none"] | None = None
    train_on_eot: Literal["turn", "all", "last", "none"] | None = None
    drop_system_message: bool | None = None
    conversation: str | None = None
    chat_template: str | None = None
    chat_template_jinja: str | None = None
    train_on_inputs: bool | None = None

    @field_validator("type", mode="before")
    @classmethod
    def _type_shape(cls, value: Any) -> Any:
        """A name or a mapping; which names are known is a cross-field rule (rules.py), because preference
        and reward methods (`rl:`, `reward_model:`) have dataset types of their own."""
        if value is None or isinstance(value, dict):
            return value
        if not isinstance(value, str):
            raise ValueError(f"dataset type must be a name or a mapping of fields, not {value!r}")
        return value

    @field_validator("chat_template")
    @classmethod
    def _known_template(cls, value: str | None) -> str | None:
        return check_chat_template(value)

    @field_validator("roles_to_train", mode="before")
    @classmethod
    def _roles_list(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @field_validator("roles", mode="before")
    @classmethod
    def _roles_lists(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {k: ([v] if isinstance(v, str) else v) for k, v in value.items()}
        return value

    @property
    def property_mappings(self) -> dict[str, str]:
        """message_property_mappings with Axolotl's deprecated message_field_role/_content folded in."""
        mappings = dict(self.message_property_mappings or {})
        if self.message_field_role:
            mappings.setdefault("role", self.message_field_role)
        if self.message_field_content:
            mappings.setdefault("content", self.message_field_content)
        return mappings

    @property
    def type_name(self) -> str | None:
        """The dataset type as a name ("custom" for a mapping of fields, None when auto-detected)."""
        if isinstance(self.type, DatasetTypeFormat):
            return "custom"
        return self.type
