"""load_config / parse_config: YAML file -> `FtuiConfig`, with every problem located (saving: save.py).

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
from ftui.core.config.errors import ConfigError, Problem
from ftui.core.config.legacy import normalize_legacy
from ftui.core.config.schema import FtuiConfig
from ftui.core.config.sections import DatasetConfig
from ftui.core.config.validate import validate
from ftui.core.config.yaml_io import YamlRead, read_yaml
from ftui.core.errors import ConfigUserError


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
        from ftui.core.config.save import save_config  # save.py reads files with this module

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
    config, problems = validate(data)
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
