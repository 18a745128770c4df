"""load_config / parse_config / save_config: YAML file <-> `FtuiConfig`, with every problem located.

Loading reports, at once: bad YAML (file:line:column), every invalid value (pydantic's errors turned into
`file:line: key.path: message`), and every cross-field rule that fails. Unknown keys are warnings with a
"did you mean"; accepted Axolotl keys that ftui does not act on are listed as ignored. Both kinds are kept
on the model and written back on save.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ftui.core.config.classify import (
    IgnoredKey,
    UnsupportedUse,
    attention_note,
    classify,
    ignored_plugins,
)
from ftui.core.config.errors import ConfigError, KeyPath, Problem
from ftui.core.config.legacy import normalize_legacy
from ftui.core.config.rules import check_rules
from ftui.core.config.schema import SKIP_RULES, FtuiConfig
from ftui.core.config.secrets import dropped_note, is_secret, secrets_of
from ftui.core.config.sections import DatasetConfig
from ftui.core.config.yaml_io import YamlRead, read_yaml
from ftui.core.config.yaml_write import atomic_write_text, dump_document, merge_into
from ftui.core.errors import ConfigUserError
from pydantic import ValidationError


@dataclass
class LoadedConfig:
    """A validated config and what the loader noticed about the file."""

    config: FtuiConfig
    path: Path | None
    warnings: list[str] = field(default_factory=list)  # "file:line: warning: key: message"
    unknown_keys: list[str] = field(default_factory=list)  # key paths, e.g. "lora_alpah", "datasets[0].feild"
    ignored_keys: list[str] = field(default_factory=list)  # key paths ftui reads but does not act on
    notes: list[Problem] = field(default_factory=list)  # the warnings, structured (line, key, message)
    ignored: list[IgnoredKey] = field(default_factory=list)  # the ignored keys with the reason for each
    unsupported: list[UnsupportedUse] = field(default_factory=list)  # features `ftui train` refuses
    source: YamlRead | None = None  # the text as read (meaning, lines, round-trip document) for saving

    @property
    def document(self) -> Any:
        return self.source.document if self.source is not None else None

    def save(self, path: str | Path | None = None) -> list[str]:
        """Save the (possibly edited) config back, over the file it came from by default."""
        target = path if path is not None else self.path
        if target is None:
            raise ValueError("no path to save to: this config was not loaded from a file")
        same = self.path is not None and Path(target).expanduser().resolve() == Path(self.path).resolve()
        return save_config(self.config, target, source=self.source if same else None)


def read_config_text(path: str | Path) -> str:
    """A config file's text exactly as stored (line endings kept, so an untouched save is byte-identical)."""
    path = Path(path).expanduser()
    if not path.is_file():
        reason = "is a folder, not a file" if path.is_dir() else "not found"
        raise ConfigUserError(
            f"config {reason}: {path}", "give the path of a YAML config file (e.g. config.yml)"
        )
    try:
        raw = path.read_bytes()
    except OSError as err:
        raise ConfigUserError(f"cannot read config {path}: {err.strerror}") from None
    try:
        return raw.decode("utf-8-sig" if raw.startswith(b"\xef\xbb\xbf") else "utf-8")
    except UnicodeDecodeError as err:
        raise ConfigError([Problem((), f"not UTF-8 text (byte {err.start})")], str(path)) from None


def load_config(path: str | Path) -> LoadedConfig:
    """Read and validate a YAML config file. Raises ConfigUserError/ConfigError (exit code 2)."""
    path = Path(path).expanduser()
    text = read_config_text(path)
    loaded = parse_config(text, source=str(path), base_dir=path.resolve().parent)
    loaded.path = path
    return loaded


