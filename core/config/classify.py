"""What ftui does with each key of a config: act on it, ignore it (reported), or refuse to train (unsupported).

Works on the plain data of a file (before validation), so `ftui check` can list ignored keys and unsupported
features even for a config that has errors. The lists themselves live in ignored_keys.py, unsupported.py and
plugins.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ftui.core.config import ignored_keys, known_keys, unsupported
from ftui.core.config.choices import (
    AXOLOTL_LR_SCHEDULERS,
    UNRENDERED_DATASET_TYPES,
    axolotl_optimizers,
    is_known_dataset_type,
    resolve_attention,
    runnable_attention,
)
from ftui.core.config.errors import KeyPath, Problem, format_key_path
from ftui.core.config.plugins import plugin_status
from ftui.core.config.secrets import is_secret
from ftui.core.config.suggestions import did_you_mean
from ftui.core.preference.methods import OTHER_RL


@dataclass(frozen=True)
class IgnoredKey:
    """A key ftui reads but does not act on."""

    path: KeyPath
    reason: str

    @property
    def key(self) -> str:
        return format_key_path(self.path)


@dataclass(frozen=True)
class UnsupportedUse:
    """A feature the config asks for that ftui cannot train yet; `path` is the key that asks for it."""

    feature: str
    path: KeyPath
    message: str

    @property
    def key(self) -> str:
        return format_key_path(self.path)

    def text(self) -> str:
        return f"{self.key}: {self.feature} is not supported yet: {self.message}"


@dataclass
class KeyNotes:
    warnings: list[Problem] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    ignored: list[IgnoredKey] = field(default_factory=list)
    unsupported: list[UnsupportedUse] = field(default_factory=list)


def _asks(value: Any) -> bool:
    """Not empty and not false: the key asks for something (an empty key means "not set" in Axolotl)."""
    return value not in (None, False, "", [], {})


def classify(data: dict[str, Any], fields: set[str], dataset_fields: set[str]) -> KeyNotes:
    """Sort every key of the plain config `data`: `fields` are the schema's (acted on)."""
    notes = KeyNotes()
    documented = known_keys.documented_keys()
    for key, value in data.items():
        if key in fields:
            continue
        feature = unsupported.feature_of(key)
        reason = ignored_keys.ignored_reason(key)
        if feature is not None:
            if feature.active(value):  # e.g. `rl:` empty or `context_parallel_size: 1` asks for nothing
                notes.unsupported.append(UnsupportedUse(feature.name_for(value), (key,), feature.message))
        elif reason is not None:
            if _asks(value):
                notes.ignored.append(IgnoredKey((key,), reason))
        elif is_secret(key, value):
            notes.warnings.append(
                Problem(
                    (key,),
                    "is a secret: used for this run (through the environment) but never written into a copy ftui makes",
                    "warning",
                )
            )
        elif key in documented:
            # A key of Axolotl's schema the registry does not list yet: never "unknown", but say so.
            if _asks(value):
                notes.ignored.append(IgnoredKey((key,), "an Axolotl key ftui does not act on"))
        else:
            notes.unknown.append(key)
            notes.warnings.append(
                Problem(
                    (key,), f"unknown key `{key}`{did_you_mean(key, fields | documented, '`')}", "warning"
                )
            )
    for name in ("datasets", "test_datasets"):
        entries = data.get(name)
        if isinstance(entries, list):
            for i, entry in enumerate(entries):
                if isinstance(entry, dict):
                    _classify_dataset(entry, (name, i), dataset_fields, notes)
    notes.unsupported += unsupported_values(data)
    return notes


def _classify_dataset(entry: dict[str, Any], where: KeyPath, fields: set[str], notes: KeyNotes) -> None:
    documented = known_keys.documented_dataset_keys()
    for key, value in entry.items():
        path = (*where, key)
        if key in fields:
            continue
        feature = unsupported.DATASET_FEATURE_OF_KEY.get(key)
        if feature is not None and feature.active(value):
            notes.unsupported.append(UnsupportedUse(feature.name_for(value), path, feature.message))
        elif (reason := ignored_keys.dataset_ignored_reason(key)) is not None or key in documented:
            if _asks(value):
                notes.ignored.append(
                    IgnoredKey(path, reason or "an Axolotl dataset key ftui does not act on")
                )
        else:
            label = format_key_path(path)
            notes.unknown.append(label)
            notes.warnings.append(
                Problem(path, f"unknown key `{key}`{did_you_mean(key, fields | documented, '`')}", "warning")
            )


# --- values that ask for an unsupported feature ----------------------------------------------------------


def training_method(data: dict[str, Any]) -> str | None:
    """The non-SFT method a config selects (rl: dpo, reward_model, ...), or None for supervised fine-tuning."""
    if _asks(data.get("rl")):
        return f"rl: {data['rl']}"
    for key in ("reward_model", "process_reward_model"):
        if _asks(data.get(key)):
            return key
    return None


