"""The Settings step's fields as data: key, widget kind, choices, limits and a one-line help each.

Parsing and checking a typed value is pure (`parse_value`), so the step only wires widgets to this table.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from ftui.tui.wizard.backend import Backend

Kind = Literal["int", "float", "text", "select", "bool"]


@dataclass(frozen=True)
class FieldSpec:
    key: str  # Axolotl key, or a wizard pseudo-key (adapter_kind, quantization, report)
    label: str
    kind: Kind
    help: str
    choices: tuple[tuple[str, str], ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    optional: bool = False  # empty input removes the key
    section: str = ""
    vocabulary: str = ""  # a list in core.config.choices to take the choices from (read when first shown)

    def options(self, backend: Backend) -> tuple[tuple[str, str], ...]:
        if not self.vocabulary:
            return self.choices
        return tuple((v, v) for v in backend.choices(self.vocabulary))


METHOD_CHOICES: tuple[tuple[str, str], ...] = (
    ("SFT (supervised)", "sft"), ("DPO", "dpo"), ("IPO", "ipo"), ("SimPO", "simpo"), ("ORPO", "orpo"), ("KTO", "kto"),
)  # fmt: skip

FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("rl_method", "Method", "select", "SFT trains on answers; DPO/IPO/SimPO/ORPO on chosen vs rejected "
              "pairs, KTO on good/bad completions (rl:, docs/preference.md)", METHOD_CHOICES, section="Method"),
    FieldSpec("rl_beta", "Beta", "float", "DPO/IPO/KTO: how far from the reference (0.1); SimPO: reward "
              "scale; ORPO: odds-ratio weight (empty: TRL's 0.1)", minimum=1e-6, maximum=1e3, optional=True,
              section="Method"),
    FieldSpec("simpo_gamma", "SimPO gamma", "float", "target reward margin (empty: 0.5)", minimum=-1e3,
              maximum=1e3, optional=True, section="Method"),
    FieldSpec("cpo_alpha", "SimPO NLL weight", "float", "weight of the NLL term (cpo_alpha; 0 = pure SimPO, "
              "empty: 1.0)", minimum=0.0, maximum=1e3, optional=True, section="Method"),
    FieldSpec("kto_desirable_weight", "KTO good weight", "float", "weight of desirable completions (empty: 1)",
              minimum=1e-6, maximum=1e3, optional=True, section="Method"),
    FieldSpec("kto_undesirable_weight", "KTO bad weight", "float", "weight of undesirable completions "
              "(empty: 1)", minimum=1e-6, maximum=1e3, optional=True, section="Method"),
    FieldSpec("max_prompt_len", "Max prompt length", "int", "prompts longer than this keep their last tokens "
              "(empty: only sequence length limits them)", minimum=1, maximum=1048576, optional=True,
              section="Method"),
    FieldSpec("precompute_ref_log_probs", "Precompute reference", "bool", "full fine-tune: compute the "
              "reference log-probs once instead of keeping a second model copy", section="Method"),
    FieldSpec("adapter_kind", "Adapter", "select", "LoRA trains small adapters; QLoRA does so on a 4-bit base; "
              "full trains every weight (most memory)", (("LoRA", "lora"), ("QLoRA", "qlora"), ("full", "full")),
              section="Adapter"),
    FieldSpec("lora_r", "LoRA rank r", "int", "rank of the adapter matrices: 8-64 is typical; higher = more "
              "capacity and memory", minimum=1, maximum=4096, section="Adapter"),
    FieldSpec("lora_alpha", "LoRA alpha", "int", "scaling of the adapter update; 2 x r is the usual choice "
              "(follows r until you change it)", minimum=1, maximum=65536, section="Adapter"),
    FieldSpec("lora_dropout", "LoRA dropout", "float", "dropout on the adapter input, 0-0.1 is typical",
              minimum=0.0, maximum=0.99, section="Adapter"),
    FieldSpec("quantization", "Quantization", "select", "load the base weights in 8 or 4 bit to save memory "
              "(4-bit is required for QLoRA; needs a CUDA GPU)", (("none", "none"), ("8-bit", "8bit"),
              ("4-bit", "4bit")), section="Adapter"),
    FieldSpec("learning_rate", "Learning rate", "float", "peak learning rate: ~2e-4 for LoRA, ~1e-5 for a "
              "full fine-tune", minimum=1e-9, maximum=1.0, section="Optimisation"),
    FieldSpec("lr_scheduler", "Scheduler", "select", "how the learning rate changes after warmup",
              vocabulary="LR_SCHEDULERS", section="Optimisation"),
    FieldSpec("warmup_steps", "Warmup steps", "int", "steps of linear warmup from 0 to the learning rate",
              minimum=0, maximum=1e7, optional=True, section="Optimisation"),
    FieldSpec("num_epochs", "Epochs", "float", "passes over the data (ignored when max steps is set)",
              minimum=0.01, maximum=1e4, section="Optimisation"),
    FieldSpec("max_steps", "Max steps", "int", "stop after this many optimizer steps (empty: use epochs)",
              minimum=1, maximum=1e9, optional=True, section="Optimisation"),
    FieldSpec("optimizer", "Optimizer", "select", "adamw_torch is the default; 8-bit/paged variants save "
              "optimizer memory (bitsandbytes, GPU)", vocabulary="OPTIMIZERS", section="Optimisation"),
    FieldSpec("weight_decay", "Weight decay", "float", "L2 penalty on the weights, 0-0.1", minimum=0.0,
              maximum=1.0, optional=True, section="Optimisation"),
    FieldSpec("micro_batch_size", "Micro batch", "int", "sequences per forward pass per GPU: the main "
              "memory knob after sequence length", minimum=1, maximum=4096, section="Batch"),
    FieldSpec("gradient_accumulation_steps", "Grad accumulation", "int", "micro batches per optimizer step; "
              "raises the effective batch without memory", minimum=1, maximum=4096, section="Batch"),
    FieldSpec("sequence_len", "Sequence length", "int", "tokens per sequence; longer examples are dropped "
              "(or truncated, see excess_length_strategy)", minimum=16, maximum=1048576, section="Batch"),
    FieldSpec("sample_packing", "Sample packing", "bool", "pack several short examples into one sequence "
              "(faster on short data; examples cannot see each other)", section="Batch"),
    FieldSpec("gradient_checkpointing", "Grad checkpointing", "bool", "recompute activations in the backward "
              "pass: much less memory for ~30% more time", section="Batch"),
    FieldSpec("precision", "Precision", "select", "bf16 on Ampere+ GPUs (auto picks it when supported); fp16 on "
              "older GPUs; fp32 on CPU", (("auto", "auto"), ("bf16", "bf16"), ("fp16", "fp16"),
              ("fp32", "fp32")), section="Batch"),
    FieldSpec("val_set_size", "Eval split", "float", "share of rows held out for evaluation (0 = no eval)",
              minimum=0.0, maximum=0.9, section="Eval and saving"),
    FieldSpec("evals_per_epoch", "Evals per epoch", "int", "how often to evaluate (needs an eval split)",
              minimum=0, maximum=1e4, optional=True, section="Eval and saving"),
    FieldSpec("saves_per_epoch", "Saves per epoch", "int", "checkpoints per epoch (a stopped run resumes "
              "from the last one)", minimum=0, maximum=1e4, optional=True, section="Eval and saving"),
    FieldSpec("save_total_limit", "Keep checkpoints", "int", "keep only the newest N checkpoints (empty: all)",
              minimum=1, maximum=1e4, optional=True, section="Eval and saving"),
    FieldSpec("loss_watchdog_threshold", "Watchdog loss", "float", "stop when the loss stays above this (NaN "
              "and inf always stop the run)", minimum=0.0, maximum=1e6, optional=True, section="Eval and saving"),
    FieldSpec("loss_watchdog_patience", "Watchdog patience", "int", "steps above the threshold before "
              "stopping", minimum=1, maximum=1e6, optional=True, section="Eval and saving"),
    FieldSpec("seed", "Seed", "int", "random seed for data order, initialisation and dropout", minimum=0,
              maximum=2**32 - 1, section="Run"),
    FieldSpec("output_dir", "Output dir", "text", "where checkpoints, the adapter, logs and events.jsonl go",
              section="Run"),
    FieldSpec("report", "Report to", "select", "send metrics to a tracker as well, through transformers' "
              "integration (ftui itself sends nothing anywhere; each is an optional extra, e.g. ftui[wandb])",
              (("none", "none"), ("wandb", "wandb"), ("tensorboard", "tensorboard"), ("mlflow", "mlflow"),
               ("trackio", "trackio"), ("comet_ml", "comet_ml")),
              section="Run"),
)  # fmt: skip

FIELD_BY_KEY = {spec.key: spec for spec in FIELDS}


def parse_value(spec: FieldSpec, text: str) -> tuple[Any, str | None]:
    """Turn an input's text into the config value; returns (value, reason it is invalid or None)."""
    text = text.strip()
    if not text:
        return (None, None) if spec.optional else (None, "required")
    if spec.kind == "text":
        return text, None
    try:
        value: Any = int(text) if spec.kind == "int" else float(text)
    except ValueError:
        kind = "a whole number" if spec.kind == "int" else "a number (e.g. 0.0002 or 2e-4)"
        return None, f"must be {kind}"
    if spec.minimum is not None and value < spec.minimum:
        return None, f"must be at least {spec.minimum:g}"
    if spec.maximum is not None and value > spec.maximum:
        return None, f"must be at most {spec.maximum:g}"
    return value, None


