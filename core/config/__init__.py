"""The config: Axolotl-compatible YAML <-> a typed, validated `FtuiConfig`.

    loaded = load_config("config.yml")      # raises ConfigError (exit 2) listing every problem
    cfg = loaded.config                     # FtuiConfig; cfg.adapter_kind, cfg.effective_batch_size, ...
    loaded.warnings                         # "config.yml:7: unknown key `lora_alpah` (did you mean ...)"
    loaded.ignored, loaded.unsupported      # keys ftui does not act on; features `ftui train` refuses
    loaded.save()                           # atomic; an untouched file is written back byte for byte
    check_config("config.yml")              # what `ftui check` prints: never raises for a user's file

Importing this package never imports torch or transformers. docs/config.md documents every key.
"""

from ftui.core.config.check import CheckReport, check_config
from ftui.core.config.choices import (
    CHAT_TEMPLATE_ALIASES,
    DATASET_TYPES,
    LR_SCHEDULERS,
    chat_template_names,
    optimizer_names,
)
from ftui.core.config.classify import IgnoredKey, UnsupportedUse
from ftui.core.config.errors import ConfigError, Problem
from ftui.core.config.loader import LoadedConfig, load_config, parse_config
from ftui.core.config.save import save_config
from ftui.core.config.schema import (
    DatasetConfig,
    DatasetTypeFormat,
    FtuiConfig,
    PretrainingDatasetConfig,
    SpecialTokensConfig,
    canonical_chat_template,
)

__all__ = [
    "CHAT_TEMPLATE_ALIASES",
    "DATASET_TYPES",
    "LR_SCHEDULERS",
    "CheckReport",
    "ConfigError",
    "DatasetConfig",
    "DatasetTypeFormat",
    "FtuiConfig",
    "IgnoredKey",
    "LoadedConfig",
    "PretrainingDatasetConfig",
    "Problem",
    "SpecialTokensConfig",
    "UnsupportedUse",
    "canonical_chat_template",
    "chat_template_names",
    "check_config",
    "load_config",
    "optimizer_names",
    "parse_config",
    "save_config",
]
