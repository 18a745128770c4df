"""What `ftui train` says about a config before it starts: the keys it reads without acting on, and the one
refusal when the config asks for features ftui cannot train yet.
"""

from __future__ import annotations

from typing import Any

from ftui.core.config.classify import IgnoredKey, UnsupportedUse
from ftui.core.errors import UserError


def ignored_lines(ignored: list[IgnoredKey]) -> list[str]:
    """`key: reason` for each key ftui reads without acting on (the start of `ftui train`, the wizard)."""
    return [f"{i.key}: {i.reason}" for i in ignored]


def unsupported_error(unsupported: list[UnsupportedUse], source: str | None = None) -> UserError | None:
    """The one error `ftui train` stops with when the config asks for features ftui cannot train."""
    from ftui.core.errors import ConfigUserError

    if not unsupported:
        return None
    names = ", ".join(dict.fromkeys(u.feature for u in unsupported))
    where = f"{source}: " if source else ""
    details = "; ".join(f"{u.key}: {u.message}" for u in unsupported)
    return ConfigUserError(
        f"{where}ftui cannot train this config yet: it asks for {names} ({details})",
        hint="remove or change those keys to train supervised fine-tuning; `ftui check CONFIG` lists them, "
        "and the wizard and `ftui estimate` still work on this config",
    )


def config_unsupported(config: Any) -> list[UnsupportedUse]:
    """The unsupported features of a config object (what its file would report), for code paths that
    get an `FtuiConfig` rather than a loaded file."""
    from ftui.core.config.classify import classify
    from ftui.core.config.schema import FtuiConfig
    from ftui.core.config.sections import DatasetConfig

    data = config.model_dump(mode="json", exclude_unset=True)
    return classify(data, set(FtuiConfig.model_fields), set(DatasetConfig.model_fields)).unsupported
