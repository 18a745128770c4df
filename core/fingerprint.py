"""The fingerprint of a tokenized dataset: a short hash of everything that changes its tokens.

A prepared dataset is reused only when its fingerprint matches, so the inputs here must be complete: the data
files' bytes, the tokenizer's files, the prompt template (name and text), every setting that changes
input_ids or labels, the validation split, and the code that renders and masks. Everything else (learning
rate, LoRA rank, output_dir, sample_packing, which is applied after loading) stays out, so changing it does
not re-tokenize.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ftui.core.errors import UserError

# Bump when the saved layout or the meaning of a column changes.
FORMAT_VERSION = 1

# Files that define a Hugging Face tokenizer (whichever of them a folder has).
TOKENIZER_FILES = (
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "added_tokens.json",
    "tokenizer.model",
    "spiece.model",
    "vocab.json",
    "merges.txt",
    "vocab.txt",
    "chat_template.jinja",
    "chat_template.json",
)

# Config keys (top level) that change the tokens of a prepared dataset.
TOKEN_SETTINGS = (
    "sequence_len",
    "train_on_inputs",
    "excess_length_strategy",
    "special_tokens",
    "tokens",
    "chat_template",
    "chat_template_jinja",
    "tokenizer_type",
    "tokenizer_use_fast",
    "tokenizer_legacy",
    "trust_remote_code",
    "val_set_size",
    "seed",
    "skip_bad_rows",
    "dataset_exact_deduplication",
    "dataset_near_deduplication",
    "dataset_drop",
    "dataset_quality",
    "eot_tokens",
    "default_system_message",
)

# ftui code whose changes can change tokens (paths as in the repository; installed under ftui/core).
TOKEN_CODE = (
    "core/templates",
    "core/data",
    "core/tokenizer.py",
    "core/light_tokenizer.py",
    "core/preprocess",
    "core/preprocess.py",
    "core/quality",
    "core/assertions.py",
)

_CHUNK = 1 << 20


def file_digest(path: Path) -> str:
    """sha256 of a file's bytes, read in chunks (a large JSONL is never held in memory)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def path_digest(path: Path) -> str:
    """sha256 of a file, or of a folder's files (relative names and contents, sorted; caches skipped)."""
    path = Path(path)
    if path.is_file():
        return file_digest(path)
    digest = hashlib.sha256()
    for child in sorted(_files_under(path)):
        digest.update(str(child.relative_to(path)).encode())
        digest.update(b"\0")
        digest.update(file_digest(child).encode())
    return digest.hexdigest()


def _files_under(folder: Path) -> Iterable[Path]:
    for child in folder.rglob("*"):
        if child.is_file() and "__pycache__" not in child.parts and not child.name.startswith("."):
            yield child


