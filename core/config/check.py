"""`ftui check`: validate a config without loading a model or touching the network, and say what ftui will
do with it. Never raises for anything in the user's file: a missing file, broken YAML, bad values and
missing data all become items of the report. What the machine lacks is machine_checks.py, the summary
summary.py.

`ok` is true exactly when there are no errors (the config opens: the wizard can show it and `estimate` can
run). Files, models and tokenizers that cannot be found here are warnings, never errors: the config may be
meant for another machine. Unsupported features keep `ok` true; `ftui train` refuses them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ftui.core.config.classify import IgnoredKey, UnsupportedUse
from ftui.core.config.errors import ConfigError, Problem
from ftui.core.config.machine_checks import find_inputs, kernels_here
from ftui.core.config.summary import describe
from ftui.core.errors import UserError


@dataclass
class CheckReport:
    path: str
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    ignored: list[IgnoredKey] = field(default_factory=list)
    unsupported: list[UnsupportedUse] = field(default_factory=list)
    summary: list[str] = field(default_factory=list)  # what ftui will do, one line per point

    @property
    def ok(self) -> bool:
        return not self.errors

    def as_json(self) -> dict[str, Any]:
        def item(p: Problem) -> dict[str, Any]:
            return {"line": p.line, "key": p.key or None, "message": p.message}

        return {
            "ok": self.ok,
            "errors": [item(p) for p in self.errors],
            "warnings": [item(p) for p in self.warnings],
            "ignored_keys": [i.key for i in self.ignored],
            "unsupported": [
                {"feature": u.feature, "key": u.key, "message": u.message} for u in self.unsupported
            ],
        }


def check_config(path: str | Path) -> CheckReport:
    """Everything `ftui check` reports about one config file."""
    from ftui.core.config.classify import classify, ignored_plugins
    from ftui.core.config.loader import load_config, read_config_text
    from ftui.core.config.schema import FtuiConfig
    from ftui.core.config.sections import DatasetConfig
    from ftui.core.config.yaml_io import read_yaml

    report = CheckReport(path=str(path))
    try:
        loaded = load_config(path)
    except ConfigError as err:
        report.errors = list(err.problems)
        report.warnings = list(err.warnings)
        try:  # the keys can still be sorted when the YAML itself reads
            read = read_yaml(read_config_text(path), str(path))
        except UserError:
            return report
        if isinstance(read.data, dict):
            notes = classify(read.data, set(FtuiConfig.model_fields), set(DatasetConfig.model_fields))
            report.ignored = notes.ignored + ignored_plugins(read.data)
            report.unsupported = notes.unsupported
        return report
    except UserError as err:  # not found, a folder, unreadable
        report.errors = [Problem((), err.message + (f" ({err.hint})" if err.hint else ""))]
        return report
    report.warnings = list(loaded.notes)
    report.ignored = list(loaded.ignored)
    report.unsupported = list(loaded.unsupported)
    report.warnings += find_inputs(loaded.config, loaded.source)
    report.unsupported += kernels_here(loaded.config)
    report.summary = describe(loaded.config)
    return report
