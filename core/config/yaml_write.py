"""Writing config YAML back: the user's file kept byte for byte when its meaning did not change, otherwise
the round-trip document edited in place (comments, key order and the way unchanged values were written kept).

Values ruamel writes are quoted the way PyYAML (Axolotl's reader) needs: text such as `yes`, `off`, `0755`
or `1e-5` is quoted, and floats always have a dot, so what is saved means the same when Axolotl reads it.
"""

from __future__ import annotations

import copy
import io
import os
import tempfile
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.representer import RoundTripRepresenter
from ruamel.yaml.resolver import VersionedResolver


class _PyYamlResolver(VersionedResolver):
    """Decides quoting with YAML 1.1's implicit types (PyYAML's), without writing a `%YAML 1.1` line."""

    @property
    def processing_version(self) -> Any:
        return (1, 1)


class _Representer(RoundTripRepresenter):
    pass


def _represent_float(representer: Any, value: float) -> Any:
    """`1e-05` is text to PyYAML: write `1.0e-05`. inf/nan in YAML's spelling."""
    if value != value:
        text = ".nan"
    elif value in (float("inf"), float("-inf")):
        text = ".inf" if value > 0 else "-.inf"
    else:
        text = repr(value)
        if "e" in text and "." not in text.split("e")[0]:
            mantissa, exponent = text.split("e")
            text = f"{mantissa}.0e{exponent}"
    return representer.represent_scalar("tag:yaml.org,2002:float", text)


_Representer.add_representer(float, _represent_float)


def round_trip_yaml() -> YAML:
    yaml = YAML(typ="rt")
    yaml.Resolver = _PyYamlResolver
    yaml.Representer = _Representer
    yaml.preserve_quotes = True
    yaml.width = 4096  # never re-wrap a user's long strings
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


_MISSING = object()


def merge_into(document: CommentedMap, data: dict[str, Any], baseline: Any = None) -> CommentedMap:
    """Make `document` hold exactly `data`, changing it in place so comments and key order survive.

    Keys already there keep their place; new keys go at the end; keys missing from `data` are removed.
    `baseline` is what the document meant when it was read (normalized like `data`): a value equal to its
    baseline is left exactly as the user wrote it (`adapter: none`, `num_epochs: 1`, quotes, ...).
    """
    baseline = baseline if isinstance(baseline, dict) else {}
    for key in [k for k in document if k not in data]:
        del document[key]
    for key, value in data.items():
        if key in document:
            document[key] = _merge_value(document[key], value, baseline.get(key, _MISSING))
        else:
            _append_key(document, key, value)
    return document


def _merge_value(old: Any, new: Any, baseline: Any) -> Any:
    from ftui.core.config.yaml_io import to_plain

    if baseline is not _MISSING and _same(baseline, new):
        return old
    if isinstance(old, CommentedMap) and isinstance(new, dict):
        return merge_into(old, new, baseline)
    if isinstance(old, CommentedSeq) and isinstance(new, list) and len(old) == len(new):
        base_items = (
            baseline if isinstance(baseline, list) and len(baseline) == len(new) else [_MISSING] * len(new)
        )
        for i, item in enumerate(new):
            old[i] = _merge_value(old[i], item, base_items[i])
        return old
    if _same(to_plain(old), new):
        return old  # unchanged: keep the original scalar (its quotes and number format)
    return new


def _same(a: Any, b: Any) -> bool:
    """Equal as config values: 1 == 1.0, but True is not 1."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    return a == b


def _append_key(document: CommentedMap, key: str, value: Any) -> None:
    """Add a key at the end; blank lines and comments that trailed the old last key move below it."""
    last = next(reversed(document), None) if len(document) else None
    document[key] = value
    comments = document.ca.items.get(last) if last is not None else None
    token = comments[2] if comments and len(comments) > 2 else None
    if token is None or "\n" not in token.value:
        return
    head, tail = token.value.split("\n", 1)
    if not tail:
        return
    if head.strip():
        token.value = head + "\n"
    else:
        comments[2] = None
    moved = copy.copy(token)
    moved.value = "\n" + tail
    document.ca.items[key] = [None, None, moved, None]


def dump_document(document: Any) -> str:
    stream = io.StringIO()
    round_trip_yaml().dump(document, stream)
    return stream.getvalue()


def atomic_write_text(path: Path, text: str) -> None:
    """Write via a temporary file in the same folder and a rename: a crash leaves the old file intact."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        if path.exists():
            os.chmod(tmp, path.stat().st_mode & 0o7777)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
