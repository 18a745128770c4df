"""Older spellings of Axolotl keys, read as what they meant then (each rewrite is one warning).

Only spellings whose meaning is unambiguous are rewritten; the file itself is left as it is (an untouched
save writes the original text back).
"""

from __future__ import annotations

from typing import Any

from ftui.core.config.errors import Problem

_SPECIAL = ("bos_token", "eos_token", "pad_token", "unk_token", "additional_special_tokens")


def normalize_legacy(data: dict[str, Any]) -> tuple[dict[str, Any], list[Problem]]:
    """(data with legacy spellings rewritten, a warning per rewrite). `data` is not changed."""
    out = dict(data)
    notes: list[Problem] = []
    tokens = out.get("tokens")
    if isinstance(tokens, dict) and set(tokens) <= set(_SPECIAL) and not out.get("special_tokens"):
        # Axolotl before 0.3 took the special tokens under `tokens:` (archived/ examples still do).
        out["special_tokens"] = tokens
        del out["tokens"]
        notes.append(
            Problem(
                ("tokens",),
                "a mapping under `tokens:` is the old spelling of `special_tokens:`; read as special_tokens",
                "warning",
            )
        )
    return out, notes
