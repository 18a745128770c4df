"""Cross-field rules about a config's data: a dataset is given, test/val/pretraining data agree, dataset
type names exist, legacy ShareGPT's conversation. Kept apart from the training rules (rules.py) because these
also run on plain data, before the schema accepts a file (the loader calls `dataset_type_problems` itself).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ftui.core.config.errors import Problem

if TYPE_CHECKING:
    from ftui.core.config.schema import FtuiConfig


def data_problems(c: FtuiConfig) -> list[Problem]:
    """Problems of the data keys: datasets, test_datasets, val_set_size, pretraining_dataset."""
    out = []
    if not c.datasets and not c.pretraining_dataset:
        out.append(
            Problem(
                ("datasets",),
                "at least one dataset is needed (a list of entries with `path:`), or a pretraining_dataset",
            )
        )
    out += dataset_type_problems(c.model_dump(include={"datasets", "test_datasets"}) | (c.model_extra or {}))
    out += _legacy_sharegpt(c)
    if c.test_datasets and c.val_set_size:
        out.append(
            Problem(
                ("val_set_size",), "use either test_datasets or a val_set_size split, not both (as Axolotl)"
            )
        )
    if c.pretraining_dataset:
        if not c.max_steps:
            out.append(
                Problem(
                    ("pretraining_dataset",),
                    "needs max_steps: the length of streamed data is not known in advance (as Axolotl)",
                )
            )
        if c.val_set_size:
            out.append(
                Problem(
                    ("val_set_size",),
                    "is not supported with pretraining_dataset; give the eval data as test_datasets (as Axolotl)",
                )
            )
    return out


def _legacy_sharegpt(c: FtuiConfig) -> list[Problem]:
    """`type: sharegpt` is Axolotl's legacy ShareGPT: say which FastChat conversation renders it, and
    refuse a conversation name FastChat does not have (Axolotl failed on it when reading the data)."""
    from ftui.core.config.choices import LEGACY_SHAREGPT_TYPES
    from ftui.core.config.suggestions import unknown_choice
    from ftui.core.templates.conversations import conversation_names

    out = []
    for name in ("datasets", "test_datasets"):
        for i, ds in enumerate(getattr(c, name) or []):
            if ds.type not in LEGACY_SHAREGPT_TYPES:
                continue
            chosen = ds.conversation or (
                c.chat_template if ds.type in ("sharegpt", "sharegpt:chat", "sharegpt_simple") else None
            )
            key = "conversation" if ds.conversation else "type"
            if chosen and chosen not in conversation_names():
                where = (name, i, "conversation") if ds.conversation else ("chat_template",)
                out.append(
                    Problem(where, unknown_choice("FastChat conversation", chosen, conversation_names(), listed=10)
                            + " (legacy `type: sharegpt` renders with a FastChat conversation template)")
                )  # fmt: skip
                continue
            out.append(
                Problem(
                    (name, i, key),
                    f"legacy ShareGPT: rendered with the FastChat {chosen or 'vicuna_v1.1'!r} conversation "
                    "template, as Axolotl did until 0.5; for the model's chat template use type: chat_template",
                    "warning",
                )
            )
    return out


def dataset_type_problems(data: dict) -> list[Problem]:
    """Unknown dataset type names (a typo), from plain data: the loader reports them even when other keys
    of the same entry are invalid. Types of a preference/reward method are that method's business."""
    from ftui.core.config.choices import DATASET_TYPES
    from ftui.core.config.classify import dataset_types, training_method
    from ftui.core.config.suggestions import unknown_choice

    unknown = dataset_types(data, "unknown")
    choices = (_preference_types(training_method(data)) or DATASET_TYPES) if unknown else ()
    return [Problem(where, unknown_choice("dataset type", t, choices, listed=7)) for where, t in unknown]


def _preference_types(method: str | None) -> list[str]:
    from ftui.core.preference.methods import METHODS
    from ftui.core.preference.types import type_names

    name = method[4:] if method and method.startswith("rl: ") else None
    return type_names(name) if name in METHODS else []
