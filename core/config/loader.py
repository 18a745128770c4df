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

from ftui.core.config.choices import IGNORED_AXOLOTL_KEYS, is_secret_key
from ftui.core.config.errors import ConfigError, KeyPath, Problem
from ftui.core.config.rules import check_rules
from ftui.core.config.schema import SKIP_RULES, DatasetConfig, FtuiConfig
from ftui.core.config.suggestions import did_you_mean
from ftui.core.config.yaml_io import (
    atomic_write_text,
    dump_document,
    line_of,
    merge_into,
    read_document,
    to_plain,
)
from ftui.core.errors import ConfigUserError
from pydantic import ValidationError

# Dataset-entry keys Axolotl has that ftui reads without acting on them.
IGNORED_DATASET_KEYS = frozenset(
    {
        "shards",
        "shards_idx",
        "preprocess_shards",
        "input_transform",
        "input_format",
        "temperature",
        "logprobs_field",
        "split_thinking",
        "field_thinking",
        "template_thinking_key",
        "train_on_split",
        "data_dir",
    }
)


@dataclass
class LoadedConfig:
    """A validated config and what the loader noticed about the file."""

    config: FtuiConfig
    path: Path | None
    warnings: list[str] = field(default_factory=list)
    unknown_keys: list[str] = field(default_factory=list)  # key paths, e.g. "lora_alpah", "datasets[0].feild"
    ignored_keys: list[str] = field(default_factory=list)  # accepted Axolotl keys ftui does not act on
    document: Any = None  # ruamel round-trip document (comments, order) used by save_config

    def save(self, path: str | Path | None = None) -> list[str]:
        """Save the (possibly edited) config back, over the file it came from by default."""
        target = path if path is not None else self.path
        if target is None:
            raise ValueError("no path to save to: this config was not loaded from a file")
        return save_config(self.config, target, document=self.document)


def load_config(path: str | Path) -> LoadedConfig:
    """Read and validate a YAML config file. Raises ConfigUserError/ConfigError (exit code 2)."""
    path = Path(path).expanduser()
    if not path.is_file():
        reason = "is a folder, not a file" if path.is_dir() else "not found"
        raise ConfigUserError(
            f"config {reason}: {path}", "give the path of a YAML config file (e.g. config.yml)"
        )
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as err:
        raise ConfigError([Problem((), f"not UTF-8 text (byte {err.start})")], str(path)) from None
    except OSError as err:
        raise ConfigUserError(f"cannot read config {path}: {err.strerror}") from None
    loaded = parse_config(text, source=str(path), base_dir=path.resolve().parent)
    loaded.path = path
    return loaded


def parse_config(text: str, source: str = "<string>", base_dir: str | Path | None = None) -> LoadedConfig:
    """Validate config YAML given as text; `source` names it in messages."""
    document = read_document(text, source)
    if document is None:
        raise ConfigError(
            [Problem((), "the config is empty; it needs at least base_model and datasets")], source
        )
    if not isinstance(document, dict):
        kind = "a list" if isinstance(document, list) else f"a single value ({type(document).__name__})"
        raise ConfigError(
            [Problem((), f"the config must be a mapping of keys to values, not {kind}", line=1)], source
        )
    try:
        data = to_plain(document)
    except ValueError as err:
        raise ConfigError([Problem((), str(err))], source) from None

    notes = _classify_keys(data)
    config, problems = _validate(data)
    for problem in problems:
        if problem.line is None:
            problem.line = line_of(document, problem.path)
    errors = [p for p in problems if p.severity == "error"]
    if errors:
        errors.sort(key=lambda p: (p.line or 0, p.key))
        for note in notes.warnings:  # a misspelt key often explains an error: show them together
            note.line = line_of(document, note.path)
        raise ConfigError(errors + notes.warnings, source)
    assert config is not None
    config.base_dir = Path(base_dir) if base_dir is not None else None

    warnings = []
    for problem in notes.warnings + [p for p in problems if p.severity == "warning"]:
        if problem.line is None:
            problem.line = line_of(document, problem.path)
        warnings.append(problem)
    warnings.sort(key=lambda p: p.line or 0)
    return LoadedConfig(
        config=config,
        path=None,
        warnings=[w.text(source) for w in warnings],
        unknown_keys=notes.unknown,
        ignored_keys=notes.ignored,
        document=document,
    )


def save_config(config: FtuiConfig, path: str | Path, document: Any = None) -> list[str]:
    """Write `config` as Axolotl-compatible YAML, atomically. Returns warnings (e.g. secrets left out).

    The user's comments and key order are kept: `document` (from `LoadedConfig.document`) - or, when not
    given, the file already at `path` - is updated in place; new keys go at the end.
    """
    path = Path(path).expanduser()
    data = config.to_yaml_dict()
    # Attribute assignments are not validated one by one (a wizard sets related keys in steps):
    # check the whole config before it reaches the file, so a save never writes a config that cannot load.
    problems = [p for p in _validate(data)[1] if p.severity == "error"]
    if problems:
        raise ConfigError(problems, str(path), hint="the config was not saved; fix these values first")
    if document is None and path.is_file():
        try:
            document = read_document(path.read_text(encoding="utf-8"), str(path))
        except (ConfigUserError, OSError, UnicodeDecodeError):
            document = None
    if not isinstance(document, dict):
        from ruamel.yaml.comments import CommentedMap

        document = CommentedMap()
    secrets = sorted(k for k in config.extra_keys if is_secret_key(k))
    merge_into(document, data, _baseline(document))
    atomic_write_text(path, dump_document(document))
    return [
        f"{path}: {key} was not written (secrets never go into config files); "
        "pass it through the environment instead (HF_TOKEN, WANDB_API_KEY)"
        for key in secrets
    ]


def _baseline(document: Any) -> dict[str, Any] | None:
    """What the document meant when read, normalized like `to_yaml_dict`, or None when it was not valid."""
    try:
        data = to_plain(document)
        return FtuiConfig.model_validate(data, context={SKIP_RULES: True}).to_yaml_dict()
    except (ValueError, TypeError):
        return None


# --- keys ----------------------------------------------------------------------------------------------------


@dataclass
class _KeyNotes:
    warnings: list[Problem] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)


def _classify_keys(data: dict[str, Any]) -> _KeyNotes:
    notes = _KeyNotes()
    top_fields = set(FtuiConfig.model_fields)
    for key in data:
        if key in top_fields:
            continue
        if key in IGNORED_AXOLOTL_KEYS:
            notes.ignored.append(key)
        elif is_secret_key(key):
            notes.warnings.append(
                Problem(
                    (key,),
                    "is a secret: it is used for this run but never written back to the file",
                    "warning",
                )
            )
        else:
            notes.unknown.append(key)
            notes.warnings.append(
                Problem((key,), f"unknown key `{key}`{did_you_mean(key, top_fields, '`')}", "warning")
            )
    datasets = data.get("datasets")
    if isinstance(datasets, list):
        ds_fields = set(DatasetConfig.model_fields)
        for i, entry in enumerate(datasets):
            if not isinstance(entry, dict):
                continue
            for key in entry:
                if key in ds_fields:
                    continue
                if key in IGNORED_DATASET_KEYS:
                    notes.ignored.append(f"datasets[{i}].{key}")
                    continue
                notes.unknown.append(f"datasets[{i}].{key}")
                notes.warnings.append(
                    Problem(
                        ("datasets", i, key),
                        f"unknown key `{key}`{did_you_mean(key, ds_fields, '`')}",
                        "warning",
                    )
                )
    return notes


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
