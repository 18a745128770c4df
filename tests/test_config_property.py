"""Property-based: whatever YAML arrives, loading either succeeds or raises ConfigError - nothing else."""

from __future__ import annotations

import io
import math

import pytest
from ftui.core.config import ConfigError, FtuiConfig, parse_config, save_config
from ftui.core.config.schema import DatasetConfig
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

FIELDS = sorted(FtuiConfig.model_fields)
DATASET_FIELDS = sorted(DatasetConfig.model_fields)
SETTINGS = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.sampled_from(
        ["lora", "qlora", "none", "auto", "alpaca", "chat_template", "cosine", "adamw_torch", "jinja"]
    ),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.text(max_size=10) | st.sampled_from(DATASET_FIELDS), inner, max_size=4),
    ),
    max_leaves=12,
)


def dump(data: object) -> str:
    stream = io.StringIO()
    YAML(typ="safe", pure=True).dump(data, stream)
    return stream.getvalue()


def load_only_config_errors(text: str) -> None:
    try:
        parse_config(text, source="fuzz.yml")
    except ConfigError as err:
        assert err.problems or err.message  # a real, readable report
        assert err.exit_code == 2


@SETTINGS
@given(st.text(max_size=200))
def test_random_text_only_raises_config_error(text):
    load_only_config_errors(text)


@SETTINGS
@given(st.binary(max_size=120))
def test_random_bytes_decoded_only_raise_config_error(raw):
    load_only_config_errors(raw.decode("utf-8", errors="replace"))


@SETTINGS
@given(st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=12), values, max_size=8))
def test_random_values_for_known_keys_only_raise_config_error(data):
    load_only_config_errors(dump(data))


@SETTINGS
@given(
    st.dictionaries(st.sampled_from(FIELDS), values, max_size=5),
    st.lists(st.dictionaries(st.sampled_from(DATASET_FIELDS), values, max_size=5), max_size=3),
)
def test_random_values_around_a_valid_core_only_raise_config_error(extra, datasets):
    data = {"base_model": "m", "datasets": [{"path": "d.json"}, *datasets], **extra}
    load_only_config_errors(dump(data))


finite = st.floats(min_value=1e-7, max_value=1.0, allow_nan=False)


@SETTINGS
@given(
    lora_r=st.integers(1, 512),
    learning_rate=finite,
    micro_batch_size=st.integers(1, 64),
    sequence_len=st.integers(16, 65536),
    adapter=st.sampled_from(["lora", "none", None]),
    dataset_type=st.sampled_from(["alpaca", "chat_template", "completion", None]),
    extra_key=st.text(alphabet="abcdefghij_", min_size=3, max_size=10),
)
def test_valid_configs_round_trip(tmp_path_factory, lora_r, learning_rate, micro_batch_size, sequence_len, adapter,
                                  dataset_type, extra_key):  # fmt: skip
    data = {
        "base_model": "m",
        "datasets": [{"path": "d.json", "type": dataset_type}],
        "adapter": adapter,
        "lora_r": lora_r,
        "learning_rate": learning_rate,
        "micro_batch_size": micro_batch_size,
        "sequence_len": sequence_len,
    }
    data.setdefault(extra_key, "kept")
    first = parse_config(dump(data)).config
    path = tmp_path_factory.mktemp("rt") / "c.yml"
    save_config(first, path)
    second = parse_config(path.read_text()).config
    assert second == first
    assert math.isclose(second.learning_rate, learning_rate)
    assert second.extra_keys.get(extra_key, "kept") == first.extra_keys.get(extra_key, "kept")


ODD_VALUES = [True, False, 3.5, -1, 0, {"a": 1}, [1, {"a": "b"}], ["x"], "", "zz", [], {}, [None], 10**30]
VALID = {"base_model": "embedded", "datasets": [{"path": "d.jsonl", "type": "alpaca"}]}


def test_every_key_with_every_odd_value_only_raises_config_error():
    """Every schema key (top level, with and without `rl: dpo`, and in a dataset entry) given each value of
    the wrong kind: a ConfigError or a config, never a TypeError (found by the property test above:
    `dpo_loss_type: true` raised one)."""
    for key in FIELDS:
        for value in ODD_VALUES:
            for extra in ({}, {"rl": "dpo"}):
                load_only_config_errors(dump({**VALID, **extra, key: value}))
    for key in DATASET_FIELDS:
        for value in ODD_VALUES:
            entry = {"path": "d.jsonl", "type": "alpaca", key: value}
            load_only_config_errors(dump({**VALID, "datasets": [entry]}))


def test_dpo_loss_type_of_the_wrong_kind_is_one_config_error():
    expected = r"dpo_loss_type: must be a DPO loss name or a list of them, not True"
    with pytest.raises(ConfigError, match=expected):
        parse_config(dump({**VALID, "rl": "dpo", "dpo_loss_type": True}), source="fuzz.yml")
