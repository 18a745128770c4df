"""The wizard's state: the config being built, as Axolotl-keyed values, plus where it came from.

One plain object owned by the app. Steps read and write `values` (key order kept, unknown keys kept) and
never hold their own copy, so moving between steps, saving and launching always see the same config.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ftui.core.starter import starter_config

STEPS: tuple[str, ...] = ("model", "data", "settings", "review")
STEP_TITLES: dict[str, str] = {"model": "Model", "data": "Data", "settings": "Settings", "review": "Review"}


@dataclass
class WizardState:
    """The config being built. `values` uses Axolotl key names; unknown keys ride along untouched."""

    values: dict[str, Any] = field(default_factory=starter_config)  # core/starter.py
    source_path: Path | None = None
    unknown_keys: list[str] = field(default_factory=list)
    ignored_keys: list[str] = field(default_factory=list)
    document: Any = None  # the loaded file's ruamel document: saving over it keeps comments and key order
    source: Any = (
        None  # the loaded file as read (core.config.yaml_io.YamlRead): untouched, it saves byte for byte
    )
    load_warnings: list[str] = field(default_factory=list)
    gpu_preset: str | None = None  # a GPU_PRESETS name chosen for "what if", else detected GPUs
    browse_root: Path | None = None  # where the Data step's file tree starts (default: the config's folder)

    def get(self, key: str, default: Any = None) -> Any:
        value = self.values.get(key, default)
        return default if value is None else value

    def set(self, key: str, value: Any) -> None:
        """Set a key; `None` removes it so the saved YAML only holds what was chosen."""
        if value is None:
            self.values.pop(key, None)
        else:
            self.values[key] = value

    # --- datasets: the wizard edits the first one; further entries from a loaded config are kept ---------------
    @property
    def dataset(self) -> dict[str, Any]:
        """The first `datasets:` entry ({} when there is none, or when the file has something else there)."""
        datasets = self.values.get("datasets")
        first = datasets[0] if isinstance(datasets, list) and datasets else None
        return first if isinstance(first, dict) else {}

    def set_dataset(self, **changes: Any) -> None:
        datasets = self.values.get("datasets")
        datasets = list(datasets) if isinstance(datasets, list) else []
        first = dict(datasets[0]) if datasets and isinstance(datasets[0], dict) else {}
        if datasets and not isinstance(datasets[0], dict):
            datasets = datasets[1:]  # a bare path where a mapping belongs: replaced by the entry being edited
        for key, value in changes.items():
            if value is None or value == "":
                first.pop(key, None)
            else:
                first[key] = value
        if first:
            datasets[0:1] = [first]
        else:
            datasets = datasets[1:]
        self.values["datasets"] = datasets

    @property
    def base_model(self) -> str:
        return str(self.values.get("base_model") or "")

    @property
    def gpu_count(self) -> int:
        """GPUs to train on: the config's `num_processes`, which `ftui train` hands to `accelerate launch`."""
        try:
            return max(1, int(self.values.get("num_processes") or 1))
        except (TypeError, ValueError):
            return 1  # an invalid value: the Settings step reports it, the estimate assumes one GPU

    @gpu_count.setter
    def gpu_count(self, count: int) -> None:
        """More than one GPU is written as `num_processes`; one removes the key (a single process is the
        default, so a single-GPU config gains no key it did not have)."""
        self.set("num_processes", count if count > 1 else None)

    @property
    def effective_batch(self) -> int:
        """Sequences per optimizer step, by core's rule: micro batch x accumulation x processes."""
        from ftui.core.config.derived import effective_batch

        micro = int(self.get("micro_batch_size", 1) or 1)
        accumulation = int(self.get("gradient_accumulation_steps", 1) or 1)
        return effective_batch(micro, accumulation, max(1, self.gpu_count))
