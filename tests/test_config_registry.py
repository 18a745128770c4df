"""The registry of ignored keys and unsupported features holds every key Axolotl knows, exactly once, and
the generated Axolotl/transformers lists under templates/axolotl/ are what those libraries say."""

from __future__ import annotations

import pytest
from ftui.core.config import FtuiConfig, ignored_keys, known_keys, parse_config, unsupported
from ftui.core.config.choices import (
    axolotl_chat_templates,
    is_secret_key,
    optimizer_names,
    transformers_optimizers,
)
from ftui.core.config.sections import DatasetConfig

BASE = "base_model: m\ndatasets:\n  - path: d.json\n"


def places(key: str) -> list[str]:
    found = []
    if key in FtuiConfig.model_fields:
        found.append("field")
    if key in ignored_keys.IGNORED_REASON:
        found.append("ignored")
    if key in unsupported.FEATURE_OF_KEY:
        found.append("unsupported")
    if not found and is_secret_key(key):
        found.append("secret")
    return found


def test_every_key_axolotl_knows_has_exactly_one_place():
    wrong = {key: places(key) for key in known_keys.documented_keys() if len(places(key)) != 1}
    assert wrong == {}


def test_the_registry_names_only_keys_axolotl_knows():
    listed = set(ignored_keys.IGNORED_REASON) | set(unsupported.FEATURE_OF_KEY)
    assert sorted(listed - known_keys.documented_keys()) == []


def test_every_dataset_key_axolotl_knows_has_exactly_one_place():
    fields = set(DatasetConfig.model_fields)
    for key in known_keys.documented_dataset_keys():
        homes = [
            key in fields,
            key in ignored_keys.IGNORED_DATASET_REASON,
            key in unsupported.DATASET_FEATURE_OF_KEY,
        ]
        assert sum(homes) == 1, key
    listed = set(ignored_keys.IGNORED_DATASET_REASON) | set(unsupported.DATASET_FEATURE_OF_KEY)
    assert sorted(listed - known_keys.documented_dataset_keys()) == []


def test_the_key_lists_were_generated_from_axolotl():
    data = known_keys.axolotl_keys()
    assert data["current"]["axolotl"] == "0.19.0" and len(data["current"]["top"]) > 380
    assert "attn_implementation" in data["current"]["top"] and "xformers_attention" in data["current"]["top"]
    assert "unsloth_lora_mlp" in data["legacy"]["top"]  # 0.4.x-era keys the current schema dropped
    assert data["history"]["keys"]["eval_table_max_new_tokens"] == "v0.4.0"


def test_optimizer_list_matches_transformers():
    from transformers.training_args import OptimizerNames

    assert set(transformers_optimizers()) == {o.value for o in OptimizerNames}
    for name in (
        "adamw_torch_8bit",
        "adamw_torch_4bit",
        "galore_adamw_8bit",
        "adopt_adamw",
        "muon",
        "adamw_hf",
    ):
        assert name in optimizer_names()


@pytest.mark.parametrize("rl", known_keys.axolotl_keys()["current"]["rl"])
def test_every_rl_method_opens_and_only_online_rl_is_unsupported(rl):
    from ftui.core.preference.methods import METHODS

    batch = "micro_batch_size: 2\n" if rl == "kto" else ""  # KTO's KL term needs a second row in the batch
    loaded = parse_config(BASE + f"rl: {rl}\n" + batch)
    expected = [] if rl in METHODS else [f"preference/RL training (rl: {rl})"]
    assert [u.feature for u in loaded.unsupported] == expected
    assert loaded.unknown_keys == []


def test_every_axolotl_rl_value_has_a_place():
    from ftui.core.preference.methods import RL_CHOICES

    assert set(known_keys.axolotl_keys()["current"]["rl"]) <= set(RL_CHOICES)


def test_empty_or_neutral_values_ask_for_nothing():
    loaded = parse_config(BASE + "rl:\ncontext_parallel_size: 1\nqat:\nreward_model: false\n")
    assert loaded.unsupported == [] and loaded.ignored_keys == []


def test_ignored_keys_carry_their_reason_and_plugins_are_sorted():
    text = BASE + (
        "liger_cross_entropy: true\nddp_timeout: 600\nplugins:\n  - axolotl.integrations.liger.LigerPlugin\n"
        "  - axolotl.integrations.diffusion.DiffusionPlugin\n  - my_pkg.MyPlugin\n"
    )
    loaded = parse_config(text)
    assert loaded.ignored_keys == ["liger_cross_entropy", "ddp_timeout", "plugins[0]"]
    assert [u.key for u in loaded.unsupported] == ["plugins[1]", "plugins[2]"]
    assert "Python code ftui does not run" in loaded.unsupported[1].feature


@pytest.mark.parametrize(
    ("text", "feature"),
    [
        ("optimizer: adopt_adamw\n", "optimizer adopt_adamw"),
        ("lr_scheduler: rex\n", "lr_scheduler rex"),
        ("adapter: llama-adapter\n", "adapter llama-adapter"),
        ("    type: metharme\n", "dataset type metharme"),
        ("    type: my_strategies.load_rows\n", "dataset type my_strategies.load_rows"),
        ("    shards: 4\n", "dataset shards (shards)"),
        ("peft_use_dora: true\n", "a LoRA variant (DoRA, rsLoRA, layers_to_transform, fan_in_fan_out)"),
    ],
)
def test_values_that_ask_for_unsupported_features(text, feature):
    assert feature in [u.feature for u in parse_config(BASE + text).unsupported]


def test_a_typo_in_a_dataset_type_is_still_an_error_but_method_types_are_not():
    from ftui.core.config import ConfigError

    with pytest.raises(ConfigError, match="unknown dataset type 'alpacca'"):
        parse_config(BASE + "    type: alpacca\n")
    dpo = parse_config(BASE + "    type: chatml.intel\nrl: dpo\n")
    assert dpo.unsupported == []
    with pytest.raises(ConfigError, match="unknown dataset type 'chatml_intel'"):
        parse_config(BASE + "    type: chatml_intel\nrl: dpo\n")
    grpo = parse_config(BASE + "    type: my_rewards.transform\nrl: grpo\n")
    assert [u.key for u in grpo.unsupported] == ["rl"]


def test_every_axolotl_chat_template_name_is_accepted():
    for name in axolotl_chat_templates():
        assert parse_config(
            BASE + f"chat_template: {name}\n" + ("chat_template_jinja: x\n" if name == "jinja" else "")
        )


def test_legacy_sharegpt_names_its_conversation_and_refuses_unknown_ones():
    from ftui.core.config import ConfigError

    loaded = parse_config(BASE + "    type: sharegpt\n    conversation: vicuna_v1.1\n", source="c.yml")
    assert any("FastChat 'vicuna_v1.1' conversation" in w for w in loaded.warnings)
    with pytest.raises(ConfigError, match="unknown FastChat conversation 'alpacca' \\(did you mean 'alpaca'"):
        parse_config(BASE + "    type: sharegpt\n    conversation: alpacca\n")
    # without `conversation:`, plain sharegpt follows chat_template when it names a conversation
    with pytest.raises(ConfigError, match="unknown FastChat conversation 'qwen3'"):
        parse_config(BASE + "    type: sharegpt\nchat_template: qwen3\n")
