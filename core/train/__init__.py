"""The trainer: `run_training(config)` (transformers Trainer + peft) with events, watchdog and safe checkpoints.

Import `ftui.core.train.runner` for the heavy parts; this package module stays import-light.
"""

from __future__ import annotations

from typing import Any


def run_training(config: Any, **kwargs: Any):
    from ftui.core.train.runner import run_training as _run

    return _run(config, **kwargs)
