"""What ftui will do with a valid config, in a few lines: model, method, data, batches, loss, schedule,
tracking and Hub push. The summary of `ftui check` and (tracking lines) of `ftui train` and the wizard.
"""

from __future__ import annotations

from typing import Any

from ftui.core.errors import UserError


def describe(config: Any) -> list[str]:
    """What ftui will do with a valid config, in a few lines."""
    from ftui.core.config.classify import training_method

    lines = [f"model: {config.base_model}"]
    if config.is_lora:
        quant = " (4-bit base)" if config.load_in_4bit else " (8-bit base)" if config.load_in_8bit else ""
        kind = {"lora": "LoRA", "qlora": "QLoRA"}[config.adapter_kind]
        lines.append(f"method: {kind} r={config.lora_r} alpha={config.lora_alpha}{quant}")
    else:
        lines.append("method: full fine-tune of every weight")
    from ftui.core.preference.methods import preference_settings

    if (pref := preference_settings(config)) is not None:
        numbers = ", ".join(f"{k} {v}" for k, v in pref.as_dict().items() if k != "method")
        lines.append(f"preference: {pref.info.label} ({pref.info.summary}; {numbers})")
    elif (method := training_method({**config.extra_keys, "rl": config.rl})) is not None:
        lines[-1] += f" - but the config asks for {method}, which ftui cannot train yet"
    for i, entry in enumerate(config.training_datasets):
        lines.append(f"data[{i}]: {entry.path} - {_data_plan(config, entry)}")
    lines.append(
        f"batches: {config.micro_batch_size} x {config.gradient_accumulation_steps} accumulation x "
        f"{config.num_processes} process(es) = {config.effective_batch_size} sequences of up to "
        f"{config.sequence_len} tokens per step" + (", packed" if config.sample_packing else "")
    )
    lines += _loss_line(config)
    length = f"{config.max_steps} steps" if config.max_steps else f"{config.num_epochs:g} epoch(s)"
    lines.append(
        f"schedule: {length}, {config.optimizer}, lr {config.learning_rate:g} ({config.lr_scheduler})"
    )
    return lines + tracking_lines(config)


def tracking_lines(config: Any) -> list[str]:
    """Where a run of this config logs (trackers) and pushes (Hub) - for `ftui check` and the wizard's
    Review step."""
    from ftui.core.config.relocate import output_path
    from ftui.core.hub_push import hub_target
    from ftui.core.tracking import tracking_plan

    plan = tracking_plan(config, output_path(config.output_dir))
    if not plan.targets:
        lines = ["tracking: events.jsonl only (no tracker asked for)"]
    else:
        lines = [f"tracking: {line}" for line in plan.describe()]
    target = hub_target(config)
    return lines + [f"hub: pushes to {target.describe()}" if target else "hub: no push (no hub_model_id)"]


def _loss_line(config: Any) -> list[str]:
    """Which loss the fused-loss keys give on this machine (the trainer's own rule, core/train/kernels.py)."""
    from ftui.core.hardware import detect_hardware
    from ftui.core.train.kernels import fused_key, loss_plan

    data = config.model_dump(mode="json", exclude_unset=True)
    if fused_key(data) is None:
        return []
    plan = loss_plan(data, cuda=detect_hardware().has_cuda, preference=bool(data.get("rl")))
    return [f"loss: {plan.loss_impl}" + (f" - {plan.note}" if plan.note else "")]


def _data_plan(config: Any, entry: Any) -> str:
    from ftui.core.config.classify import training_method
    from ftui.core.templates.library import template_from_config

    type_name = entry.type_name or "detected from the rows"
    if getattr(config, "rl", None) in ("dpo", "ipo", "simpo", "orpo", "kto"):
        return f"type {type_name} (preference rows for rl: {config.rl}; `ftui debug` shows them)"
    if (method := training_method({**config.extra_keys, "rl": config.rl})) is not None:
        return f"type {type_name} (data for {method})"
    try:
        template = template_from_config(config, entry)
    except UserError as err:
        return f"type {type_name}; template: {err.message}"
    return f"type {type_name}, rendered with {template.describe()}"
