"""The one secret rule: which config keys hold credentials, and how every copy ftui writes leaves them out.

A secret is a top-level key with a string value whose name is a known credential spelling or ends in
`_token`, `_api_key`, `_secret` or `_password`. Nested keys (`special_tokens.eos_token`) never are, and
neither are non-string values (`hf_use_auth_token: true`). A secret is used for the run (in memory and
through the environment: `HF_TOKEN`, `WANDB_API_KEY`, ...) but never written: not into events, the run's
config.yml, estimate.json, launch.json, logs, checkpoints or tracker configs.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

# Known credential spellings (Axolotl's and the trackers'); the suffix rule covers the rest.
SECRET_KEYS: frozenset[str] = frozenset(
    {
        "hf_token",
        "huggingface_token",
        "hf_api_token",
        "hub_token",
        "token",
        "api_key",
        "wandb_api_key",
        "mlflow_tracking_token",
        "comet_api_key",
        "openai_api_key",
        "swanlab_api_key",
        "swanlab_lark_secret",
    }
)
SECRET_SUFFIXES: tuple[str, ...] = ("_token", "_api_key", "_secret", "_password")

# Where a secret travels to a trainer subprocess and to the libraries that read it (huggingface_hub, wandb,
# mlflow, comet); any other secret key travels as its upper-cased name.
ENV_NAMES: dict[str, str] = {
    "hf_token": "HF_TOKEN",
    "huggingface_token": "HF_TOKEN",
    "hf_api_token": "HF_TOKEN",
    "hub_token": "HF_TOKEN",
    "token": "HF_TOKEN",
}
MASK = "***"


def is_secret_key(key: Any) -> bool:
    """True for a credential-like key name (the value decides too: see `is_secret`)."""
    name = str(key).lower()
    return name in SECRET_KEYS or name.endswith(SECRET_SUFFIXES)


def is_secret(key: Any, value: Any) -> bool:
    """A top-level `key: value` that is a credential: a credential name with a non-empty string value."""
    return isinstance(value, str) and bool(value.strip()) and is_secret_key(key)


def secrets_of(data: Any) -> dict[str, str]:
    """The secret top-level keys of a config (a dict or an FtuiConfig) with their values."""
    if data is None:
        return {}
    if not isinstance(data, Mapping):
        names = getattr(type(data), "model_fields", None) or {}
        data = {**{k: getattr(data, k, None) for k in names}, **(getattr(data, "model_extra", None) or {})}
    return {str(k): v for k, v in data.items() if is_secret(k, v)}


def without_secrets(data: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of a plain config dict without its secret top-level keys (nested keys are left alone)."""
    return {k: v for k, v in data.items() if not is_secret(k, v)}


def env_name(key: str) -> str:
    return ENV_NAMES.get(key.lower(), key.upper())


def secret_env(data: Any) -> dict[str, str]:
    """The environment a trainer needs to use the config's secrets: {HF_TOKEN: ..., WANDB_API_KEY: ...}."""
    return {env_name(k): v for k, v in secrets_of(data).items()}


def scrub(value: Any, secrets: Iterable[str]) -> Any:
    """`value` (a string, or a dict/list of them) with every secret value replaced by ***."""
    needles = sorted({s for s in secrets if s}, key=len, reverse=True)
    if not needles:
        return value
    return _scrub(value, needles)


def _scrub(value: Any, needles: list[str]) -> Any:
    if isinstance(value, str):
        for needle in needles:
            if needle in value:
                value = value.replace(needle, MASK)
        return value
    if isinstance(value, dict):
        return {k: _scrub(v, needles) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_scrub(v, needles) for v in value]
    return value


def dropped_note(path: Any, key: str) -> str:
    """What a save says for a secret it left out of a file."""
    return (
        f"{path}: {key} was not written (a secret is never copied into another file); "
        f"set {env_name(key)} in the environment to use it with this file"
    )
