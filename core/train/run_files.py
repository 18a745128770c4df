"""What makes a run reproducible, written into OUTPUT_DIR before training: the resolved config (absolute
paths, no secrets), the tokenizer with the chat template used, the memory estimate, and ftui_run.json
(the resolved base model, read by chat and merge)."""

from __future__ import annotations

import json
from typing import Any

from ftui.core.runs.layout import CONFIG_FILE, CONFIG_JSON_FILE, ESTIMATE_FILE, RUN_INFO_FILE
from ftui.core.train.settings import TrainSettings, config_to_dict, redact


def memory_estimate(config: Any) -> dict[str, Any]:
    """The memory estimator's numbers for this config (for run_started, estimate.json and OOM hints)."""
    from ftui.core.memory import estimate_for_config

    try:
        return estimate_for_config(config).to_dict()
    except Exception as err:  # noqa: BLE001 - an estimate must never block training
        return {"error": f"{type(err).__name__}: {err}"}


def _chat_template_used(config: Any, tokenizer: Any) -> str | None:
    """The Jinja chat template preprocessing rendered the (first) dataset with, if it is a chat template."""
    try:
        from ftui.core.templates.chat_spans import chat_source
        from ftui.core.templates.library import template_from_config
        from ftui.core.templates.tokenizer_info import tokenizer_info

        datasets = getattr(config, "datasets", None) or []
        template = template_from_config(config, datasets[0] if datasets else None)
        if template.kind not in ("chat", "tokenizer"):
            return None
        return chat_source(template, tokenizer_info(tokenizer))
    except Exception:  # noqa: BLE001 - the tokenizer's own template stays
        return None


def absolute_paths(data: dict[str, Any], settings: TrainSettings) -> dict[str, Any]:
    """The saved config must work from any folder (`--resume` from the run dir): make its paths absolute
    (core/config/relocate.py: the one list of path keys), `output_dir` the run's own folder."""
    from ftui.core.config.relocate import rebased

    out = rebased(data, settings.config_dir)
    out["output_dir"] = str(settings.output_path)
    return out


def write_run_files(settings, config, tokenizer, source, estimate, precision, world_size) -> None:
    """What makes a run reproducible: resolved config (no secrets), tokenizer + template, estimate, base model."""
    out = settings.output_path
    resolved = absolute_paths(redact(config_to_dict(config)), settings)
    try:
        from ruamel.yaml import YAML

        yaml = YAML(typ="safe", pure=True)
        yaml.default_flow_style = False
        with open(out / CONFIG_FILE, "w", encoding="utf-8") as f:
            yaml.dump(resolved, f)
    except ImportError:
        (out / CONFIG_JSON_FILE).write_text(json.dumps(resolved, indent=2, default=str))
    template = _chat_template_used(config, tokenizer)
    if template:
        tokenizer.chat_template = template  # chat and merge then use the template the model was trained with
    tokenizer.save_pretrained(out)
    if estimate is not None:
        (out / ESTIMATE_FILE).write_text(json.dumps(estimate, indent=2, default=str))
    info = {
        "base_model": settings.base_model,
        "base_model_path": source.path,
        "base_model_gguf_file": source.gguf_file,
        "base_model_kind": source.kind,
        "adapter": settings.adapter,
        "quantized": settings.is_quantized,
        "chat_template": getattr(tokenizer, "chat_template", None),
        "trust_remote_code": settings.trust_remote_code,
        "seed": settings.seed,
        "world_size": world_size,
        "device": precision.device,
    }
    (out / RUN_INFO_FILE).write_text(json.dumps(info, indent=2))
