"""The typed config: Axolotl's key names, types and defaults, plus a few documented ftui extensions.

Field-level checks live here (types, ranges, known choices). Rules that relate several fields live in
`rules.py`; they run when a model is built directly, and the YAML loader runs them itself so each problem
can be reported with its line (see loader.py). docs/config.md is the reference for every key.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from ftui.core.config.choices import (
    AXOLOTL_LR_SCHEDULERS,
    LR_SCHEDULERS,
    attention_implementations,
    attention_short_forms,
    optimizer_names,
    resolve_attention,
)
from ftui.core.config.secrets import is_secret
from ftui.core.config.sections import (
    DatasetConfig,
    DatasetTypeFormat,
    PretrainingDatasetConfig,
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
    "PretrainingDatasetConfig",
    "SpecialTokensConfig",
    "canonical_chat_template",
]

# Validation context flag: the loader checks cross-field rules itself, to report them with YAML lines.
SKIP_RULES = "ftui_skip_rules"

AdapterKind = Literal["lora", "qlora", "full"]


# transformers' integration names ftui passes on (core/tracking.py says what each needs).
ReportTarget = Literal["none", "wandb", "tensorboard", "mlflow", "trackio", "comet_ml"]
HubStrategy = Literal["end", "every_save", "checkpoint", "all_checkpoints"]  # transformers' names


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
    adapter: Literal["lora", "qlora", "llama-adapter"] | None = None  # llama-adapter: opens, not trained
    lora_r: int = Field(8, gt=0)
    lora_alpha: int = Field(16, gt=0)
    lora_dropout: float = Field(0.0, ge=0.0, lt=1.0)
    lora_target_modules: list[str] | None = None
    lora_target_linear: bool | None = None
    lora_model_dir: str | None = None
    lora_modules_to_save: list[str] | None = None

    # --- data --------------------------------------------------------------------------------------------
    # Required unless pretraining_dataset is given (rules.py), as in Axolotl.
    datasets: list[DatasetConfig] = Field(default_factory=list)
    test_datasets: list[DatasetConfig] | None = None  # the eval set, instead of a val_set_size split
    pretraining_dataset: list[PretrainingDatasetConfig] | None = None  # raw text, read as completion rows
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
    eot_tokens: list[str] | None = None  # end-of-turn tokens for train_on_eot (default: the EOS token)
    default_system_message: str | None = None  # legacy ShareGPT chatml/llama3 conversations' system text

    # --- training ----------------------------------------------------------------------------------------
    output_dir: str = "./model-out"
    micro_batch_size: int = Field(1, ge=1)
    eval_batch_size: int | None = Field(None, ge=1)
    gradient_accumulation_steps: int = Field(1, ge=1)
    batch_size: int | None = Field(None, ge=1)  # Axolotl: gradient_accumulation_steps = batch_size / micro
    num_epochs: float = Field(1.0, gt=0)
    max_steps: int | None = Field(None, ge=1)
    optimizer: str = "adamw_torch"
    lr_scheduler: str = "cosine"
    learning_rate: float = Field(0.0002, gt=0)
    warmup_steps: int | float | None = Field(None, ge=0)  # a float < 1 is a fraction of the run (HF)
    warmup_ratio: float | None = Field(None, ge=0.0, lt=1.0)
    weight_decay: float = Field(0.0, ge=0.0)
    max_grad_norm: float = Field(1.0, ge=0.0)
    adam_beta1: float = Field(0.9, ge=0.0, lt=1.0)
    adam_beta2: float = Field(0.999, ge=0.0, lt=1.0)
    adam_epsilon: float = Field(1e-8, gt=0.0)
    bf16: bool | Literal["auto"] = "auto"
    fp16: bool | None = None  # None: decided by bf16 (auto picks fp16 where bf16 is unsupported)
    tf32: bool | Literal["auto"] | None = None  # None/auto: on where the GPU supports it
    gradient_checkpointing: bool | Literal["offload", "offload_disk"] = False
    attn_implementation: str | None = None
    # Axolotl's older attention flags; `attention` reads them when attn_implementation is not set.
    flash_attention: bool = False
    sdp_attention: bool = False
    eager_attention: bool | None = None
    flex_attention: bool | None = None
    xformers_attention: bool | None = None
    sage_attention: bool | None = None
    seed: int = 42
    # Fused linear cross-entropy (no [tokens x vocab] logits) and Liger kernels: core/train/kernels.py.
    cut_cross_entropy: bool | None = None
    liger_fused_linear_cross_entropy: bool | None = None
    chunked_cross_entropy: bool | None = None
    chunked_cross_entropy_num_chunks: int | None = Field(None, ge=1)
    liger_rope: bool | None = None
    liger_rms_norm: bool | None = None
    liger_glu_activation: bool | None = None
    liger_swiglu: bool | None = None  # Axolotl's older name of liger_glu_activation
    liger_layer_norm: bool | None = None

    # --- logging, eval, checkpoints ----------------------------------------------------------------------
    logging_steps: int | float | None = Field(None, gt=0)  # a float < 1 is a fraction of the run (HF)
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
    wandb_mode: Literal["online", "offline", "disabled", "shared"] | None = None
    use_wandb: bool | None = None
    use_tensorboard: bool = False
    use_mlflow: bool | None = None
    mlflow_tracking_uri: str | None = None
    mlflow_experiment_name: str | None = None
    mlflow_run_name: str | None = None
    hf_mlflow_log_artifacts: bool | None = None
    use_comet: bool | None = None
    comet_project_name: str | None = None
    comet_workspace: str | None = None
    use_trackio: bool | None = None
    trackio_project_name: str | None = None
    trackio_run_name: str | None = None
    trackio_space_id: str | None = None
    hub_model_id: str | None = None
    hub_strategy: HubStrategy = "end"
    hub_private_repo: bool | None = None  # transformers' key; None: the account's default visibility
    deepspeed: str | dict[str, Any] | None = None
    fsdp: list[str] | str | None = None
    fsdp_config: dict[str, Any] | None = None
    fsdp_version: int | None = None  # 2: FSDP2 (Axolotl's key; also read from fsdp_config.fsdp_version)
    strict: bool = False
    debug: bool = False
    plugins: list[str] | None = None  # Axolotl integrations; registry.py says what each one means here

    # --- preference tuning (core/preference/methods.py: which key acts with which method) -----------------
    rl: str | None = None  # dpo | ipo | simpo | orpo | kto (Axolotl's grpo, gdpo, ebft: refused by train)
    rl_beta: float | None = Field(None, gt=0)
    dpo_beta: float | None = Field(None, gt=0)  # Axolotl's older name of rl_beta
    orpo_alpha: float | None = Field(None, gt=0)
    simpo_gamma: float | None = None
    cpo_alpha: float | None = Field(None, ge=0)
    dpo_label_smoothing: float | None = Field(None, ge=0.0, lt=0.5)
    rpo_alpha: float | None = Field(None, ge=0)
    dpo_loss_type: list[str] | None = None
    dpo_loss_weights: list[float] | None = None
    dpo_use_weighting: bool | None = None  # WPO-style weighting of the DPO loss (TRL's use_weighting)
    kto_desirable_weight: float | None = Field(None, gt=0)
    kto_undesirable_weight: float | None = Field(None, gt=0)
    precompute_ref_log_probs: bool | None = None
    max_prompt_len: int | None = Field(None, ge=1)

    # --- ftui extensions ---------------------------------------------------------------------------------
    excess_length_strategy: Literal["drop", "truncate"] = "drop"
    # Leave out unusable dataset rows (counted and reported) instead of stopping with the list of them.
    skip_bad_rows: bool = False
    eval_assertions: str | None = None
    # Data curation at preprocess time (docs/quality.md). Axolotl's key drops identical tokenized rows; the
    # others are ftui's: MinHash near duplicates (true, or a similarity threshold) and any audit kinds.
    dataset_exact_deduplication: bool = False
    dataset_near_deduplication: bool | float = False
    dataset_drop: list[str] | None = None
    dataset_quality: dict[str, float] | None = None
    num_processes: int = Field(1, ge=1)  # total across machines, as accelerate counts
    # Multi-node (accelerate's names; `ftui train --nodes/--machine-rank/...` override them).
    num_machines: int = Field(1, ge=1)
    machine_rank: int = Field(0, ge=0)
    main_process_ip: str | None = None
    main_process_port: int | None = Field(None, ge=1, le=65535)
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
        if isinstance(value, str) and value not in ("lora", "qlora", "llama-adapter"):
            raise ValueError(unknown_choice("adapter", value, ("lora", "qlora", "none")))
        return value

    @field_validator("rl", mode="before")
    @classmethod
    def _rl_method(cls, value: Any) -> Any:
        """Axolotl's `rl:` names; empty or false means supervised fine-tuning."""
        from ftui.core.preference.methods import RL_CHOICES

        if value in (None, False, ""):
            return None
        if not isinstance(value, str) or value.strip().lower() not in RL_CHOICES:
            raise ValueError(unknown_choice("rl", str(value), RL_CHOICES))
        return value.strip().lower()

    @field_validator("dpo_loss_type", mode="before")
    @classmethod
    def _dpo_losses(cls, value: Any) -> Any:
        from ftui.core.preference.methods import DPO_LOSS_TYPES

        value = [value] if isinstance(value, str) else value
        for name in value or []:
            if name not in DPO_LOSS_TYPES:
                raise ValueError(unknown_choice("DPO loss type", str(name), DPO_LOSS_TYPES))
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

    @field_validator("dataset_drop", mode="before")
    @classmethod
    def _drop_kinds(cls, value: Any) -> Any:
        from ftui.core.quality.kinds import KINDS, parse_kinds

        if value is None:
            return None
        return parse_kinds(value if isinstance(value, (list, str)) else [str(value)], allowed=tuple(KINDS))

    @field_validator("dataset_near_deduplication")
    @classmethod
    def _near_threshold(cls, value: bool | float) -> bool | float:
        if not isinstance(value, bool) and not 0 < value <= 1:
            raise ValueError(f"must be true/false or a similarity in (0, 1], not {value!r}")
        return value

    @field_validator("dataset_quality")
    @classmethod
    def _quality_settings(cls, value: dict[str, float] | None) -> dict[str, float] | None:
        if value is not None:
            from ftui.core.quality.settings import AuditSettings

            AuditSettings.from_mapping(value)
        return value

    @field_validator("optimizer", "lr_scheduler")
    @classmethod
    def _known_choice(cls, value: str, info: ValidationInfo) -> str:
        if info.field_name == "optimizer":
            choices, listed = optimizer_names(), 16
        else:
            choices, listed = (*LR_SCHEDULERS, *AXOLOTL_LR_SCHEDULERS), None
        if value not in choices:
            raise ValueError(unknown_choice(info.field_name, value, choices, listed=listed))
        return value

    @field_validator("attn_implementation")
    @classmethod
    def _known_attention(cls, value: str | None) -> str | None:
        """Axolotl's canonical names or a hub-kernel path (`org/repo`); short forms are refused as there."""
        if value is None or value in attention_implementations() or "/" in value:
            return value
        short = attention_short_forms()
        if value in short:
            raise ValueError(
                f"{value!r} is not accepted; use the canonical name {short[value]!r} (as Axolotl)"
            )
        raise ValueError(
            unknown_choice("attention backend", value, attention_implementations())
            + ", or a hub-kernel path like kernels-community/flash-attn3"
        )

    @field_validator("plugins", "eot_tokens", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @field_validator("pretraining_dataset", mode="before")
    @classmethod
    def _pretraining_forms(cls, value: Any) -> Any:
        """Old configs give one hub id (`pretraining_dataset: allenai/c4`) or one mapping."""
        if isinstance(value, str):
            return [{"path": value}]
        if isinstance(value, dict):
            return [value]
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
    def _batch_size_means_accumulation(self) -> FtuiConfig:
        """Axolotl's `batch_size` (sequences per optimizer step on one GPU) sets gradient_accumulation_steps
        = batch_size // micro_batch_size when that is not given. The derived value is not written back."""
        if self.batch_size and "gradient_accumulation_steps" not in self.model_fields_set:
            self.gradient_accumulation_steps = max(self.batch_size // self.micro_batch_size, 1)
            self.__pydantic_fields_set__.discard("gradient_accumulation_steps")
        return self

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
        return self.adapter if self.adapter in ("lora", "qlora") else "full"

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
    def attention(self) -> str | None:
        """The attention backend asked for: attn_implementation, else the first of Axolotl's legacy flags
        that is true (xformers, sage, flex, flash, sdp, eager - Axolotl's priority), else None."""
        return resolve_attention(self)

    @property
    def gradient_checkpointing_on(self) -> bool:
        """True for `true` and for Axolotl's `offload` / `offload_disk` (checkpointing plus offloading)."""
        return bool(self.gradient_checkpointing)

    @property
    def training_datasets(self) -> list[DatasetConfig]:
        """`datasets` followed by the `pretraining_dataset` entries read as completion data."""
        extra = [entry.as_dataset() for entry in self.pretraining_dataset or []]
        return [*self.datasets, *extra]

    @property
    def chat_template_name(self) -> str | None:
        """`chat_template` with Axolotl aliases mapped to ftui's template names; like Axolotl, a
        `chat_template_jinja` without `chat_template` means "jinja"."""
        if self.chat_template is None and self.chat_template_jinja:
            return "jinja"
        return canonical_chat_template(self.chat_template)

    @property
    def report_targets(self) -> list[str]:
        """Where metrics go (transformers' integration names); [] means events.jsonl only.
        The rule is `core.tracking.report_targets`."""
        from ftui.core.tracking import report_targets

        return report_targets(self)

    @property
    def extra_keys(self) -> dict[str, Any]:
        """Top-level keys that are not fields of the schema (ignored Axolotl keys and unknown keys)."""
        return dict(self.model_extra or {})

    def to_yaml_dict(self) -> dict[str, Any]:
        """An Axolotl-compatible plain dict: keys that were set (in the file or in code), unknown keys kept,
        secrets removed. Defaults that were never set are left out, so the file stays as short as the user's."""
        return {k: v for k, v in self._dump_set().items() if not is_secret(k, v)}
