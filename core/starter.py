"""The starter config: what a new config holds when `ftui` opens with no file (the wizard reads it here).

It is not the schema's defaults (core/config/schema.py, what a key means when a file leaves it out): it is a
first run that works anywhere, written out so a newcomer sees the knobs. STARTER_CHOICES differ from the
schema on purpose (a larger LoRA, longer sequences, checkpointing on); SCHEMA_DEFAULTS_SHOWN are the schema's
own defaults, spelled out in the new file. They are literals because the wizard builds its state before its
first paint, when the schema is not imported yet; tests/test_config_defaults.py holds them to the schema.
"""

from __future__ import annotations

import copy
from typing import Any

from ftui.core.models.embedded import EMBEDDED_MODEL_ID

STARTER_CHOICES: dict[str, Any] = {
    "base_model": EMBEDDED_MODEL_ID,
    "adapter": "lora",
    "lora_r": 16,
    "lora_alpha": 32,
    "lora_dropout": 0.05,
    "lora_target_linear": True,
    "datasets": [],
    "sequence_len": 2048,
    "micro_batch_size": 2,
    "gradient_accumulation_steps": 4,
    "warmup_steps": 10,
    "gradient_checkpointing": True,
    "output_dir": "./outputs/run",
}

SCHEMA_DEFAULTS_SHOWN: dict[str, Any] = {
    "num_epochs": 1,  # the schema's 1.0, written as 1
    "sample_packing": False,
    "train_on_inputs": False,
    "val_set_size": 0.0,
    "learning_rate": 0.0002,
    "lr_scheduler": "cosine",
    "optimizer": "adamw_torch",
    "bf16": "auto",
    "seed": 42,
}

# The key order of the file the wizard writes for a new config.
_ORDER = (
    "base_model", "adapter", "lora_r", "lora_alpha", "lora_dropout", "lora_target_linear", "datasets",
    "sequence_len", "sample_packing", "train_on_inputs", "val_set_size", "num_epochs", "micro_batch_size",
    "gradient_accumulation_steps", "learning_rate", "lr_scheduler", "warmup_steps", "optimizer",
    "gradient_checkpointing", "bf16", "seed", "output_dir",
)  # fmt: skip


def starter_config() -> dict[str, Any]:
    """A fresh copy of the starter config, in the order its file is written."""
    values = {**STARTER_CHOICES, **SCHEMA_DEFAULTS_SHOWN}
    return {key: copy.deepcopy(values[key]) for key in _ORDER}