def dataset_type_status(name: str, method: str | None) -> str:
    """ "ok" (ftui renders it), "method" (belongs to the non-SFT method in use), "unsupported" (an Axolotl
    or custom prompt strategy ftui does not render), or "unknown" (a typo: an error)."""
    from ftui.core.preference.types import preference_type_status

    if method is not None and method.startswith("rl: "):
        status = preference_type_status(name, method[4:])
        if status is not None:
            return status
    if method is not None:
        return "method"
    if is_known_dataset_type(name):
        return "ok"
    if name in UNRENDERED_DATASET_TYPES or "." in name or ":" in name:
        return "unsupported"
    return "unknown"


def unsupported_values(data: dict[str, Any]) -> list[UnsupportedUse]:
    """Unsupported features chosen by the value of a key ftui otherwise acts on."""
    out: list[UnsupportedUse] = []
    optimizer = data.get("optimizer")
    if isinstance(optimizer, str) and optimizer in axolotl_optimizers():
        out.append(
            UnsupportedUse(
                f"optimizer {optimizer}",
                ("optimizer",),
                "this optimizer is Axolotl's own implementation; ftui runs transformers' optimizers "
                "(adamw_torch, adamw_torch_8bit, paged_adamw_8bit, adafactor, ...)",
            )
        )
    scheduler = data.get("lr_scheduler")
    if isinstance(scheduler, str) and scheduler in AXOLOTL_LR_SCHEDULERS:
        out.append(
            UnsupportedUse(
                f"lr_scheduler {scheduler}",
                ("lr_scheduler",),
                "this schedule is Axolotl's own; ftui runs transformers' schedulers",
            )
        )
    if data.get("adapter") in unsupported.UNSUPPORTED_ADAPTERS:
        out.append(UnsupportedUse(f"adapter {data['adapter']}", ("adapter",), "ftui trains LoRA and QLoRA"))
    if data.get("rl") in OTHER_RL:
        out.append(
            UnsupportedUse(
                f"preference/RL training (rl: {data['rl']})",
                ("rl",),
                "ftui trains SFT and the preference methods dpo, ipo, simpo, orpo and kto; online RL "
                "(GRPO, GDPO) and EBFT are not available",
            )
        )
    plugins = data.get("plugins")
    for i, plugin in enumerate(plugins if isinstance(plugins, list) else [plugins] if plugins else []):
        status, what = plugin_status(str(plugin))
        if status == "unsupported":
            out.append(UnsupportedUse(what, ("plugins", i), "ftui does not load Axolotl plugins"))
    out += _dataset_type_uses(data)
    return out


def dataset_types(data: dict[str, Any], status: str) -> list[tuple[KeyPath, str]]:
    """The `type:` of every `datasets:` / `test_datasets:` entry whose status (dataset_type_status, for the
    file's training method) is `status`: (key path of that `type:`, type name), from plain data."""
    method = training_method(data)
    out = []
    for name in ("datasets", "test_datasets"):
        entries = data.get(name)
        for i, entry in enumerate(entries if isinstance(entries, list) else []):
            type_name = entry.get("type") if isinstance(entry, dict) else None
            if isinstance(type_name, str) and dataset_type_status(type_name, method) == status:
                out.append(((name, i, "type"), type_name))
    return out


def _dataset_type_uses(data: dict[str, Any]) -> list[UnsupportedUse]:
    uses = dataset_types(data, "unsupported")
    message = _unrendered_message(training_method(data)) if uses else ""
    return [UnsupportedUse(f"dataset type {t}", where, message) for where, t in uses]


def _unrendered_message(method: str | None) -> str:
    if method is not None and method.startswith("rl: "):
        from ftui.core.preference.types import type_names

        return "ftui does not render this preference prompt strategy; use one of " + ", ".join(
            type_names(method[4:])
        )
    return (
        "ftui does not render this prompt strategy (an Axolotl or custom Python loader); "
        "convert the rows to chat_template, alpaca or completion data"
    )


def ignored_plugins(data: dict[str, Any]) -> list[IgnoredKey]:
    """`plugins:` entries ftui does not load but whose absence does not change the training."""
    plugins = data.get("plugins")
    out = []
    for i, plugin in enumerate(plugins if isinstance(plugins, list) else []):
        status, what = plugin_status(str(plugin))
        if status == "ignored":
            out.append(IgnoredKey(("plugins", i), f"{what}; ftui does not load Axolotl plugins"))
    return out


def attention_note(data: dict[str, Any]) -> Problem | None:
    """A warning when the asked-for attention backend is one ftui replaces (xformers, sage, ...)."""
    asked = resolve_attention(data)
    runs = runnable_attention(asked)
    if asked is None or runs == asked:
        return None
    key = (
        "attn_implementation"
        if data.get("attn_implementation")
        else next((k for k in ("xformers_attention", "sage_attention") if data.get(k)), "attn_implementation")
    )
    return Problem(
        (key,),
        f"attention backend {asked!r} is an Axolotl patch ftui does not have; training uses {runs!r} "
        "(the same result, other speed and memory)",
        "warning",
    )
