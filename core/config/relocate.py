"""Which config values are file paths, and how a config keeps naming the same files from another folder.

Relative paths in a config are relative to the config's folder (datasets, `eval_assertions`,
`chat_template_jinja` files, `lora_model_dir`, `deepspeed` JSON, ...); `output_dir` is relative to the
working directory (Axolotl's rule, docs/config.md). A copy saved elsewhere (another folder, the run's
config.yml) gets those paths absolute, so it means the same files wherever it is read from.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

# Top-level keys naming a file or folder that must exist to be read (else: a hub id or a template name).
FILE_KEYS: tuple[str, ...] = (
    "base_model",
    "base_model_config",
    "tokenizer_config",
    "lora_model_dir",
    "deepspeed",
    "chat_template_jinja",
)
# Folders ftui writes to, relative to the config's folder (they need not exist yet).
WRITE_KEYS: tuple[str, ...] = ("dataset_prepared_path",)
DATASET_LISTS: tuple[str, ...] = ("datasets", "test_datasets", "pretraining_dataset")
DATASET_FILE_KEYS: tuple[str, ...] = ("path", "data_files", "chat_template_jinja")
ASSERTION_KEY = "eval_assertions"  # `file.py:function`


def _absolute(value: Any, base: Path, must_exist: bool = True) -> Any:
    if not isinstance(value, str) or not value or "\n" in value or "{" in value:
        return value  # not a path (a Jinja template text, a number, nothing)
    path = Path(value).expanduser()
    if path.is_absolute() or value.startswith("~"):
        return value
    candidate = base / path
    if must_exist and not candidate.exists():
        return value  # a hub id (`org/name`) or a name, not a local file
    return str(candidate.resolve())


def _assertion(value: Any, base: Path) -> Any:
    if not isinstance(value, str) or ":" not in value:
        return _absolute(value, base)
    file_part, func = value.rsplit(":", 1)
    return f"{_absolute(file_part, base)}:{func}"


def _dataset(entry: Any, base: Path) -> Any:
    if not isinstance(entry, dict):
        return entry
    out = dict(entry)
    for key in DATASET_FILE_KEYS:
        value = out.get(key)
        if isinstance(value, list):
            out[key] = [_absolute(v, base) for v in value]
        elif key in out:
            out[key] = _absolute(value, base)
    return out


def rebased(data: dict[str, Any], base: str | Path, cwd: str | Path | None = None) -> dict[str, Any]:
    """A copy of a plain config whose relative paths (relative to `base`, the config's folder) are
    absolute. With `cwd`, `output_dir` (relative to the working directory) is made absolute too."""
    base = Path(base).expanduser().resolve()
    out = copy.deepcopy(data)
    for key in FILE_KEYS:
        if key in out:
            out[key] = _absolute(out[key], base)
    for key in WRITE_KEYS:
        if key in out:
            out[key] = _absolute(out[key], base, must_exist=False)
    if ASSERTION_KEY in out:
        out[ASSERTION_KEY] = _assertion(out[ASSERTION_KEY], base)
    for key in DATASET_LISTS:
        if isinstance(out.get(key), list):
            out[key] = [_dataset(entry, base) for entry in out[key]]
        elif isinstance(out.get(key), dict):
            out[key] = _dataset(out[key], base)
    if cwd is not None and isinstance(out.get("output_dir"), str) and out["output_dir"]:
        out["output_dir"] = str(output_path(out["output_dir"], cwd))
    return out


def output_path(output_dir: str | Path | None, cwd: str | Path | None = None) -> Path:
    """Where a run writes: `output_dir` (default the schema's `./model-out`) against the working directory."""
    from ftui.core.config.schema import default_of

    value = output_dir or default_of("output_dir")
    path = Path(str(value)).expanduser()
    return (path if path.is_absolute() else Path(cwd or Path.cwd()) / path).resolve()
