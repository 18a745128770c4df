"""save_config: `FtuiConfig` -> Axolotl-compatible YAML on disk, atomically, keeping the user's file: the same
bytes when the meaning did not change, otherwise comments and key order kept; secrets never written anew.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ftui.core.config.errors import ConfigError
from ftui.core.config.legacy import normalize_legacy
from ftui.core.config.loader import read_config_text
from ftui.core.config.schema import SKIP_RULES, FtuiConfig
from ftui.core.config.secrets import dropped_note, is_secret, secrets_of
from ftui.core.config.validate import validate
from ftui.core.config.yaml_io import YamlRead, read_yaml
from ftui.core.config.yaml_write import atomic_write_text, dump_document, merge_into
from ftui.core.errors import ConfigUserError


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
    problems = [p for p in validate(normalize_legacy(data)[0])[1] if p.severity == "error"]
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
