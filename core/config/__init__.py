"""The config: Axolotl-compatible YAML <-> a typed, validated `FtuiConfig`.

    loaded = load_config("config.yml")      # raises ConfigError (exit 2) listing every problem
    cfg = loaded.config                     # FtuiConfig; cfg.adapter_kind, cfg.effective_batch_size, ...
    loaded.warnings                         # "config.yml:7: unknown key `lora_alpah` (did you mean ...)"
    loaded.save()                           # atomic; keeps the user's comments and key order

Importing this package never imports torch or transformers. docs/config.md documents every key.
"""

from ftui.core.config.choices import (
    CHAT_TEMPLATE_ALIASES,
    CHAT_TEMPLATES,
    DATASET_TYPES,
    IGNORED_AXOLOTL_KEYS,
    LR_SCHEDULERS,
    OPTIMIZERS,
)
from ftui.core.config.errors import ConfigError, Problem
from ftui.core.config.loader import LoadedConfig, load_config, parse_config, save_config
from ftui.core.config.schema import (
    DatasetConfig,
    DatasetTypeFormat,
    FtuiConfig,
    SpecialTokensConfig,
    canonical_chat_template,
)

__all__ = [
    "CHAT_TEMPLATES",
    "CHAT_TEMPLATE_ALIASES",
    "DATASET_TYPES",
    "IGNORED_AXOLOTL_KEYS",
    "LR_SCHEDULERS",
    "OPTIMIZERS",
    "ConfigError",
    "DatasetConfig",
    "DatasetTypeFormat",
    "FtuiConfig",
    "LoadedConfig",
    "Problem",
    "SpecialTokensConfig",
    "canonical_chat_template",
    "load_config",
    "parse_config",
    "save_config",
]