def format_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value != 0 and (abs(value) < 1e-3 or abs(value) >= 1e6):
        return f"{value:g}"
    return str(value)


# --- pseudo-keys: one control that stands for several config keys ---------------------------------------------
def get_pseudo(values: dict[str, Any], key: str, backend: Backend | None = None) -> Any:
    if key == "rl_method":
        return values.get("rl") or "sft"
    if key == "adapter_kind":
        return values.get("adapter") or "full"
    if key == "quantization":
        return "4bit" if values.get("load_in_4bit") else "8bit" if values.get("load_in_8bit") else "none"
    if key == "precision":
        if values.get("fp16"):
            return "fp16"
        bf16 = values.get("bf16", "auto")
        return "auto" if bf16 == "auto" else "bf16" if bf16 else "fp32"
    if key == "report":  # the first tracker core's rule picks (report_to, else Axolotl's use_/project keys)
        from ftui.tui.wizard.backend import Backend

        targets = (backend or Backend()).report_targets(values)
        return targets[0] if targets else "none"
    return values.get(key)


def set_pseudo(values: dict[str, Any], key: str, value: Any) -> None:
    """Write a control's value into the config keys it stands for (removing keys that no longer apply)."""
    if key == "rl_method":
        if value == "sft":
            values.pop("rl", None)
        else:
            values["rl"] = value
    elif key == "adapter_kind":
        if value == "full":
            values.pop("adapter", None)
        else:
            values["adapter"] = value
        if value == "qlora":
            set_pseudo(values, "quantization", "4bit")
    elif key == "quantization":
        _set_flag(values, "load_in_4bit", value == "4bit")
        _set_flag(values, "load_in_8bit", value == "8bit")
        if value != "4bit" and values.get("adapter") == "qlora":
            values["adapter"] = "lora"
    elif key == "precision":
        values["bf16"] = {"auto": "auto", "bf16": True}.get(value, False)
        _set_flag(values, "fp16", value == "fp16")
    elif key == "report":
        values["report_to"] = value
    elif value is None:
        values.pop(key, None)
    else:
        values[key] = value


def _set_flag(values: dict[str, Any], key: str, on: bool) -> None:
    """True flags are written; false ones removed, so the YAML only says what is switched on."""
    if on:
        values[key] = True
    else:
        values.pop(key, None)
