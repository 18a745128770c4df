"""Reading config YAML exactly as Axolotl reads it, with the line of every key.

Axolotl loads configs with PyYAML's `safe_load`, so PyYAML decides what a file means here too: YAML 1.1
scalars (`yes`/`no`/`on`/`off` are booleans, `0755` is octal, `1e-5` without a dot is text), anchors, merge
keys (`<<: *base`), and a repeated key taking the later value - each repeat reported once, naming both lines.
Before anything is built the node tree is checked so that any tag outside plain YAML (`!!python/object`,
`!custom`, `!!binary`, `!!set`) is refused: nothing in a config can name Python code.

Saving (comments, order, repeats kept) is in `yaml_write.py`; it needs the ruamel round-trip document that
`read_yaml` also builds when ruamel can read the text.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from typing import Any

import yaml
from ftui.core.config.errors import ConfigError, KeyPath, Problem
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

_STANDARD_TAGS = frozenset(
    "tag:yaml.org,2002:" + name
    for name in ("str", "int", "float", "bool", "null", "map", "seq", "timestamp", "merge", "value")
)
_MERGE = "tag:yaml.org,2002:merge"
MAX_NODES = 200_000  # a config is small; this stops alias bombs


@dataclass(frozen=True)
class DuplicateKey:
    """A key written twice in one mapping: PyYAML (and so Axolotl) keeps the value from `line`."""

    path: KeyPath
    first_line: int
    line: int

    def problem(self) -> Problem:
        return Problem(
            self.path,
            f"is set twice (lines {self.first_line} and {self.line}); the later value (line {self.line}) is "
            "used, as Axolotl does",
            "warning",
            line=self.line,
        )


@dataclass
class YamlRead:
    """One YAML text read: its meaning (`data`, plain Python), the node tree (for lines), the repeats,
    and the ruamel round-trip document used to save edits (None when ruamel cannot read the text)."""

    text: str
    data: Any
    root: Node | None
    duplicates: list[DuplicateKey] = field(default_factory=list)
    document: Any = None

    def line_of(self, path: KeyPath) -> int | None:
        return node_line(self.root, path)


def read_yaml(text: str, source: str) -> YamlRead:
    """Parse config text the way PyYAML's safe_load does. Raises ConfigError (file:line:column)."""
    loader = None
    try:
        loader = yaml.SafeLoader(text)
        root = loader.get_single_node()
        problems = _check_tags(root)
        if problems:
            raise ConfigError(
                problems, source, hint="remove the tags; values are plain text, numbers and lists"
            )
        data = to_plain(loader.construct_document(root)) if root is not None else None
    except yaml.MarkedYAMLError as err:
        raise ConfigError(
            [_syntax_problem(err)], source, hint="check indentation, colons and quotes there"
        ) from None
    except yaml.reader.ReaderError as err:
        line = text.count("\n", 0, err.position) + 1
        problem = Problem(
            (), f"invalid YAML: character {err.character!r} is not allowed in YAML text", line=line
        )
        raise ConfigError([problem], source, hint="remove control characters from the file") from None
    except yaml.YAMLError as err:
        raise ConfigError([Problem((), f"invalid YAML: {str(err).splitlines()[0]}")], source) from None
    except ValueError as err:  # to_plain: too large, or an alias that contains itself
        raise ConfigError([Problem((), str(err))], source) from None
    except RecursionError:
        raise ConfigError([Problem((), "the document is nested too deeply")], source) from None
    finally:
        if loader is not None:
            loader.dispose()
    duplicates = find_duplicates(root)
    document = _round_trip(text)
    if document is not None and duplicates:
        _take_later_values(document, data, duplicates)
    return YamlRead(text=text, data=data, root=root, duplicates=duplicates, document=document)


def _take_later_values(document: Any, data: Any, duplicates: list[DuplicateKey]) -> None:
    """ruamel keeps the first of a repeated key, PyYAML the later: give the document PyYAML's value, so an
    edited save writes what the file meant (the repeated key once, with its later value)."""
    import copy

    for duplicate in duplicates:
        node, value = document, data
        try:
            for part in duplicate.path[:-1]:
                node, value = node[part], value[part]
            node[duplicate.path[-1]] = copy.deepcopy(value[duplicate.path[-1]])
        except (KeyError, IndexError, TypeError):
            continue  # a path through an alias or a merge: the document keeps its own reading


