"""Where a model's files come from: the embedded default, a local folder, a .gguf file, or a hub id.

Everything that loads a tokenizer, a config or weights goes through `resolve_model` so the four kinds of
source behave the same, and so a missing model offline gives one clear error instead of a stack of retries.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from ftui.core.errors import UserError
from ftui.core.models.embedded import EMBEDDED_MODEL_ID, embedded_model_dir, is_embedded

SourceKind = Literal["embedded", "local", "gguf", "hub"]


@dataclass(frozen=True)
class ModelSource:
    """A resolved model reference; `path` is what `from_pretrained` takes, plus `gguf_file` for GGUF."""

    name: str  # what the user wrote
    kind: SourceKind
    path: str
    gguf_file: str | None = None
    hub_id: str | None = None  # the catalog key when known (embedded -> SmolLM2 id)

    def pretrained_kwargs(self, trust_remote_code: bool = False) -> dict[str, Any]:
        kwargs: dict[str, Any] = {"trust_remote_code": trust_remote_code}
        if self.gguf_file:
            kwargs["gguf_file"] = self.gguf_file
        if self.kind == "hub" and offline():
            kwargs["local_files_only"] = True
        return kwargs


def offline() -> bool:
    return any(
        os.environ.get(k, "").lower() in ("1", "true", "yes")
        for k in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")
    )


def looks_like_path(name: str) -> bool:
    return (
        name.startswith((".", "/", "~"))
        or os.sep in name.rstrip("/").split(os.sep, 1)[-1]
        or Path(name).exists()
    )


def resolve_model(name: str, base_dir: str | Path | None = None, materialize: bool = True) -> ModelSource:
    """Resolve a `base_model` value. `materialize=False` skips converting the embedded GGUF (cheap checks)."""
    if not name or not str(name).strip():
        raise UserError("no model given (config key `base_model` is empty)", hint="set base_model: embedded")
    name = str(name).strip()
    if is_embedded(name):
        path = str(embedded_model_dir()) if materialize else "embedded"
        return ModelSource(name=name, kind="embedded", path=path, hub_id=EMBEDDED_MODEL_ID)
    candidate = Path(os.path.expanduser(name))
    if not candidate.is_absolute() and base_dir is not None and (Path(base_dir) / candidate).exists():
        candidate = Path(base_dir) / candidate
    if candidate.suffix == ".gguf":
        if not candidate.is_file():
            raise UserError(f"GGUF file not found: {candidate}", hint="check the path in base_model")
        return ModelSource(name=name, kind="gguf", path=str(candidate.parent), gguf_file=candidate.name)
    if candidate.is_dir():
        if not (candidate / "config.json").exists():
            ggufs = sorted(candidate.glob("*.gguf"))
            if len(ggufs) == 1:
                return ModelSource(name=name, kind="gguf", path=str(candidate), gguf_file=ggufs[0].name)
            raise UserError(
                f"{candidate} is a folder but has no config.json",
                hint="point base_model at a Hugging Face model folder, a .gguf file, or a hub id",
            )
        return ModelSource(name=name, kind="local", path=str(candidate))
    if name.startswith((".", "/", "~")):
        raise UserError(f"model path not found: {candidate}", hint="check base_model, or use a hub id")
    if name.count("/") != 1:
        raise UserError(
            f"{name!r} is neither an existing path nor a hub id (owner/name)",
            hint="use e.g. base_model: meta-llama/Llama-3.2-1B, a local folder, a .gguf file, or `embedded`",
        )
    return ModelSource(name=name, kind="hub", path=name, hub_id=name)


def missing_offline_error(source: ModelSource, what: str = "model") -> UserError:
    """The one message for a hub model that is not in the local cache while offline."""
    return UserError(
        f"{what} {source.name!r} is not available offline (not in the Hugging Face cache and HF_HUB_OFFLINE is set)",
        hint="download it once with network access (huggingface-cli download "
        f"{source.name}), or point base_model at a local folder",
    )
