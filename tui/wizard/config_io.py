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
    from ftui.core.config.loader import read_config_text
    from ftui.core.config.yaml_io import read_yaml

    text = read_config_text(path)
    read = read_yaml(text, str(path))  # bad YAML syntax is a user error, reported by the CLI
    if not isinstance(read.data, dict):
        raise ConfigUserError(f"{path}: the config must be a mapping of keys to values")
    # values are edited in place: they must not be the source's own (unchanged-file) data
    state = WizardState(
        values=copy.deepcopy(read.data), source_path=Path(path), document=read.document, source=read
    )
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
    """The YAML as it will be saved (the loaded file's comments and key order kept; an untouched file is
    its own text, byte for byte)."""
    from ftui.core.config.save import same_meaning
    from ftui.core.config.yaml_write import dump_document, merge_into

    if state.source is not None and same_meaning(state.source.data, yaml_data(state)):
        return state.source.text
    document = copy.deepcopy(state.document) if isinstance(state.document, dict) else None
    if document is None:
        from ruamel.yaml.comments import CommentedMap

        document = CommentedMap()
    return dump_document(merge_into(document, yaml_data(state)))


@lru_cache(maxsize=8)
def _report_of(text: str, base_dir: str, source: str) -> tuple[tuple, tuple[str, ...], tuple[str, ...]]:
    """((severity, key, message) problems, ignored `key: reason`, unsupported `key: feature - why`)
    of a config's YAML text - the same lists `ftui check` and `ftui train` show."""
    from ftui.core.config import ConfigError, parse_config
    from ftui.core.config.train_gate import ignored_lines

    try:
        loaded = parse_config(text, source=source, base_dir=base_dir)
    except ConfigError as err:
        return tuple(("error", p.key, p.message) for p in err.problems), (), ()
    except UserError as err:
        return (("error", "", err.message),), (), ()
    problems = tuple(("warning", "", w) for w in loaded.warnings)
    unsupported = tuple(f"{u.key}: {u.feature} - {u.message}" for u in loaded.unsupported)
    return problems, tuple(ignored_lines(loaded.ignored)), unsupported


def _problems_of(text: str, base_dir: str, source: str) -> tuple[tuple[str, str, str], ...]:
    """(severity, key, message) for every problem of a config's YAML text."""
    return _report_of(text, base_dir, source)[0]


def config_lists(state: WizardState) -> tuple[list[str], list[str]]:
    """(ignored keys with why, unsupported features with why) of the config as it stands."""
    source = state.source_path.name if state.source_path else "new config"
    _, ignored, unsupported = _report_of(config_yaml(state), str(base_dir(state)), source)
    return list(ignored), list(unsupported)


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
    """The schema's default (core's `default_of`); None for a key that is not a field (pseudo keys)."""
    from ftui.core.config.schema import default_of

    try:
        return default_of(key)
    except KeyError:
        return None


def default_save_path(state: WizardState) -> str:
    """Over the file it came from; a shipped config (the demo) is saved into the working directory."""
    from ftui.core.paths import inside_package

    if state.source_path and inside_package(state.source_path):
        return state.source_path.name
    return str(state.source_path) if state.source_path else "ftui-config.yml"


def run_config_path(state: WizardState) -> Path:
    """Where Launch saves the YAML: `config.yml` inside the output dir, which is relative to the working
    directory (as for `ftui train` and Axolotl; core/config/relocate.py)."""
    from ftui.core.config.relocate import output_path
    from ftui.core.runs.layout import CONFIG_FILE

    return output_path(state.get("output_dir")) / CONFIG_FILE


def relocated(state: WizardState, new_base: Path, run_copy: bool = False) -> WizardState:
    """A copy whose relative paths still point at the same files when saved into another folder (core's
    list of path keys). A run copy also gets `output_dir` absolute: the run folder itself."""
    from ftui.core.config.relocate import rebased

    old_base = base_dir(state)
    if new_base.resolve() == old_base and not run_copy:
        return state
    moved = copy.deepcopy(state)
    moved.values = rebased(state.values, old_base, cwd=Path.cwd() if run_copy else None)
    return moved


def save_state(state: WizardState, path: Path, run_copy: bool = False) -> tuple[Path, list[str]]:
    """Validate and save; raises ConfigError (every problem) when the config is not valid yet.

    Saved into another folder than the config came from, relative paths are made absolute so they still work;
    `run_copy` (Launch) makes `output_dir` absolute too.
    """
    from ftui.core.config import parse_config, save_config
    from ftui.core.paths import refuse_package_write
    from ftui.core.train.write_errors import file_write_error

    path = Path(path).expanduser()
    refuse_package_write(path, "the config file")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        target = relocated(state, path.parent, run_copy=run_copy)
        loaded = parse_config(config_yaml(target), source=str(path), base_dir=path.resolve().parent)
        same_file = bool(state.source_path) and path.resolve() == state.source_path.resolve()
        document = copy.deepcopy(state.document) if same_file else None
        notes = save_config(
            loaded.config, path, document=document, source=state.source if same_file else None
        )
    except OSError as err:  # disk full, permission denied, read-only, a file where a folder should be
        raise file_write_error(
            err, "the config", path, "choose another path, or free space / fix the folder's permissions"
        ) from None
    return path, notes