def _round_trip(text: str) -> Any:
    """ruamel's round-trip document (comments, order, quotes) for saving edits; None if it cannot read it.

    It reads scalars with YAML 1.1's rules, as PyYAML does (`yes` is true, `0755` octal), so a value it
    writes back unchanged means the same to PyYAML as before."""
    import warnings

    from ftui.core.config.yaml_write import round_trip_yaml
    from ruamel.yaml.error import YAMLError as RuamelError

    rt = round_trip_yaml()
    rt.allow_duplicate_keys = True
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # ruamel's notes on YAML 1.1 floats such as 1e-5
            return rt.load(text)
    except (RuamelError, RecursionError, ValueError, TypeError):
        return None


def _syntax_problem(err: yaml.MarkedYAMLError) -> Problem:
    mark = err.problem_mark or err.context_mark
    what = " ".join(x for x in (err.context, err.problem) if x)
    if "tag:yaml.org,2002:value" in what:
        what = "a bare `=` is not a value PyYAML (or Axolotl) can read; quote it: '='"
    elif what:
        what = f"invalid YAML: {what}"
    else:
        what = "invalid YAML"
    if mark is None:
        return Problem((), what)
    return Problem((), what, line=mark.line + 1, column=mark.column + 1)


def _check_tags(root: Node | None) -> list[Problem]:
    """Refuse every non-standard tag; walk shared (aliased) nodes once."""
    problems: list[Problem] = []
    for node in _walk(root):
        if node.tag not in _STANDARD_TAGS:
            mark = node.start_mark
            problems.append(
                Problem(
                    (),
                    f"tag {node.tag.replace('tag:yaml.org,2002:', '!!')} is not allowed; "
                    "configs are plain YAML (no Python objects or custom tags)",
                    line=mark.line + 1,
                    column=mark.column + 1,
                )
            )
    return problems


def _walk(root: Node | None):
    seen: set[int] = set()
    stack = [root] if root is not None else []
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if len(seen) > MAX_NODES:
            raise ValueError(f"the document is too large (over {MAX_NODES} nodes)")
        yield node
        if isinstance(node, MappingNode):
            for key, value in node.value:
                stack += [key, value]
        elif isinstance(node, SequenceNode):
            stack += list(node.value)


def _key_text(node: Node) -> str | None:
    return str(node.value) if isinstance(node, ScalarNode) else None


def find_duplicates(root: Node | None) -> list[DuplicateKey]:
    """Every key written twice in the same mapping, with the path PyYAML's later value ends up at."""
    out: list[DuplicateKey] = []
    seen: set[int] = set()

    def visit(node: Node, path: KeyPath) -> None:
        if id(node) in seen or len(seen) > MAX_NODES:
            return
        seen.add(id(node))
        if isinstance(node, SequenceNode):
            for i, item in enumerate(node.value):
                visit(item, (*path, i))
        elif isinstance(node, MappingNode):
            first: dict[str, int] = {}
            for key, value in node.value:
                name = _key_text(key)
                if name is None or key.tag == _MERGE:
                    continue
                line = key.start_mark.line + 1
                if name in first:
                    out.append(DuplicateKey((*path, name), first[name], line))
                first[name] = line
                visit(value, (*path, name))

    if root is not None:
        visit(root, ())
    return out


def node_line(root: Node | None, path: KeyPath) -> int | None:
    """1-based line of `path`: the key itself (its last occurrence), else its nearest existing parent."""
    line = None
    node = root
    for part in path:
        found = None
        if isinstance(node, MappingNode):
            for key, value in node.value:
                if _key_text(key) == str(part) and key.tag != _MERGE:
                    found = (key.start_mark.line + 1, value)  # later repeats win, as in PyYAML
        elif isinstance(node, SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
            item = node.value[part]
            found = (item.start_mark.line + 1, item)
        if found is None:
            break
        line, node = found
    return line


def to_plain(value: Any, _active: frozenset[int] = frozenset(), _budget: list[int] | None = None) -> Any:
    """Loaded YAML as plain dict/list/str/int/float/bool/None: keys become text, dates ISO text."""
    budget = _budget if _budget is not None else [MAX_NODES]
    budget[0] -= 1
    if budget[0] < 0:
        raise ValueError(f"the document is too large (over {MAX_NODES} values after aliases)")
    if isinstance(value, dict | list):
        if id(value) in _active:
            raise ValueError("an alias (*name) refers to the mapping or list that contains it")
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


def _plain_key(key: Any) -> str:
    """Keys stay as YAML wrote them; non-text keys (numbers, booleans) become text for messages."""
    if isinstance(key, bool):
        return "true" if key else "false"
    if key is None:
        return "null"
    plain = to_plain(key) if not isinstance(key, dict | list | tuple) else str(key)
    return plain if isinstance(plain, str) else str(plain)
