"""Rules that relate several keys (Axolotl's cross-field checks and a few of ftui's own); the data rules live
in data_rules.py, the preference-training ones in core/preference/rules.py.

Each rule yields `Problem`s with the key path to blame; the loader adds YAML lines. Errors stop the run;
warnings are shown and the run goes on. docs/config.md lists the rules.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ftui.core.config.data_rules import data_problems
from ftui.core.config.errors import Problem

if TYPE_CHECKING:
    from ftui.core.config.schema import FtuiConfig


def check_rules(config: FtuiConfig) -> list[Problem]:
    """Every cross-field problem of a config whose single fields are already valid."""
    problems: list[Problem] = []
    problems += data_problems(config)
    problems += _batch(config)
    problems += _attention(config)
    problems += _parallel(config)
    problems += _quantization(config)
    problems += _precision(config)
    problems += _evaluation(config)
    problems += _schedule(config)
    problems += _adapter(config)
    problems += _templates(config)
    from ftui.core.preference.rules import preference_problems

    problems += preference_problems(config)
    return problems


def _batch(c: FtuiConfig) -> list[Problem]:
    out = []
    if c.batch_size and "gradient_accumulation_steps" in c.model_fields_set:
        out.append(
            Problem(
                ("batch_size",), "set only one of gradient_accumulation_steps and batch_size (as Axolotl)"
            )
        )
    elif c.batch_size and "micro_batch_size" not in c.model_fields_set:
        out.append(
            Problem(
                ("batch_size",),
                "needs micro_batch_size: gradient_accumulation_steps is batch_size / micro_batch_size",
            )
        )
    return out


def _attention(c: FtuiConfig) -> list[Problem]:
    from ftui.core.config.choices import legacy_attention_flags

    flags = [f for f in legacy_attention_flags() if getattr(c, f, None)]
    if c.attn_implementation and flags:
        return [
            Problem(
                (flags[0],),
                f"cannot be combined with attn_implementation: {c.attn_implementation}; the old attention "
                "flags are replaced by attn_implementation, keep only that (as Axolotl)",
            )
        ]
    out = []
    if c.gradient_checkpointing in ("offload", "offload_disk"):
        out.append(
            Problem(
                ("gradient_checkpointing",),
                f"{c.gradient_checkpointing}: ftui recomputes activations (gradient checkpointing) but does not "
                "offload them to CPU or disk, so training uses more GPU memory than under Axolotl",
                "warning",
            )
        )
    return out


def _parallel(c: FtuiConfig) -> list[Problem]:
    if c.deepspeed and (c.fsdp or c.fsdp_config):
        key = "fsdp" if c.fsdp else "fsdp_config"
        return [Problem((key,), "deepspeed and fsdp cannot be used together; keep one (as Axolotl)")]
    return []


def _quantization(c: FtuiConfig) -> list[Problem]:
    out = []
    if c.load_in_4bit and c.load_in_8bit:
        out.append(Problem(("load_in_8bit",), "load_in_4bit and load_in_8bit are both true; choose one"))
    if c.adapter == "qlora" and not c.load_in_4bit:
        out.append(Problem(("adapter",), "qlora requires load_in_4bit: true"))
    if c.adapter is None and (c.load_in_4bit or c.load_in_8bit):
        key = "load_in_4bit" if c.load_in_4bit else "load_in_8bit"
        out.append(
            Problem(
                (key,),
                f"{key} without an adapter would fully fine-tune quantized weights, which cannot be trained; "
                "set adapter: qlora (4-bit) or adapter: lora (8-bit), or remove the key",
            )
        )
    return out


def _precision(c: FtuiConfig) -> list[Problem]:
    if c.bf16 is True and c.fp16:
        return [Problem(("fp16",), "bf16 and fp16 are both true; choose one")]
    return []


def _evaluation(c: FtuiConfig) -> list[Problem]:
    out = []
    if c.evals_per_epoch and c.eval_steps:
        out.append(
            Problem(("eval_steps",), "eval_steps and evals_per_epoch are mutually exclusive; keep one")
        )
    if c.saves_per_epoch and c.save_steps:
        out.append(
            Problem(("save_steps",), "save_steps and saves_per_epoch are mutually exclusive; keep one")
        )
    if c.val_set_size == 0 and not c.test_datasets:
        if c.eval_steps:
            out.append(
                Problem(
                    ("eval_steps",), "needs an eval set, but val_set_size is 0; set val_set_size (e.g. 0.05)"
                )
            )
        if c.evals_per_epoch:
            out.append(
                Problem(
                    ("evals_per_epoch",),
                    "val_set_size is 0, so there is no eval set and no evaluation runs",
                    "warning",
                )
            )
    if c.early_stopping_patience is not None:
        if c.val_set_size == 0 and not c.test_datasets:
            out.append(
                Problem(
                    ("early_stopping_patience",),
                    "early stopping needs an eval loss, but val_set_size is 0; set val_set_size (e.g. 0.05)",
                )
            )
        elif not c.eval_steps and not c.evals_per_epoch:
            out.append(
                Problem(
                    ("early_stopping_patience",),
                    "early stopping needs evaluations; set evals_per_epoch or eval_steps",
                )
            )
        elif c.save_steps and c.eval_steps and c.save_steps % c.eval_steps != 0:
            out.append(
                Problem(
                    ("save_steps",),
                    "with early_stopping_patience, save_steps must be a multiple of eval_steps",
                )
            )
    return out


def _schedule(c: FtuiConfig) -> list[Problem]:
    out = []
    if c.warmup_steps and c.warmup_ratio:
        out.append(
            Problem(("warmup_ratio",), "warmup_steps and warmup_ratio are mutually exclusive; keep one")
        )
    if c.max_steps is not None and "num_epochs" in c.model_fields_set:
        out.append(
            Problem(
                ("max_steps",),
                "max_steps is set, so training stops there and num_epochs only shapes the data order",
                "warning",
            )
        )
    if c.loss_watchdog_patience is not None and c.loss_watchdog_threshold is None:
        out.append(
            Problem(("loss_watchdog_patience",), "has no effect without loss_watchdog_threshold", "warning")
        )
    return out


def _adapter(c: FtuiConfig) -> list[Problem]:
    out = []
    if c.lora_target_linear and c.lora_target_modules:
        out.append(
            Problem(
                ("lora_target_modules",),
                "lora_target_linear: true already targets every linear layer; lora_target_modules is added to it",
                "warning",
            )
        )
    if c.adapter is None and c.lora_model_dir:
        out.append(Problem(("lora_model_dir",), "is ignored without an adapter (lora or qlora)", "warning"))
    return out


def _templates(c: FtuiConfig) -> list[Problem]:
    out = []
    if c.chat_template == "jinja" and not c.chat_template_jinja:
        out.append(
            Problem(
                ("chat_template",),
                "chat_template: jinja needs the template text in chat_template_jinja",
            )
        )
    if c.chat_template_jinja and c.chat_template not in (None, "jinja"):
        out.append(
            Problem(
                ("chat_template_jinja",),
                f"is ignored because chat_template is {c.chat_template!r}, not 'jinja'",
                "warning",
            )
        )
    for i, ds in enumerate(c.datasets):
        if ds.chat_template == "jinja" and not (ds.chat_template_jinja or c.chat_template_jinja):
            out.append(
                Problem(("datasets", i, "chat_template"), "chat_template: jinja needs chat_template_jinja")
            )
    return out
