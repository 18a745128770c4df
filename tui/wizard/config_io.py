"""The wizard state <-> core's config: load a YAML (even an invalid one) into the state, render the YAML,
validate it (each problem assigned to the step that can fix it), and save it Axolotl-compatible."""

from __future__ import annotations

import copy
from functools import lru_cache
from pathlib import Path
from typing import Any

from ftui.core.errors import ConfigUserError, UserError
from ftui.tui.wizard.state import WizardState

MODEL_KEYS = {
    "base_model",
    "base_model_config",
    "tokenizer_config",
    "tokenizer_type",
    "model_type",
    "trust_remote_code",
}
DATA_KEYS = {"datasets", "chat_template", "chat_template_jinja", "train_on_inputs", "dataset_prepared_path"}


def step_of_key(key: str) -> str:
    top = key.split(".")[0].split("[")[0]
    if top in MODEL_KEYS:
        return "model"
    if top in DATA_KEYS:
        return "data"
    return "settings"


def load_state(path: Path) -> WizardState:
    """A state pre-filled from a config file. An invalid file still opens: its problems show on the steps."""
    from ftui.core.config import ConfigError, parse_config
    from ftui.core.config.yaml_io import read_document, to_plain

    text = Path(path).expanduser().read_text(encoding="utf-8") if Path(path).expanduser().is_file() else None
    if text is None:
        raise ConfigUserError(
            f"config not found: {path}", "give the path of a YAML config file (e.g. config.yml)"
        )
    document = read_document(text, str(path))  # bad YAML syntax is a user error, reported by the CLI
    if not isinstance(document, dict):
        raise ConfigUserError(f"{path}: the config must be a mapping of keys to values")
    values = to_plain(document)
    state = WizardState(values=values, source_path=Path(path), document=document)
    try:
        loaded = parse_config(text, source=str(path), base_dir=Path(path).resolve().parent)
        state.unknown_keys = list(loaded.unknown_keys)
        state.ignored_keys = list(loaded.ignored_keys)
        state.load_warnings = list(loaded.warnings)
    except ConfigError as err:
        state.load_warnings = [p.text(str(path)) for p in err.problems]
    return state


def yaml_data(state: WizardState) -> dict[str, Any]:
    """What gets written: the values without empty dataset entries (key order kept)."""
    data = dict(state.values)
    data["datasets"] = [d for d in data.get("datasets") or [] if d]
    return data


def config_yaml(state: WizardState) -> str:
    """The YAML as it will be saved (the loaded file's comments and key order kept)."""
    from ftui.core.config.yaml_io import dump_document, merge_into

    document = copy.deepcopy(state.document) if isinstance(state.document, dict) else None
    if document is None:
        from ruamel.yaml.comments import CommentedMap

        document = CommentedMap()
    return dump_document(merge_into(document, yaml_data(state)))


@lru_cache(maxsize=8)
def _problems_of(text: str, base_dir: str, source: str) -> tuple[tuple[str, str, str], ...]:
    """(severity, key, message) for every problem of a config's YAML text."""
    from ftui.core.config import ConfigError, parse_config

    try:
        loaded = parse_config(text, source=source, base_dir=base_dir)
    except ConfigError as err:
        return tuple(("error", p.key, p.message) for p in err.problems)
    except UserError as err:
        return (("error", "", err.message),)
    return tuple(("warning", "", w) for w in loaded.warnings)


def all_problems(state: WizardState) -> list[tuple[str, str, str]]:
    source = state.source_path.name if state.source_path else "new config"
    return list(_problems_of(config_yaml(state), str(base_dir(state)), source))


def config_problems(state: WizardState, step: str) -> list[str]:
    """The config's validation errors that belong to `step` (as `key: message`)."""
    return [
        f"{key}: {message}" if key else message
        for severity, key, message in all_problems(state)
        if severity == "error" and step_of_key(key) == step
        and not (key == "datasets" and not state.dataset)  # the Data step says "choose data" itself
    ]  # fmt: skip


def review_warnings(state: WizardState) -> list[str]:
    """Warnings for the Review step: config warnings and the unknown keys that are kept as they are."""
    out = [message for severity, _, message in all_problems(state) if severity == "warning"]
    for key in state.unknown_keys:
        note = f"unknown key `{key}` is kept as it is in the saved file"
        if not any(key in w for w in out):
            out.append(note)
    return out


def base_dir(state: WizardState) -> Path:
    return state.source_path.resolve().parent if state.source_path else Path.cwd()


def schema_default(key: str) -> Any:
    from ftui.core.config import FtuiConfig

    field = FtuiConfig.model_fields.get(key)
    return None if field is None or field.is_required() else field.default


def default_save_path(state: WizardState) -> str:
    return str(state.source_path) if state.source_path else "ftui-config.yml"


def run_config_path(state: WizardState) -> Path:
    """Where Launch saves the YAML: `config.yml` inside the output dir (relative to the config's folder)."""
    output = Path(str(state.get("output_dir") or "./outputs/run")).expanduser()
    if not output.is_absolute():
        output = base_dir(state) / output
    return output / "config.yml"


PATH_KEYS = ("base_model", "output_dir", "dataset_prepared_path", "lora_model_dir")


def _absolute_if_local(value: Any, old_base: Path, must_exist: bool) -> Any:
    if not isinstance(value, str) or not value or Path(value).expanduser().is_absolute():
        return value
    candidate = old_base / value
    if must_exist and not candidate.exists():
        return value  # a hub id, not a path
    return str(candidate.resolve())


def relocated(state: WizardState, new_base: Path) -> WizardState:
    """A copy whose relative paths still point at the same files when saved into another folder."""
    old_base = base_dir(state)
    if new_base.resolve() == old_base:
        return state
    moved = copy.deepcopy(state)
    for key in PATH_KEYS:
        if key in moved.values:
            moved.values[key] = _absolute_if_local(
                moved.values[key], old_base, must_exist=key != "output_dir"
            )
    for entry in moved.values.get("datasets") or []:
        if isinstance(entry, dict) and "path" in entry:
            entry["path"] = _absolute_if_local(entry["path"], old_base, must_exist=True)
    return moved


def save_state(state: WizardState, path: Path) -> tuple[Path, list[str]]:
    """Validate and save; raises ConfigError (every problem) when the config is not valid yet.

    Saved into another folder than the config came from, relative paths are made absolute so they still work.
    """
    from ftui.core.config import parse_config, save_config

    path = Path(path).expanduser()
    path.parent.mkdir(parents=True, exist_ok=True)
    target = relocated(state, path.parent)
    loaded = parse_config(config_yaml(target), source=str(path), base_dir=path.resolve().parent)
    document = (
        copy.deepcopy(state.document)
        if state.source_path and path.resolve() == state.source_path.resolve()
        else None
    )
    notes = save_config(loaded.config, path, document=document)
    return path, notes
