"""The keys Axolotl itself knows, from templates/axolotl/keys.json (generated from Axolotl by
bench/axolotl/make_axolotl_keys.py): the yardstick that tells an Axolotl key from a typo."""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any


@lru_cache(maxsize=1)
def axolotl_keys() -> dict[str, Any]:
    """templates/axolotl/keys.json: Axolotl's current and legacy schema keys, plugins, templates, rl types."""
    from ftui.core.paths import templates_dir

    return json.loads((templates_dir() / "axolotl" / "keys.json").read_text(encoding="utf-8"))


# Keys older Axolotl releases read in their code (`cfg.NAME`) without documenting them.
CODE_ONLY_KEYS: tuple[str, ...] = (
    "gptq_disable_exllama",
    "load_4bit",
    "push_to_hub_model_id",
    "rl_adapter_ref_model",
    "gradient_checkpointing_ratio",
)


def documented_keys() -> frozenset[str]:
    """Every top-level key Axolotl knows: its current schema and plugins, the 0.4.x-era schema, the YAML
    reference of every release, and the few keys older releases read without documenting them."""
    data = axolotl_keys()
    keys = set(data["current"]["top"]) | set(data["legacy"]["top"]) | set(data["history"]["keys"])
    keys |= set(CODE_ONLY_KEYS)
    for names in data["current"]["plugins"].values():
        keys |= set(names)
    return frozenset(keys)


def documented_dataset_keys() -> frozenset[str]:
    data = axolotl_keys()
    return frozenset(set(data["current"]["datasets"]) | set(data["legacy"]["datasets"]))
