"""'Did you mean ...?' suggestions for misspelt keys and values."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def closest(word: str, candidates: Iterable[str], cutoff: float = 0.6) -> str | None:
    """The candidate most similar to `word`, or None when nothing is close enough."""
    matches = difflib.get_close_matches(str(word), list(candidates), n=1, cutoff=cutoff)
    return matches[0] if matches else None


def did_you_mean(word: str, candidates: Iterable[str], quote: str = "'") -> str:
    """' (did you mean 'x'?)' or '' - ready to append to an error message."""
    match = closest(word, candidates)
    return f" (did you mean {quote}{match}{quote}?)" if match else ""


def unknown_choice(what: str, value: object, choices: Iterable[str], listed: int | None = None) -> str:
    """The message for a value outside a fixed set: names the value, a suggestion and the choices
    (the first `listed` of them, when the full list is too long to read)."""
    choices = list(choices)
    shown = choices[:listed] if listed else choices
    more = ", ..." if len(shown) < len(choices) else ""
    return (
        f"unknown {what} {value!r}{did_you_mean(str(value), choices)}; choose from: {', '.join(shown)}{more}"
    )
