"""Helpers for the trainer tests (no tests here): a tiny chat dataset and configs that train in seconds."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent


def write_chat_data(folder: Path, n: int = 24) -> Path:
    rows = [
        {
            "messages": [
                {"role": "user", "content": f"What is {i} plus {i}?"},
                {"role": "assistant", "content": f"{i} plus {i} is {2 * i}."},
            ]
        }
        for i in range(n)
    ]
    path = folder / "data.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def write_config(folder: Path, model_dir: Path, **overrides: Any) -> Path:
    """A tiny LoRA config (YAML is JSON-compatible, so json.dumps writes it)."""
    write_chat_data(folder)
    config: dict[str, Any] = {
        "base_model": str(model_dir),
        "adapter": "lora",
        "lora_r": 4,
        "lora_alpha": 8,
        "lora_dropout": 0.1,
        "lora_target_linear": True,
        "datasets": [{"path": "data.jsonl", "type": "chat_template"}],
        "sequence_len": 64,
        "micro_batch_size": 2,
        "num_epochs": 1,
        "learning_rate": 0.01,
        "lr_scheduler": "linear",
        "warmup_steps": 1,
        "output_dir": str(folder / "out"),
        "seed": 7,
    }
    config.update(overrides)
    path = folder / "config.yml"
    path.write_text(json.dumps(config, indent=2), encoding="utf-8")
    return path


def losses(events: list[dict[str, Any]]) -> dict[int, float]:
    return {e["step"]: e["loss"] for e in events if e["type"] == "step"}


def run_cli(
    args: list[str], cwd: Path, prelude: str = "", timeout: float = 300, stdin: str | None = None
) -> subprocess.CompletedProcess:
    """Run `ftui ...` in a fresh interpreter; `prelude` is Python run first (to patch in a fault)."""
    code = prelude + "\nimport sys\nfrom ftui.tui.cli import main\nsys.exit(main(sys.argv[1:]))\n"
    env = dict(os.environ)
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        input=stdin if stdin is not None else "",
    )
