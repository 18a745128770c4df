"""Rules that relate several keys (Axolotl's cross-field checks and a few of ftui's own).

Each rule yields `Problem`s with the key path to blame; the loader adds YAML lines. Errors stop the run;
warnings are shown and the run goes on. docs/config.md lists the rules.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ftui.core.config.errors import Problem

if TYPE_CHECKING:
    from ftui.core.config.schema import FtuiConfig


def check_rules(config: FtuiConfig) -> list[Problem]:
    """Every cross-field problem of a config whose single fields are already valid."""
    problems: list[Problem] = []
    problems += _data(config)
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


def _is_set(config: FtuiConfig, key: str) -> bool:
    return key in config.model_fields_set and getattr(config, key) is not None


def _data(c: FtuiConfig) -> list[Problem]:
    out = []
    if not c.datasets and not c.pretraining_dataset:
        out.append(
            Problem(
                ("datasets",),
                "at least one dataset is needed (a list of entries with `path:`), or a pretraining_dataset",
            )
        )
    out += dataset_type_problems(c.model_dump(include={"datasets", "test_datasets"}) | (c.model_extra or {}))
    out += _legacy_sharegpt(c)
    if c.test_datasets and c.val_set_size:
        out.append(
            Problem(
                ("val_set_size",), "use either test_datasets or a val_set_size split, not both (as Axolotl)"
            )
        )
    if c.pretraining_dataset:
        if not c.max_steps:
            out.append(
                Problem(
                    ("pretraining_dataset",),
                    "needs max_steps: the length of streamed data is not known in advance (as Axolotl)",
                )
            )
        if c.val_set_size:
            out.append(
                Problem(
                    ("val_set_size",),
                    "is not supported with pretraining_dataset; give the eval data as test_datasets (as Axolotl)",
                )
            )
    return out


def _legacy_sharegpt(c: FtuiConfig) -> list[Problem]:
    """`type: sharegpt` is Axolotl's legacy ShareGPT: say which FastChat conversation renders it, and
    refuse a conversation name FastChat does not have (Axolotl failed on it when reading the data)."""
    from ftui.core.config.choices import LEGACY_SHAREGPT_TYPES
    from ftui.core.config.suggestions import unknown_choice
    from ftui.core.templates.conversations import conversation_names

    out = []
    for name in ("datasets", "test_datasets"):
        for i, ds in enumerate(getattr(c, name) or []):
            if ds.type not in LEGACY_SHAREGPT_TYPES:
                continue
            chosen = ds.conversation or (
                c.chat_template if ds.type in ("sharegpt", "sharegpt:chat", "sharegpt_simple") else None
            )
            key = "conversation" if ds.conversation else "type"
            if chosen and chosen not in conversation_names():
                where = (name, i, "conversation") if ds.conversation else ("chat_template",)
                out.append(
                    Problem(where, unknown_choice("FastChat conversation", chosen, conversation_names(), listed=10)
                            + " (legacy `type: sharegpt` renders with a FastChat conversation template)")
                )  # fmt: skip
                continue
            out.append(
                Problem(
                    (name, i, key),
                    f"legacy ShareGPT: rendered with the FastChat {chosen or 'vicuna_v1.1'!r} conversation "
                    "template, as Axolotl did until 0.5; for the model's chat template use type: chat_template",
                    "warning",
                )
            )
    return out


def dataset_type_problems(data: dict) -> list[Problem]:
    """Unknown dataset type names (a typo), from plain data: the loader reports them even when other keys
    of the same entry are invalid. Types of a preference/reward method are that method's business."""
    from ftui.core.config.choices import DATASET_TYPES
    from ftui.core.config.classify import dataset_type_status, training_method
    from ftui.core.config.suggestions import unknown_choice

    method = training_method(data)
    out = []
    for name in ("datasets", "test_datasets"):
        entries = data.get(name)
        for i, entry in enumerate(entries if isinstance(entries, list) else []):
            type_name = entry.get("type") if isinstance(entry, dict) else None
            if isinstance(type_name, str) and dataset_type_status(type_name, method) == "unknown":
                choices = _preference_types(method) or DATASET_TYPES
                out.append(
                    Problem((name, i, "type"), unknown_choice("dataset type", type_name, choices, listed=7))
                )
    return out


def _preference_types(method: str | None) -> list[str]:
    from ftui.core.preference.methods import METHODS
    from ftui.core.preference.types import type_names

    name = method[4:] if method and method.startswith("rl: ") else None
    return type_names(name) if name in METHODS else []


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
