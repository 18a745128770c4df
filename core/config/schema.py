"""The typed config: Axolotl's key names, types and defaults, plus a few documented ftui extensions.

Field-level checks live here (types, ranges, known choices). Rules that relate several fields live in
`rules.py`; they run when a model is built directly, and the YAML loader runs them itself so each problem
can be reported with its line (see loader.py). docs/config.md is the reference for every key.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal, get_args

from ftui.core.config.choices import (
    CHAT_TEMPLATE_ALIASES,
    CHAT_TEMPLATES,
    DATASET_TYPES,
    LR_SCHEDULERS,
    OPTIMIZERS,
    TOKENIZER_DEFAULT_FALLBACK_PREFIX,
    is_known_dataset_type,
    is_secret_key,
)
from ftui.core.config.suggestions import unknown_choice
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ModelWrapValidatorHandler,
    PrivateAttr,
    ValidationInfo,
    field_validator,
    model_validator,
)

# Validation context flag: the loader checks cross-field rules itself, to report them with YAML lines.
SKIP_RULES = "ftui_skip_rules"

AdapterKind = Literal["lora", "qlora", "full"]


def _check_chat_template(value: str | None) -> str | None:
    if value is None:
        return None
    name = str(value)
    if name in CHAT_TEMPLATES or name in CHAT_TEMPLATE_ALIASES:
        return name
    if name.startswith(TOKENIZER_DEFAULT_FALLBACK_PREFIX):
        fallback = name[len(TOKENIZER_DEFAULT_FALLBACK_PREFIX) :]
        if fallback in CHAT_TEMPLATES or fallback in CHAT_TEMPLATE_ALIASES:
            return name
    raise ValueError(unknown_choice("chat template", name, CHAT_TEMPLATES))


def canonical_chat_template(name: str | None) -> str | None:
    """ftui's template name for a `chat_template` value (Axolotl aliases resolved, fallback prefix kept)."""
    if name is None:
        return None
    return CHAT_TEMPLATE_ALIASES.get(name, name)


def _accepts_none(annotation: Any) -> bool:
    return annotation is None or type(None) in get_args(annotation)


class _Section(BaseModel):
    """Base for config sections: keeps keys it does not know (they round-trip on save), and reads an
    empty key (`debug:`) as the key's default, like Axolotl, remembering it so saving writes it empty again."""

    model_config = ConfigDict(extra="allow", protected_namespaces=(), populate_by_name=True)

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
        if nulls and isinstance(model, _Section):
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
            if isinstance(value, _Section):
                data[key] = value._dump_set()
            elif isinstance(value, list) and value and all(isinstance(v, _Section) for v in value):
                data[key] = [v._dump_set() for v in value]
        return data


class SpecialTokensConfig(_Section):
    """`special_tokens:` - tokens to set on the tokenizer (Axolotl names)."""

    bos_token: str | None = None
    eos_token: str | None = None
    pad_token: str | None = None
    unk_token: str | None = None
    additional_special_tokens: list[str] | None = None


class DatasetTypeFormat(_Section):
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


class DatasetConfig(_Section):
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
    field_tools: str | None = None
    message_property_mappings: dict[str, str] | None = None
    message_field_role: str | None = None
    message_field_content: str | None = None
    message_field_training: str | None = None
    message_field_training_detail: str | None = None
    roles: dict[str, list[str]] | None = None
    roles_to_train: list[str] | None = None
    train_on_eos: Literal["turn", "all", "last"] | None = None
    drop_system_message: bool | None = None
    conversation: str | None = None
    chat_template: str | None = None
    chat_template_jinja: str | None = None
    train_on_inputs: bool | None = None

    @field_validator("type", mode="before")
    @classmethod
    def _known_type(cls, value: Any) -> Any:
        if value is None or isinstance(value, dict):
            return value
        if not isinstance(value, str):
            raise ValueError(f"dataset type must be a name or a mapping of fields, not {value!r}")
        if not is_known_dataset_type(value):
            raise ValueError(unknown_choice("dataset type", value, DATASET_TYPES, listed=7))
        return value

    @field_validator("chat_template")
    @classmethod
    def _known_template(cls, value: str | None) -> str | None:
        return _check_chat_template(value)

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


PositiveInt = int
ReportTarget = Literal["none", "wandb", "tensorboard"]


