"""Every file name in a run directory (a trainer's OUTPUT_DIR), in one place, and ftui's records read back.

    OUTPUT_DIR/
      events.jsonl          the event stream (docs/events.md), rank 0
      launch.json           pid, command, config, start time: written by core/launch.py when ftui launched it
      launch.log            the trainer's stdout and stderr (ftui launches only)
      config.yml            the resolved config (absolute paths, no secrets)
      estimate.json         the memory estimate made before training
      ftui_run.json         the resolved base model, template, seed: read by chat, merge, export, model card
      accelerate_config.yaml, deepspeed_config.json   what a multi-process launch was given
      ranks/rank-R.json     per-rank heartbeats of multi-process runs (core/train/heartbeat.py)
      checkpoint-N/         complete checkpoints (core/train/checkpoints.py); .tmp-checkpoint-N while saving
      adapter_config.json | config.json + weights, tokenizer files: the final model (Transformers' names)
      merged/               `ftui merge` output, with ftui_merge.json; merge.log is the TUI merge's console
      export/               `ftui export --gguf`: the GGUF file and its Ollama Modelfile
      critiques.jsonl       human verdicts on generations; judgements.jsonl: the judge's (core/quality)
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

EVENTS_FILE = "events.jsonl"
LAUNCH_FILE = "launch.json"
LAUNCH_LOG = "launch.log"
CONFIG_FILE = "config.yml"
CONFIG_JSON_FILE = "config.json"  # the resolved config when ruamel.yaml is missing
CONFIG_COPIES = (CONFIG_FILE, "config.yaml", "ftui_config.yml")  # where a run's config is looked for
ESTIMATE_FILE = "estimate.json"
RUN_INFO_FILE = "ftui_run.json"
ACCELERATE_CONFIG_FILE = "accelerate_config.yaml"
INLINE_DEEPSPEED_FILE = "deepspeed_config.json"
RANKS_DIR = "ranks"
SHARED_CHECK_FILE = ".ftui-shared-check"
CHECKPOINT_PREFIX = "checkpoint-"
TMP_PREFIX = ".tmp-"
TRAINER_STATE_FILE = "trainer_state.json"  # written last by the Trainer: its presence marks a finished save
MERGED_DIR = "merged"
MERGE_INFO_FILE = "ftui_merge.json"
MERGE_LOG = "merge.log"
EXPORT_DIR = "export"  # `ftui export --gguf`: NAME-QUANT.gguf and the Ollama Modelfile
CRITIQUES_FILE = "critiques.jsonl"
JUDGEMENTS_FILE = "judgements.jsonl"
# Transformers' and PEFT's names for a saved model
ADAPTER_CONFIG = "adapter_config.json"
MODEL_CONFIG = "config.json"
TOKENIZER_CONFIG = "tokenizer_config.json"


def heartbeat_name(rank: int | str) -> str:
    """A rank's heartbeat file in RANKS_DIR (`"*"`: the glob of all)."""
    return f"rank-{rank}.json"


def checkpoint_name(step: int) -> str:
    return f"{CHECKPOINT_PREFIX}{step}"


def _json_record(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def read_launch_info(run_dir: str | Path) -> dict[str, Any] | None:
    """`launch.json` written by `ftui.core.launch` (pid, command, config, started), or None."""
    return _json_record(Path(run_dir) / LAUNCH_FILE)


def read_run_info(run_dir: str | Path) -> dict[str, Any]:
    """`ftui_run.json` (the resolved base model and how it was trained), {} when the run has none."""
    path = Path(run_dir) / RUN_INFO_FILE
    if path.exists():
        return json.loads(path.read_text(encoding="utf-8"))
    return {}


def is_run_dir(path: Path) -> bool:
    return (path / EVENTS_FILE).is_file() or (path / LAUNCH_FILE).is_file()


def tokenizer_dir(run_dir: Path, weights: Path) -> Path:
    """Where a run's tokenizer is: the run folder (saved before training), else beside the weights."""
    return run_dir if (run_dir / TOKENIZER_CONFIG).exists() else weights


def model_dir_of(run_dir: str | Path) -> Path:
    """Where a run's final weights are: the run folder itself, or its last checkpoint if it never finished."""
    from ftui.core.errors import UserError
    from ftui.core.train.checkpoints import last_checkpoint

    root = Path(run_dir)
    if (root / ADAPTER_CONFIG).exists() or (root / MODEL_CONFIG).exists():
        return root
    last = last_checkpoint(root)
    if last is not None:
        return last
    raise UserError(
        f"{root} has no trained model (no {ADAPTER_CONFIG}, {MODEL_CONFIG} or {CHECKPOINT_PREFIX}N)",
        hint="pass the output_dir of a run that saved a checkpoint or finished",
    )