def parse_config(text: str, source: str = "<string>", base_dir: str | Path | None = None) -> LoadedConfig:
    """Validate config YAML given as text; `source` names it in messages."""
    read = read_yaml(text, source)
    data = _mapping(read, source)
    notes = classify(data, set(FtuiConfig.model_fields), set(DatasetConfig.model_fields))
    data, legacy_notes = normalize_legacy(data)
    config, problems = _validate(data)
    problems += legacy_notes
    problems += [d.problem() for d in read.duplicates]
    if (note := attention_note(data)) is not None:
        problems.append(note)
    for problem in problems + notes.warnings:
        if problem.line is None:
            problem.line = read.line_of(problem.path)
    errors = [p for p in problems if p.severity == "error"]
    if errors:
        errors.sort(key=lambda p: (p.line or 0, p.key))
        warnings = [p for p in problems if p.severity == "warning"] + notes.warnings
        raise ConfigError(errors + sorted(warnings, key=lambda p: p.line or 0), source)
    assert config is not None
    config.base_dir = Path(base_dir) if base_dir is not None else None
    warnings = sorted(
        notes.warnings + [p for p in problems if p.severity == "warning"], key=lambda p: p.line or 0
    )
    ignored = notes.ignored + ignored_plugins(data)
    return LoadedConfig(
        config=config,
        path=None,
        warnings=[w.text(source) for w in warnings],
        unknown_keys=notes.unknown,
        ignored_keys=[i.key for i in ignored],
        notes=warnings,
        ignored=ignored,
        unsupported=notes.unsupported,
        source=read,
    )


def _mapping(read: YamlRead, source: str) -> dict[str, Any]:
    if read.data is None:
        raise ConfigError(
            [Problem((), "the config is empty; it needs at least base_model and datasets")], source
        )
    if not isinstance(read.data, dict):
        kind = "a list" if isinstance(read.data, list) else f"a single value ({type(read.data).__name__})"
        raise ConfigError(
            [Problem((), f"the config must be a mapping of keys to values, not {kind}", line=1)], source
        )
    return read.data


def save_config(
    config: FtuiConfig, path: str | Path, document: Any = None, source: YamlRead | None = None
) -> list[str]:
    """Write `config` as Axolotl-compatible YAML, atomically. Returns warnings (e.g. secrets left out).

    When the config still means what its file said (`source`, from `LoadedConfig.source` - or, when not
    given, the file already at `path`), the file's text is written back unchanged, byte for byte (comments,
    order, repeated keys). Otherwise its round-trip document is updated in place: comments and key order
    stay, new keys go at the end, a key written twice is written once with its value.

    Secrets (core/config/secrets.py): the secret lines of the file at `path` stay as they are (it is the
    user's file); a secret that file does not hold is left out, with a note (a save to another path).
    `source` must be what the file at `path` held.
    """
    path = Path(path).expanduser()
    data = config.to_yaml_dict()
    # Attribute assignments are not validated one by one (a wizard sets related keys in steps):
    # check the whole config before it reaches the file, so a save never writes a config that cannot load.
    problems = [p for p in _validate(normalize_legacy(data)[0])[1] if p.severity == "error"]
    if problems:
        raise ConfigError(problems, str(path), hint="the config was not saved; fix these values first")
    if source is None and document is None and path.is_file():
        try:
            source = read_yaml(read_config_text(path), str(path))
        except (ConfigUserError, OSError):
            source = None
    existing = source.data if source is not None and isinstance(source.data, dict) else {}
    kept = {k: v for k, v in existing.items() if is_secret(k, v)}
    dropped = sorted(k for k, v in secrets_of(config).items() if kept.get(k) != v)
    data = {**data, **kept}
    baseline = _baseline(source.data) if source is not None else None
    if baseline is not None:
        baseline = {**baseline, **kept}
    if source is not None and baseline is not None and _same_meaning(baseline, data) and not dropped:
        atomic_write_text(path, source.text)
    else:
        if document is None and source is not None:
            import copy

            document = copy.deepcopy(source.document)
        if not isinstance(document, dict):
            from ruamel.yaml.comments import CommentedMap

            document = CommentedMap()
        merge_into(document, data, baseline)
        atomic_write_text(path, dump_document(document))
    return [dropped_note(path, key) for key in dropped]


def same_meaning(a: Any, b: Any) -> bool:
    """Two plain configs (or parts) say the same: equal keys and values, 1 == 1.0 but true is not 1."""
    return _same_meaning(a, b)