class FtuiConfig(_Section):
    """The whole config. Built from YAML by `load_config`, or directly (rules run then too)."""

    # --- model -------------------------------------------------------------------------------------------
    base_model: str = Field(min_length=1)
    base_model_config: str | None = None
    tokenizer_config: str | None = None
    tokenizer_type: str | None = None
    model_type: str | None = None
    trust_remote_code: bool = False
    load_in_8bit: bool = False
    load_in_4bit: bool = False

    # --- adapter -----------------------------------------------------------------------------------------
    adapter: Literal["lora", "qlora"] | None = None
    lora_r: int = Field(8, gt=0)
    lora_alpha: int = Field(16, gt=0)
    lora_dropout: float = Field(0.0, ge=0.0, lt=1.0)
    lora_target_modules: list[str] | None = None
    lora_target_linear: bool | None = None
    lora_model_dir: str | None = None
    lora_modules_to_save: list[str] | None = None

    # --- data --------------------------------------------------------------------------------------------
    datasets: list[DatasetConfig]
    chat_template: str | None = None
    chat_template_jinja: str | None = None
    sequence_len: int = Field(512, ge=16)
    sample_packing: bool = False
    pad_to_sequence_len: bool = False
    dataset_prepared_path: str | None = None
    val_set_size: float = 0.0
    train_on_inputs: bool = False
    special_tokens: SpecialTokensConfig | None = None
    tokens: list[str] | None = None

    # --- training ----------------------------------------------------------------------------------------
    output_dir: str = "./model-out"
    micro_batch_size: int = Field(1, ge=1)
    eval_batch_size: int | None = Field(None, ge=1)
    gradient_accumulation_steps: int = Field(1, ge=1)
    num_epochs: float = Field(1.0, gt=0)
    max_steps: int | None = Field(None, ge=1)
    optimizer: str = "adamw_torch"
    lr_scheduler: str = "cosine"
    learning_rate: float = Field(0.0002, gt=0)
    warmup_steps: int | None = Field(None, ge=0)
    warmup_ratio: float | None = Field(None, ge=0.0, lt=1.0)
    weight_decay: float = Field(0.0, ge=0.0)
    max_grad_norm: float = Field(1.0, ge=0.0)
    adam_beta1: float = Field(0.9, ge=0.0, lt=1.0)
    adam_beta2: float = Field(0.999, ge=0.0, lt=1.0)
    adam_epsilon: float = Field(1e-8, gt=0.0)
    bf16: bool | Literal["auto"] = "auto"
    fp16: bool | None = None  # None: decided by bf16 (auto picks fp16 where bf16 is unsupported)
    tf32: bool | Literal["auto"] | None = None  # None/auto: on where the GPU supports it
    gradient_checkpointing: bool = False
    flash_attention: bool = False
    sdp_attention: bool = False
    seed: int = 42

    # --- logging, eval, checkpoints ----------------------------------------------------------------------
    logging_steps: int | None = Field(None, ge=1)
    evals_per_epoch: int | None = Field(None, ge=0)
    eval_steps: int | float | None = Field(None, gt=0)
    saves_per_epoch: int | None = Field(None, ge=0)
    save_steps: int | float | None = Field(None, gt=0)
    save_total_limit: int | None = Field(None, ge=1)
    early_stopping_patience: int | None = Field(None, ge=1)
    loss_watchdog_threshold: float | None = None
    loss_watchdog_patience: int | None = Field(None, ge=1)
    resume_from_checkpoint: str | None = None
    auto_resume_from_checkpoints: bool = False
    eval_table_size: int | None = Field(None, ge=0)
    eval_max_new_tokens: int | None = Field(None, ge=1)

    # --- integrations ------------------------------------------------------------------------------------
    wandb_project: str | None = None
    wandb_entity: str | None = None
    wandb_name: str | None = None
    wandb_watch: str | None = None
    wandb_log_model: str | None = None
    wandb_run_id: str | None = None
    use_tensorboard: bool = False
    hub_model_id: str | None = None
    deepspeed: str | dict[str, Any] | None = None
    fsdp: list[str] | str | None = None
    fsdp_config: dict[str, Any] | None = None
    strict: bool = False
    debug: bool = False

    # --- ftui extensions ---------------------------------------------------------------------------------
    excess_length_strategy: Literal["drop", "truncate"] = "drop"
    # Leave out unusable dataset rows (counted and reported) instead of stopping with the list of them.
    skip_bad_rows: bool = False
    eval_assertions: str | None = None
    num_processes: int = Field(1, ge=1)
    report_to: ReportTarget | list[ReportTarget] | None = None

    # Folder of the YAML file (set by the loader); relative paths in the config are relative to it.
    _base_dir: Path | None = PrivateAttr(default=None)

    # --- field checks ------------------------------------------------------------------------------------
    @field_validator("adapter", mode="before")
    @classmethod
    def _adapter_none(cls, value: Any) -> Any:
        """`adapter:` empty, `none` or `full` all mean a full fine-tune."""
        if value is None or (isinstance(value, str) and value.strip().lower() in ("", "none", "full")):
            return None
        if isinstance(value, str) and value not in ("lora", "qlora"):
            raise ValueError(unknown_choice("adapter", value, ("lora", "qlora", "none")))
        return value

    @field_validator("datasets")
    @classmethod
    def _some_data(cls, value: list[DatasetConfig]) -> list[DatasetConfig]:
        if not value:
            raise ValueError("at least one dataset is needed (a list of entries with `path:`)")
        return value

    @field_validator("val_set_size")
    @classmethod
    def _val_fraction_or_count(cls, value: float) -> float:
        """A fraction in [0, 1) of the rows, or a whole number (>= 1) of rows."""
        if 0 <= value < 1:
            return value
        if value >= 1 and float(value).is_integer():
            return int(value)
        raise ValueError(f"must be a fraction in [0, 1) or a whole number of rows, not {value!r}")

    @field_validator("eval_assertions")
    @classmethod
    def _assertions_ref(cls, value: str | None) -> str | None:
        if value is None:
            return None
        file, sep, func = value.rpartition(":")
        if not sep or not file.endswith(".py") or not func.isidentifier():
            raise ValueError(f"must look like 'path/to/file.py:function_name', not {value!r}")
        return value

    @field_validator("optimizer")
    @classmethod
    def _known_optimizer(cls, value: str) -> str:
        if value not in OPTIMIZERS:
            raise ValueError(unknown_choice("optimizer", value, OPTIMIZERS))
        return value

    @field_validator("lr_scheduler")
    @classmethod
    def _known_scheduler(cls, value: str) -> str:
        if value not in LR_SCHEDULERS:
            raise ValueError(unknown_choice("lr_scheduler", value, LR_SCHEDULERS))
        return value

    @field_validator("chat_template")
    @classmethod
    def _known_template(cls, value: str | None) -> str | None:
        return _check_chat_template(value)

    @field_validator("lora_target_modules", "lora_modules_to_save", "tokens", mode="before")
    @classmethod
    def _str_to_list(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @field_validator("wandb_watch", "wandb_log_model", mode="before")
    @classmethod
    def _bool_as_text(cls, value: Any) -> Any:
        # Axolotl examples write `wandb_log_model: false`; keep the meaning without a type error.
        return None if value is False else value

    @model_validator(mode="after")
    def _cross_field_rules(self, info: ValidationInfo) -> FtuiConfig:
        if info.context and info.context.get(SKIP_RULES):
            return self
        from ftui.core.config.rules import check_rules

        errors = [p for p in check_rules(self) if p.severity == "error"]
        if errors:
            raise ValueError("; ".join(p.text() for p in errors))
        return self

    # --- accessors ---------------------------------------------------------------------------------------
    @property
    def is_lora(self) -> bool:
        """True for LoRA and QLoRA (any adapter training)."""
        return self.adapter in ("lora", "qlora")

    @property
    def is_qlora(self) -> bool:
        return self.adapter == "qlora"

    @property
    def adapter_kind(self) -> AdapterKind:
        """ "lora", "qlora" or "full" (no adapter: every weight is trained)."""
        return self.adapter or "full"

    @property
    def effective_batch_size(self) -> int:
        """Sequences per optimizer step: micro_batch_size x gradient_accumulation_steps x num_processes."""
        return self.micro_batch_size * self.gradient_accumulation_steps * self.num_processes

    @property
    def base_dir(self) -> Path:
        """Folder relative paths are resolved against: the YAML file's folder, else the working directory."""
        return self._base_dir if self._base_dir is not None else Path.cwd()

    @base_dir.setter
    def base_dir(self, value: Path | str | None) -> None:
        self._base_dir = Path(value) if value is not None else None

    def resolve_path(self, value: str | Path) -> Path:
        """A path from the config made absolute against `base_dir` (absolute and `~` paths kept)."""
        path = Path(value).expanduser()
        return path if path.is_absolute() else self.base_dir / path

    @property
    def chat_template_name(self) -> str | None:
        """`chat_template` with Axolotl aliases mapped to ftui's template names; like Axolotl, a
        `chat_template_jinja` without `chat_template` means "jinja"."""
        if self.chat_template is None and self.chat_template_jinja:
            return "jinja"
        return canonical_chat_template(self.chat_template)

    @property
    def report_targets(self) -> list[str]:
        """Where metrics go. `report_to` wins when set; otherwise wandb when `wandb_project` is set,
        plus tensorboard when `use_tensorboard` is true; [] means none."""
        if self.report_to is not None:
            targets = [self.report_to] if isinstance(self.report_to, str) else list(self.report_to)
            return [t for t in targets if t != "none"]
        targets = []
        if self.wandb_project:
            targets.append("wandb")
        if self.use_tensorboard:
            targets.append("tensorboard")
        return targets

    @property
    def extra_keys(self) -> dict[str, Any]:
        """Top-level keys that are not fields of the schema (ignored Axolotl keys and unknown keys)."""
        return dict(self.model_extra or {})

    def to_yaml_dict(self) -> dict[str, Any]:
        """An Axolotl-compatible plain dict: keys that were set (in the file or in code), unknown keys kept,
        secrets removed. Defaults that were never set are left out, so the file stays as short as the user's."""
        return {k: v for k, v in self._dump_set().items() if not is_secret_key(k)}
