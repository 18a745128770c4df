"""The shipped model catalog: architecture facts of the models people fine-tune, keyed by hub id.

Data lives in templates/models/<family>.json (one file per family, each entry citing its config.json), so a
config naming a catalog id gets its facts offline, instantly, and without torch.
"""

from __future__ import annotations

import difflib
import functools
import json
from pathlib import Path
from typing import Any

from ftui.core.models.facts import ModelFacts, facts_from_config
from ftui.core.paths import templates_dir


def catalog_dir() -> Path:
    return templates_dir() / "models"


def _entries(path: Path) -> dict[str, dict[str, Any]]:
    """Resolve `defaults` and `like` inheritance of one family file into flat config-shaped dicts."""
    data = json.loads(path.read_text(encoding="utf-8"))
    defaults = data.get("defaults", {})
    raw = data["models"]
    flat: dict[str, dict[str, Any]] = {}
    for hub_id, entry in raw.items():
        merged: dict[str, Any] = {"family": data["family"], **defaults}
        if "like" in entry:
            merged.update({k: v for k, v in raw[entry["like"]].items() if k != "source"})
        merged.update({k: v for k, v in entry.items() if k != "like"})
        flat[hub_id] = merged
    return flat


@functools.lru_cache(maxsize=1)
def catalog() -> dict[str, ModelFacts]:
    """All catalog models by hub id, in file order (family by family)."""
    models: dict[str, ModelFacts] = {}
    for path in sorted(catalog_dir().glob("*.json")):
        for hub_id, entry in _entries(path).items():
            models[hub_id] = facts_from_config(entry, hub_id, "catalog", where=f"{path.name}: {hub_id}")
    return models


def catalog_lookup(name: str) -> ModelFacts | None:
    """The catalog entry for a hub id, ignoring case; None when not in the catalog."""
    models = catalog()
    if name in models:
        return models[name]
    lowered = name.strip().lower()
    for hub_id, facts in models.items():
        if hub_id.lower() == lowered:
            return facts
    return None


def close_catalog_names(name: str, limit: int = 5) -> list[str]:
    """Catalog ids that look like `name` (by full id or by the part after the owner)."""
    ids = list(catalog())
    lowered = name.strip().lower()
    by_key: dict[str, str] = {}
    for hub_id in ids:
        by_key.setdefault(hub_id.lower(), hub_id)
        by_key.setdefault(hub_id.split("/", 1)[-1].lower(), hub_id)
    matches = difflib.get_close_matches(lowered.split("/", 1)[-1], list(by_key), n=limit * 2, cutoff=0.5)
    matches += difflib.get_close_matches(lowered, list(by_key), n=limit * 2, cutoff=0.5)
    found: list[str] = []
    for key in matches:
        hub_id = by_key[key]
        if hub_id not in found:
            found.append(hub_id)
    if not found:  # substring fallback: "qwen3" -> all Qwen3 ids
        found = [hub_id for hub_id in ids if lowered and lowered in hub_id.lower()]
    return found[:limit]
