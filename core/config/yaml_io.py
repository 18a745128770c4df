"""YAML in and out: safe reading with line numbers, and saving that keeps a user's comments and key order.

Reading uses ruamel.yaml's round-trip loader, which builds only plain data (maps, lists, scalars) and keeps
each key's line. Before that the node tree is checked so that any tag outside plain YAML (`!!python/object`,
`!custom`, `!!binary`, ...) is refused: nothing in a config can name Python code.
"""

from __future__ import annotations

import copy
import datetime as _dt
import io
import os
import tempfile
from pathlib import Path
from typing import Any

from ftui.core.config.errors import ConfigError, KeyPath, Problem
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.nodes import MappingNode, Node, SequenceNode

_STANDARD_TAGS = frozenset(
    "tag:yaml.org,2002:" + name
    for name in ("str", "int", "float", "bool", "null", "map", "seq", "timestamp", "merge")
)
MAX_NODES = 200_000  # a config is small; this stops alias bombs


def _yaml() -> YAML:
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096  # never re-wrap a user's long strings
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


def _syntax_problem(err: YAMLError) -> Problem:
    mark = getattr(err, "problem_mark", None) or getattr(err, "context_mark", None)
    what = (
        " ".join(x for x in (getattr(err, "context", None), getattr(err, "problem", None)) if x)
        if isinstance(err, MarkedYAMLError)
        else str(err).splitlines()[0]
    )
    if mark is None:
        return Problem((), f"invalid YAML: {what}")
    return Problem((), f"invalid YAML: {what}", line=mark.line + 1, column=mark.column + 1)


def _check_tags(node: Node | None) -> list[Problem]:
    """Refuse every non-standard tag; walk shared (aliased) nodes once."""
    problems: list[Problem] = []
    seen: set[int] = set()
    stack = [node] if node is not None else []
    while stack:
        current = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        if len(seen) > MAX_NODES:
            return [Problem((), f"the document is too large (over {MAX_NODES} nodes)")]
        tag = str(getattr(current.tag, "value", current.tag))
        if tag not in _STANDARD_TAGS:
            mark = current.start_mark
            problems.append(
                Problem(
                    (),
                    f"tag {tag.replace('tag:yaml.org,2002:', '!!')} is not allowed; "
                    "configs are plain YAML (no Python objects or custom tags)",
                    line=mark.line + 1,
                    column=mark.column + 1,
                )
            )
        if isinstance(current, MappingNode):
            for key, value in current.value:
                stack += [key, value]
        elif isinstance(current, SequenceNode):
            stack += list(current.value)
    return problems


def read_document(text: str, source: str) -> Any:
    """Parse YAML text into ruamel's round-trip objects (CommentedMap ...). Raises ConfigError."""
    yaml = _yaml()
    try:
        problems = _check_tags(yaml.compose(text))
        if problems:
            raise ConfigError(
                problems, source, hint="remove the tags; values are plain text, numbers and lists"
            )
        return yaml.load(text)
    except YAMLError as err:
        raise ConfigError(
            [_syntax_problem(err)], source, hint="check indentation, colons and quotes there"
        ) from None
    except RecursionError:
        raise ConfigError([Problem((), "the document is nested too deeply")], source) from None


def to_plain(value: Any, _active: frozenset[int] = frozenset(), _budget: list[int] | None = None) -> Any:
    """ruamel's round-trip objects as plain dict/list/str/int/float/bool/None (dates become ISO text)."""
    budget = _budget if _budget is not None else [MAX_NODES]
    budget[0] -= 1
    if budget[0] < 0:
        raise ValueError(f"the document is too large (over {MAX_NODES} values after aliases)")
    if isinstance(value, dict | list):
        if id(value) in _active:
            raise ValueError("an alias refers to itself")
        active = _active | {id(value)}
        if isinstance(value, dict):
            return {_plain_key(k): to_plain(v, active, budget) for k, v in value.items()}
        return [to_plain(v, active, budget) for v in value]
    if value is None or type(value) in (str, int, float, bool):
        return value
    if isinstance(value, bool) or type(value).__name__ == "ScalarBoolean":
        return bool(value)
    if isinstance(value, str):
        return str(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, _dt.date | _dt.datetime):
        return value.isoformat()
    return str(value)


def _plain_key(key: Any) -> Any:
    """Keys stay as YAML wrote them, except that non-text keys (numbers, lists) become text for messages."""
    plain = to_plain(key) if not isinstance(key, dict | list) else str(key)
    return plain if isinstance(plain, str) else str(plain)


def line_of(document: Any, path: KeyPath) -> int | None:
    """1-based line of `path` in a round-trip document: the key itself, else its nearest existing parent."""
    line = None
    node = document
    for part in path:
        if isinstance(node, CommentedMap) and part in node:
            line = node.lc.key(part)[0] + 1
            node = node[part]
        elif isinstance(node, CommentedSeq) and isinstance(part, int) and 0 <= part < len(node):
            line = node.lc.item(part)[0] + 1
            node = node[part]
        else:
            break
    return line


# --- saving ------------------------------------------------------------------------------------------------


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
    _yaml().dump(document, stream)
    return stream.getvalue()


def atomic_write_text(path: Path, text: str) -> None:
    """Write via a temporary file in the same folder and a rename: a crash leaves the old file intact."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        if path.exists():
            os.chmod(tmp, path.stat().st_mode & 0o7777)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
