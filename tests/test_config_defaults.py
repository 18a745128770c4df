"""Each default lives once, in the schema: the trainer's settings, the estimator's input and the wizard's
starter config read it from there or are held to it here (issue 12)."""

from __future__ import annotations

from dataclasses import MISSING, fields

from ftui.core.config import FtuiConfig
from ftui.core.config.schema import WHEN_UNSET, default_of, effective_default
from ftui.core.memory.inputs import EstimateInput
from ftui.core.starter import SCHEMA_DEFAULTS_SHOWN, STARTER_CHOICES, starter_config
from ftui.core.train.settings import TrainSettings

DATA = [{"path": "d.jsonl", "type": "alpaca"}]


def _schema_defaults() -> dict:
    return {k: default_of(k) for k in FtuiConfig.model_fields}


def _dataclass_defaults(cls: type) -> dict:
    return {f.name: f.default for f in fields(cls) if f.default is not MISSING}


def test_train_settings_defaults_are_the_schemas() -> None:
    """Every TrainSettings default that is not None is core's effective default (schema, else WHEN_UNSET),
    and every key of WHEN_UNSET is one TrainSettings reads with that value."""
    effective = {k: effective_default(k) for k in FtuiConfig.model_fields}
    mine = _dataclass_defaults(TrainSettings)
    required = {k for k, f in FtuiConfig.model_fields.items() if f.is_required()}  # base_model: no default
    shared = {k: v for k, v in mine.items() if k in effective and v is not None and k not in required}
    assert len(shared) > 20, "TrainSettings shares keys with the schema"
    assert {k: effective[k] for k in shared} == shared
    assert {k: mine[k] for k in WHEN_UNSET} == WHEN_UNSET
    assert all(default_of(k) is None for k in WHEN_UNSET), "WHEN_UNSET is only for keys the schema leaves None"
    unset_literals = {k for k, v in shared.items() if effective[k] is None}
    assert not unset_literals


def test_a_plain_dict_trains_with_the_defaults_of_a_file() -> None:
    from_dict = TrainSettings.from_config({"base_model": "m", "datasets": DATA})
    from_file = TrainSettings.from_config(FtuiConfig(base_model="m", datasets=DATA))
    for f in fields(TrainSettings):
        if f.name != "raw":
            assert getattr(from_dict, f.name) == getattr(from_file, f.name), f.name


def test_estimate_input_defaults_are_the_schemas() -> None:
    """EstimateInput stays importable without the schema (`ftui estimate --model` is quick), so its
    defaults are literals; they must be the schema's wherever the schema sets one."""
    schema = _schema_defaults()
    shared = {k: v for k, v in _dataclass_defaults(EstimateInput).items() if schema.get(k) is not None}
    assert {"sequence_len", "lora_r", "lora_dropout", "micro_batch_size"} <= set(shared)
    assert {k: schema[k] for k in shared} == shared
    assert EstimateInput.from_config({}) == EstimateInput()
    assert EstimateInput.from_config(FtuiConfig(base_model="embedded", datasets=DATA)) == EstimateInput()


def test_starter_config_spells_out_schema_defaults_and_its_own_choices() -> None:
    assert {k: default_of(k) for k in SCHEMA_DEFAULTS_SHOWN} == SCHEMA_DEFAULTS_SHOWN
    different = {k for k, v in STARTER_CHOICES.items() if v != default_of(k)}
    assert different == set(STARTER_CHOICES) - {"datasets"}  # every choice differs from the schema on purpose
    assert starter_config() is not starter_config()
    assert FtuiConfig(**{**starter_config(), "datasets": DATA})
