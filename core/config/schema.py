"""The typed config: Axolotl's key names, types and defaults, plus a few documented ftui extensions.

This file is the one list of keys and their defaults. What one field accepts is checked by field_checks.py;
values derived from several fields (effective batch, resolved paths, ...) are derived.py's. Rules that relate
several fields live in `rules.py`; they run when a model is built directly, and the YAML loader runs them itself
so each problem can be reported with its line (see validate.py). docs/config.md is the reference for every key.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from ftui.core.config import field_checks as checks
from ftui.core.config.derived import AdapterKind, DerivedValues
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
from pydantic import Field, PrivateAttr, ValidationInfo, field_validator, model_validator

__all__ = [
    "AdapterKind",
    "default_of",
    "DatasetConfig",
    "DatasetTypeFormat",
    "FtuiConfig",
    "PretrainingDatasetConfig",
    "SpecialTokensConfig",
    "canonical_chat_template",
]

# Validation context flag: the loader checks cross-field rules itself, to report them with YAML lines.
SKIP_RULES = "ftui_skip_rules"

# transformers' integration names ftui passes on (core/tracking.py says what each needs).
ReportTarget = Literal["none", "wandb", "tensorboard", "mlflow", "trackio", "comet_ml"]
HubStrategy = Literal["end", "every_save", "checkpoint", "all_checkpoints"]  # transformers' names


class FtuiConfig(Section, DerivedValues):
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
    plugins: list[str] | None = None  # Axolotl integrations; plugins.py says what each one means here

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

    # --- field checks (core/config/field_checks.py) -------------------------------------------------------
    _adapter = field_validator("adapter", mode="before")(staticmethod(checks.adapter_choice))
    _rl = field_validator("rl", mode="before")(staticmethod(checks.rl_method))
    _dpo_losses = field_validator("dpo_loss_type", mode="before")(staticmethod(checks.dpo_losses))
    _val_set = field_validator("val_set_size")(staticmethod(checks.val_fraction_or_count))
    _assertions = field_validator("eval_assertions")(staticmethod(checks.assertions_ref))
    _drop = field_validator("dataset_drop", mode="before")(staticmethod(checks.drop_kinds))
    _near = field_validator("dataset_near_deduplication")(staticmethod(checks.near_threshold))
    _quality = field_validator("dataset_quality")(staticmethod(checks.quality_settings))
    _choice = field_validator("optimizer", "lr_scheduler")(staticmethod(checks.known_choice))
    _attention = field_validator("attn_implementation")(staticmethod(checks.known_attention))
    _lists = field_validator(
        "plugins", "eot_tokens", "lora_target_modules", "lora_modules_to_save", "tokens", mode="before"
    )(staticmethod(checks.one_or_many))
    _pretraining = field_validator("pretraining_dataset", mode="before")(
        staticmethod(checks.pretraining_forms)
    )
    _template = field_validator("chat_template")(staticmethod(check_chat_template))
    _as_text = field_validator("wandb_watch", "wandb_log_model", mode="before")(
        staticmethod(checks.bool_as_text)
    )

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

    # --- the file form ------------------------------------------------------------------------------------
    @property
    def extra_keys(self) -> dict[str, Any]:
        """Top-level keys that are not fields of the schema (ignored Axolotl keys and unknown keys)."""
        return dict(self.model_extra or {})

    def to_yaml_dict(self) -> dict[str, Any]:
        """An Axolotl-compatible plain dict: keys that were set (in the file or in code), unknown keys kept,
        secrets removed. Defaults that were never set are left out, so the file stays as short as the user's."""
        return {k: v for k, v in self._dump_set().items() if not is_secret(k, v)}


def default_of(key: str) -> Any:
    """The schema's default for `key`, the one place a default lives (the trainer and estimator read it);
    None for a required key. A key that is not a field is a KeyError."""
    info = FtuiConfig.model_fields[key]
    return None if info.is_required() else info.get_default(call_default_factory=True)


# Keys Axolotl's schema leaves unset (None) and what training does then: Axolotl's documented behaviour, kept
# here beside the schema so the trainer and the docs read one table (docs/config.md "Defaults").
WHEN_UNSET: dict[str, Any] = {
    "lora_target_linear": False,
    "loss_watchdog_patience": 3,  # Axolotl's LossWatchDogCallback: 3 steps
    "eval_table_size": 0,  # no sample table
    "eval_max_new_tokens": 128,  # Axolotl: "Default is 128"
    "logging_steps": 1,  # every step
}


def effective_default(key: str) -> Any:
    """What a run does when the config leaves `key` out: the schema's default, else `WHEN_UNSET`'s."""
    value = default_of(key)
    return WHEN_UNSET.get(key) if value is None else value
