"""The typed config: Axolotl's key names, types and defaults, plus a few documented ftui extensions.

Field-level checks live here (types, ranges, known choices). Rules that relate several fields live in
`rules.py`; they run when a model is built directly, and the YAML loader runs them itself so each problem
can be reported with its line (see loader.py). docs/config.md is the reference for every key.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from ftui.core.config.choices import LR_SCHEDULERS, OPTIMIZERS, is_secret_key
from ftui.core.config.sections import (
    DatasetConfig,
    DatasetTypeFormat,
    Section,
    SpecialTokensConfig,
    canonical_chat_template,
    check_chat_template,
)
from ftui.core.config.suggestions import unknown_choice
from pydantic import Field, PrivateAttr, ValidationInfo, field_validator, model_validator

__all__ = [
    "DatasetConfig",
    "DatasetTypeFormat",
    "FtuiConfig",
    "SpecialTokensConfig",
    "canonical_chat_template",
]

# Validation context flag: the loader checks cross-field rules itself, to report them with YAML lines.
SKIP_RULES = "ftui_skip_rules"

AdapterKind = Literal["lora", "qlora", "full"]


ReportTarget = Literal["none", "wandb", "tensorboard"]


class FtuiConfig(Section):
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

    @field_validator("optimizer", "lr_scheduler")
    @classmethod
    def _known_choice(cls, value: str, info: ValidationInfo) -> str:
        choices = {"optimizer": OPTIMIZERS, "lr_scheduler": LR_SCHEDULERS}[info.field_name]
        if value not in choices:
            raise ValueError(unknown_choice(info.field_name, value, choices))
        return value

    @field_validator("chat_template")
    @classmethod
    def _known_template(cls, value: str | None) -> str | None:
        return check_chat_template(value)

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
