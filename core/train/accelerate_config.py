"""The user's accelerate config file (`--accelerate-config FILE`, else the one `accelerate config` writes).

`accelerate launch` fills every flag it was not given from that file (accelerate/commands/launch.py,
`_validate_launch_command`), so a stale default config could quietly change a run. ftui reads the file
first, compares it with the ftui config and decides: the ftui config (and `ftui train` flags) win for
everything the training config says (mixed precision, FSDP vs DeepSpeed, process and machine counts),
the accelerate config fills only what the ftui config leaves open (machine rank, main process address,
gpu ids, rendezvous). One message lists each disagreement and who won; ftui then launches with its own
merged file (`--config_file`), so accelerate reads nothing else.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from ftui.core.errors import UserError

# What `ftui train` takes from the user's file when the ftui config and flags leave it open.
MACHINE_KEYS = (
    "num_processes", "num_machines", "machine_rank", "main_process_ip", "main_process_port",
    "gpu_ids", "rdzv_backend", "same_network",
)  # fmt: skip
DISTRIBUTED = {
    "NO": "single",
    "MULTI_GPU": "ddp",
    "MULTI_CPU": "ddp",
    "MULTI_XPU": "ddp",
    "MULTI_NPU": "ddp",
    "FSDP": "fsdp",
    "DEEPSPEED": "deepspeed",
}


def default_config_path() -> Path:
    """Where `accelerate config` writes (accelerate/commands/config/config_args.py): $HF_HOME/accelerate,
    HF_HOME defaulting to $XDG_CACHE_HOME/huggingface, that to ~/.cache. JSON only if the YAML is absent."""
    cache = os.environ.get("XDG_CACHE_HOME", os.path.join("~", ".cache"))
    home = os.path.expanduser(os.environ.get("HF_HOME", os.path.join(cache, "huggingface")))
    yaml_file = Path(home) / "accelerate" / "default_config.yaml"
    json_file = Path(home) / "accelerate" / "default_config.json"
    return json_file if json_file.is_file() and not yaml_file.is_file() else yaml_file


def read_accelerate_config(path: str | Path | None) -> tuple[dict[str, Any], Path] | None:
    """(contents, path) of the given file, or of the default one if it exists; None when there is none."""
    explicit = path is not None
    file = Path(path).expanduser() if explicit else default_config_path()
    if not file.is_file():
        if explicit:
            raise UserError(
                f"--accelerate-config {file}: no such file",
                hint="give the file `accelerate config` wrote, or leave the flag out",
            )
        return None
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as err:
        raise UserError(
            f"cannot read accelerate config {file}: {err.strerror}", hint="check the path"
        ) from None
    try:
        if file.suffix == ".json":
            import json

            data = json.loads(text)
        else:
            import yaml

            data = yaml.safe_load(text) or {}
    except ValueError as err:  # yaml.YAMLError and JSONDecodeError are ValueErrors
        raise UserError(f"accelerate config {file} does not parse: {err}", hint="fix or remove it") from None
    if not isinstance(data, dict):
        raise UserError(f"accelerate config {file}: expected a mapping of keys", hint="fix or remove it")
    if data.get("compute_environment", "LOCAL_MACHINE") != "LOCAL_MACHINE":
        raise UserError(
            f"accelerate config {file}: compute_environment {data['compute_environment']} is not supported",
            hint="ftui launches on this machine (LOCAL_MACHINE); SLURM clusters: ftui train --slurm",
        )
    return data, file


def accelerate_mode(data: dict[str, Any]) -> str:
    """The mode: single, ddp, fsdp, deepspeed, or the raw distributed_type ftui does not run."""
    kind = str(data.get("distributed_type", "NO")).upper()
    return DISTRIBUTED.get(kind, kind)


def precision_of_config(config: Any) -> str:
    """What the ftui config trains in, as accelerate's mixed_precision names it (auto: bf16 where the GPU
    has it, else fp16, fp32 on CPU)."""
    bf16, fp16 = getattr(config, "bf16", "auto"), getattr(config, "fp16", None)
    if bf16 is True:
        return "bf16"
    if fp16 is True:
        return "fp16"
    if bf16 is False and fp16 is False:
        return "no"
    if bf16 is False:
        return "fp16"
    return "auto"


def precision_disagreement(data: dict[str, Any], config: Any) -> str | None:
    said = str(data.get("mixed_precision") or "no").lower()
    ours = precision_of_config(config)
    if said == ours or (ours == "auto" and said in ("bf16", "fp16")):
        return None
    shown = {"auto": "bf16: auto", "no": "bf16: false, fp16: false"}.get(ours, f"{ours}: true")
    return (
        f"mixed_precision: {said} (accelerate) vs {shown} (ftui config) -> the ftui config wins: the trainer "
        "takes its precision from the training config and ftui launches accelerate with mixed_precision: no"
    )
