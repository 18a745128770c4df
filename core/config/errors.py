"""Config problems: each one knows its key path and YAML line; `ConfigError` reports them all at once."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from ftui.core.errors import ConfigUserError

KeyPath = tuple[str | int, ...]


def format_key_path(path: KeyPath) -> str:
    """('datasets', 0, 'type') -> 'datasets[0].type'."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


@dataclass
class Problem:
    """One thing wrong (or worth a warning) in a config, with where it is."""

    path: KeyPath
    message: str
    severity: Literal["error", "warning"] = "error"
    line: int | None = None  # 1-based line in the YAML file, when known
    column: int | None = None

    @property
    def key(self) -> str:
        return format_key_path(self.path)

    def text(self, source: str | None = None) -> str:
        """`config.yml:12: datasets[0].type: message` (`file:line:column:` for YAML syntax; unknown parts left out)."""
        where = ""
        if source is not None:
            where = source
            if self.line is not None:
                where += f":{self.line}" + (f":{self.column}" if self.column is not None else "")
            where += ": "
        key = f"{self.key}: " if self.path else ""
        level = "warning: " if self.severity == "warning" else ""
        return f"{where}{level}{key}{self.message}"


class ConfigError(ConfigUserError):
    """An invalid config. The message lists every problem, one per line, as `file:line: key: what`,
    followed by warnings (unknown keys) that may explain them. `problems` holds the errors."""

    def __init__(self, problems: list[Problem], source: str | None = None, hint: str | None = None) -> None:
        self.problems = [p for p in problems if p.severity == "error"]
        self.warnings = [p for p in problems if p.severity == "warning"]
        self.source = source
        lines = [p.text(source) for p in self.problems + self.warnings]
        if len(lines) == 1:
            message = lines[0]
        else:
            count = len(self.problems)
            head = f"{count} problem{'s' if count != 1 else ''} in {source or 'config'}:"
            message = head + "\n" + "\n".join(f"  {x}" for x in lines)
        super().__init__(message, hint or "fix the keys above; docs/config.md lists every key and its values")