def _same_meaning(a: Any, b: Any) -> bool:
    from ftui.core.config.yaml_write import _same

    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same_meaning(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same_meaning(x, y) for x, y in zip(a, b, strict=True))
    return _same(a, b)


def _baseline(data: Any) -> dict[str, Any] | None:
    """What a file meant when read, normalized like `to_yaml_dict`, or None when it was not valid."""
    if not isinstance(data, dict):
        return None
    try:
        return FtuiConfig.model_validate(normalize_legacy(data)[0], context={SKIP_RULES: True}).to_yaml_dict()
    except (ValueError, TypeError):
        return None


# --- validation ----------------------------------------------------------------------------------------------

# Stand-ins for required keys that failed, so the cross-field rules can still run on the rest.
_STAND_INS: dict[str, Any] = {"base_model": "stand-in", "datasets": [{"path": "stand-in"}]}


def _validate(data: dict[str, Any]) -> tuple[FtuiConfig | None, list[Problem]]:
    """The config and all problems: field errors first; cross-field rules on whatever fields are valid."""
    context = {SKIP_RULES: True}
    try:
        config = FtuiConfig.model_validate(data, context=context)
        return config, check_rules(config)
    except ValidationError as err:
        problems = _field_problems(err, data)
    from ftui.core.config.data_rules import dataset_type_problems

    known = {p.path for p in problems}
    problems += [p for p in dataset_type_problems(data) if p.path not in known]
    bad_top = {p.path[0] for p in problems if p.path}
    rest = {k: v for k, v in data.items() if k not in bad_top}
    for key, stand_in in _STAND_INS.items():
        if key in bad_top:
            rest[key] = stand_in
    try:
        partial = FtuiConfig.model_validate(rest, context=context)
    except ValidationError:
        return None, problems
    rule_problems = [p for p in check_rules(partial) if not p.path or p.path[0] not in bad_top]
    return None, problems + [p for p in rule_problems if p.severity == "error"]


def _field_problems(err: ValidationError, data: dict[str, Any]) -> list[Problem]:
    """pydantic errors -> one Problem per key path (the alternatives of a union merged into one)."""
    by_path: dict[KeyPath, list[dict[str, Any]]] = {}
    for item in err.errors(include_url=False):
        path = _data_path(item["loc"], data)
        by_path.setdefault(path, []).append(item)
    problems = []
    for path, items in by_path.items():
        messages = list(dict.fromkeys(_message(i) for i in items))
        if len(messages) == 1:
            text = messages[0]
        else:
            text = f"invalid value {_short(items[0].get('input'))}: expected " + ", or ".join(
                m[0].lower() + m[1:] for m in messages
            )
        if (
            len(items) == 1
            and items[0]["type"] not in ("value_error", "missing")
            and _is_scalar(items[0].get("input"))
            and items[0].get("input") is not None
        ):
            text += f" (got {_short(items[0]['input'])})"
        problems.append(Problem(path, text))
    return problems


def _data_path(loc: tuple[Any, ...], data: Any) -> KeyPath:
    """The part of pydantic's `loc` that names keys in the document (drops union member names)."""
    path: list[str | int] = []
    node = data
    for i, part in enumerate(loc):
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
        elif isinstance(node, dict) and i == len(loc) - 1:
            path.append(part)  # a missing required key: name it
            break
        elif isinstance(node, dict):
            continue  # a union member's name, e.g. 'DatasetTypeFormat'
        else:
            break
        path.append(part)
    return tuple(path)


def _message(item: dict[str, Any]) -> str:
    if item["type"] == "missing":
        return "required key is missing"
    msg = str(item["msg"])
    for prefix in ("Value error, ", "Assertion failed, "):
        if msg.startswith(prefix):
            msg = msg[len(prefix) :]
    if item.get("input", ...) is None and msg.startswith("Input should be"):
        return "is empty but needs a value"
    return msg.replace("Input should be", "must be", 1)


def _is_scalar(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float | bool)


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
