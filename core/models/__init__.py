"""Models: where their files come from (`source`), their architecture facts (`catalog`, `lookup`) and exact
parameter counts (`params`). Importing this package never imports torch."""

from ftui.core.models.catalog import catalog, close_catalog_names
from ftui.core.models.facts import ModelFacts
from ftui.core.models.lookup import get_model_facts
from ftui.core.models.params import (
    ParamCounts,
    count_parameters,
    linear_module_names,
    lora_trainable_params,
    total_parameters,
)

__all__ = [
    "ModelFacts",
    "ParamCounts",
    "catalog",
    "close_catalog_names",
    "count_parameters",
    "get_model_facts",
    "linear_module_names",
    "lora_trainable_params",
    "total_parameters",
]