def json_digest(value: Any) -> str:
    """sha256 of a JSON-able value in canonical form (sorted keys), so dict order never matters."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def tokenizer_digest(folder: Path, gguf_file: str | None = None) -> str:
    """Hash of the tokenizer files in a model folder. For a GGUF file its name, size and mtime stand in
    (hashing gigabytes of weights on every preprocess would cost more than re-tokenizing)."""
    folder = Path(folder)
    parts: dict[str, Any] = {}
    if gguf_file:
        stat = (folder / gguf_file).stat()
        parts["gguf"] = [gguf_file, stat.st_size, stat.st_mtime_ns]
    for name in TOKENIZER_FILES:
        candidate = folder / name
        if candidate.is_file():
            parts[name] = file_digest(candidate)
    return json_digest(parts)


def _hub_tokenizer_digest(repo_id: str) -> str:
    """Hash of the tokenizer files of a hub model that are in the local Hugging Face cache."""
    from huggingface_hub import try_to_load_from_cache

    parts: dict[str, Any] = {"hub": repo_id}
    for name in TOKENIZER_FILES:
        cached = try_to_load_from_cache(repo_id, name)
        if isinstance(cached, str) and Path(cached).is_file():
            parts[name] = file_digest(Path(cached))
    return json_digest(parts)


def config_tokenizer_digest(config: Any) -> str:
    """The tokenizer part of the fingerprint for a config (`tokenizer_config`, else `base_model`)."""
    from ftui.core.tokenizer import tokenizer_source

    name = config.tokenizer_config or config.base_model
    folder = config.resolve_path(name)
    if folder.is_dir() and not (folder / "config.json").exists():  # a tokenizer-only folder
        return tokenizer_digest(folder)
    source = tokenizer_source(name, base_dir=config.base_dir)  # the embedded model: its tokenizer folder
    if source.kind == "hub":
        return _hub_tokenizer_digest(source.path)
    return tokenizer_digest(Path(source.path), source.gguf_file)


def dataset_digest(config: Any, dataset: Any) -> dict[str, Any]:
    """One `datasets[]` entry: all its keys (mappings, roles, template...) plus the content hashes of exactly
    the files the data layer reads for it (a folder's files, `data_files`, or the one file)."""
    from ftui.core.data import dataset_settings, open_source

    entry = dataset.model_dump(mode="json")
    source = open_source(dataset_settings(dataset), config.base_dir)
    # A hub dataset has no local files: its id, split and revision (in `entry`) identify it.
    files = {file.display: file_digest(file.path) for file in source.files}
    return {"entry": entry, "files": files}


def code_digest() -> str:
    """Hash of the ftui code and shipped templates that render, tokenize and mask examples."""
    from ftui.core import __file__ as core_init
    from ftui.core.paths import templates_dir

    core_dir = Path(core_init).parent
    parts: dict[str, str] = {}
    for relative in TOKEN_CODE:
        candidate = core_dir / relative.removeprefix("core/")
        if candidate.exists():
            parts[relative] = path_digest(candidate)
    prompts = templates_dir() / "prompts"
    if prompts.exists():
        parts["templates/prompts"] = path_digest(prompts)
    return json_digest(parts)


def _jinja_text(config: Any, value: str | None) -> str | None:
    """`chat_template_jinja` may be the template itself or a path to it; hash what it means."""
    from ftui.core.templates.library import jinja_text

    try:
        return jinja_text(config, value)
    except UserError:
        return value  # a missing file fails later, where the template is built, with its own message


def fingerprint_inputs(config: Any) -> dict[str, Any]:
    """Everything the fingerprint covers, as a JSON-able dict (kept in meta.json to explain a re-run)."""
    settings = {}
    for key in TOKEN_SETTINGS:
        value = getattr(config, key, None)
        if hasattr(value, "model_dump"):
            value = value.model_dump(mode="json")
        settings[key] = value
    settings["chat_template_jinja"] = _jinja_text(config, settings["chat_template_jinja"])
    if "assertion_failed" in (getattr(config, "dataset_drop", None) or []) and config.eval_assertions:
        file_part = config.eval_assertions.rsplit(":", 1)[0]  # the rows dropped depend on the function's code
        path = config.resolve_path(file_part)
        settings["eval_assertions"] = [config.eval_assertions, path_digest(path) if path.is_file() else None]

    def digests(entries: Any) -> list[dict[str, Any]]:
        out = []
        for dataset in entries:
            item = dataset_digest(config, dataset)
            item["entry"]["chat_template_jinja"] = _jinja_text(config, dataset.chat_template_jinja)
            out.append(item)
        return out

    return {
        "format": FORMAT_VERSION,
        "settings": settings,
        "datasets": digests(training_datasets(config)),
        "test_datasets": digests(getattr(config, "test_datasets", None) or []),
        "tokenizer": config_tokenizer_digest(config),
        "code": code_digest(),
    }


def training_datasets(config: Any) -> list[Any]:
    """`datasets` plus the `pretraining_dataset` entries (as completion data) of a config object."""
    entries = getattr(config, "training_datasets", None)
    return list(entries) if entries is not None else list(config.datasets)


def preprocess_fingerprint(config: Any) -> str:
    """The name of a prepared dataset's folder: 16 hex digits of the hash of `fingerprint_inputs`."""
    return json_digest(fingerprint_inputs(config))[:16]
