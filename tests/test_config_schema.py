"""The config schema: Axolotl keys load, defaults, accessors, direct construction."""

from __future__ import annotations

from pathlib import Path

import pytest
from ftui.core.config import (
    ConfigError,
    DatasetConfig,
    DatasetTypeFormat,
    FtuiConfig,
    load_config,
    parse_config,
)
from ftui.core.errors import ConfigUserError

CONFIGS = Path(__file__).parent / "data" / "configs"
MINIMAL = "base_model: m\ndatasets:\n  - path: d.json\n"


def test_real_axolotl_qlora_config_loads_unchanged():
    loaded = load_config(CONFIGS / "axolotl_mistral_qlora.yml")
    cfg = loaded.config
    assert cfg.base_model == "mistralai/Mistral-7B-v0.1"
    assert cfg.model_type == "MistralForCausalLM"
    assert cfg.tokenizer_type == "LlamaTokenizer"
    assert cfg.adapter == "qlora" and cfg.is_qlora and cfg.is_lora and cfg.adapter_kind == "qlora"
    assert cfg.load_in_4bit is True and cfg.load_in_8bit is False
    assert cfg.lora_r == 32 and cfg.lora_alpha == 16 and cfg.lora_dropout == 0.05
    assert cfg.lora_model_dir is None
    assert cfg.lora_target_modules == [
        "gate_proj",
        "down_proj",
        "up_proj",
        "q_proj",
        "v_proj",
        "k_proj",
        "o_proj",
    ]
    assert cfg.sequence_len == 8192 and cfg.sample_packing and cfg.pad_to_sequence_len
    assert cfg.val_set_size == 0.1
    assert cfg.bf16 == "auto" and cfg.fp16 is False and cfg.tf32 is False
    assert ds_mappings(cfg) == {"role": "from", "content": "value"}
    assert cfg.optimizer == "adamw_bnb_8bit" and cfg.lr_scheduler == "cosine"
    assert cfg.learning_rate == pytest.approx(2e-4)
    assert cfg.num_epochs == 1.0 and cfg.warmup_steps == 10 and cfg.evals_per_epoch == 4
    assert cfg.saves_per_epoch == 1 and cfg.weight_decay == 0.0
    assert cfg.loss_watchdog_threshold == 5.0 and cfg.loss_watchdog_patience == 3
    assert cfg.wandb_project == "mistral-qlora" and cfg.wandb_entity is None and cfg.wandb_watch is None
    assert cfg.debug is False and cfg.strict is False  # `debug:` empty -> default
    assert cfg.deepspeed is None and cfg.fsdp is None and cfg.fsdp_config is None
    assert cfg.special_tokens.bos_token == "<s>" and cfg.special_tokens.eos_token == "</s>"
    assert cfg.special_tokens.unk_token == "<unk>" and cfg.special_tokens.pad_token is None
    assert cfg.effective_batch_size == 8
    assert cfg.report_targets == ["wandb"]

    ds = cfg.datasets[0]
    assert ds.type == "chat_template" and ds.type_name == "chat_template"
    assert ds.field_messages == "conversations"
    assert ds.message_property_mappings == {"role": "from", "content": "value"}
    assert ds.roles == {"user": ["human"], "assistant": ["gpt"], "system": ["system"]}
    assert ds.roles_to_train == ["assistant"] and ds.train_on_eos == "turn"
    assert ds.split == "train[:20%]"

    # keys that are empty or false ask for nothing, so only the one set key is listed as ignored
    assert loaded.ignored_keys == ["is_mistral_derived_model"]
    assert loaded.unknown_keys == []
    # the only warning: lora_target_linear together with an explicit module list
    assert len(loaded.warnings) == 1 and "lora_target_modules" in loaded.warnings[0]
    assert loaded.path == CONFIGS / "axolotl_mistral_qlora.yml"


def ds_mappings(cfg: FtuiConfig) -> dict[str, str]:
    return cfg.datasets[0].property_mappings


def test_legacy_message_fields_fold_into_mappings():
    text = MINIMAL + "    message_field_role: from\n    message_field_content: value\n"
    assert ds_mappings(parse_config(text).config) == {"role": "from", "content": "value"}
    assert ds_mappings(parse_config(MINIMAL).config) == {}


def test_tf32_accepts_auto():
    assert parse_config(MINIMAL + "tf32: auto\n").config.tf32 == "auto"


def test_defaults_are_axolotl_like():
    cfg = parse_config(MINIMAL).config
    assert cfg.trust_remote_code is False
    assert cfg.adapter is None and cfg.adapter_kind == "full" and not cfg.is_lora and not cfg.is_qlora
    assert cfg.sequence_len == 512
    assert cfg.micro_batch_size == 1 and cfg.gradient_accumulation_steps == 1 and cfg.num_epochs == 1.0
    assert cfg.val_set_size == 0.0
    assert cfg.output_dir == "./model-out"
    assert cfg.lr_scheduler == "cosine" and cfg.optimizer == "adamw_torch"
    assert cfg.train_on_inputs is False
    assert cfg.bf16 == "auto" and cfg.fp16 is None and cfg.tf32 is None  # None: automatic, like Axolotl
    assert cfg.excess_length_strategy == "drop"
    assert cfg.num_processes == 1
    assert cfg.report_targets == []
    assert cfg.datasets[0].trust_remote_code is False


@pytest.mark.parametrize("value", ["none", "None", "full", "", "~"])
def test_adapter_none_spellings_mean_full_fine_tune(value):
    cfg = parse_config(MINIMAL + f"adapter: {value}\n").config
    assert cfg.adapter is None and cfg.adapter_kind == "full"


def test_effective_batch_size_multiplies_processes():
    cfg = parse_config(
        MINIMAL + "micro_batch_size: 4\ngradient_accumulation_steps: 3\nnum_processes: 2\n"
    ).config
    assert cfg.effective_batch_size == 24


def test_base_dir_is_the_yaml_folder(tmp_path):
    folder = tmp_path / "proj"
    folder.mkdir()
    (folder / "c.yml").write_text(MINIMAL)
    cfg = load_config(folder / "c.yml").config
    assert cfg.base_dir == folder.resolve()
    assert cfg.resolve_path("d.json") == folder.resolve() / "d.json"
    assert cfg.resolve_path("/abs/x") == Path("/abs/x")
    assert parse_config(MINIMAL).config.base_dir == Path.cwd()


@pytest.mark.parametrize(
    ("extra", "targets"),
    [
        ("", []),
        ("wandb_project: p\n", ["wandb"]),
        ("use_tensorboard: true\n", ["tensorboard"]),
        ("wandb_project: p\nuse_tensorboard: true\n", ["wandb", "tensorboard"]),
        ("wandb_project: p\nreport_to: none\n", []),
        ("report_to: tensorboard\n", ["tensorboard"]),
        ("report_to: [wandb, tensorboard]\n", ["wandb", "tensorboard"]),
    ],
)
def test_report_targets_rule(extra, targets):
    assert parse_config(MINIMAL + extra).config.report_targets == targets


def test_val_set_size_fraction_or_count():
    assert parse_config(MINIMAL + "val_set_size: 0.05\n").config.val_set_size == 0.05
    count = parse_config(MINIMAL + "val_set_size: 100\n").config.val_set_size
    assert count == 100 and isinstance(count, int)
    for bad in ("1.5", "-0.1"):
        with pytest.raises(ConfigError, match="val_set_size"):
            parse_config(MINIMAL + f"val_set_size: {bad}\n")


def test_chat_template_names_and_aliases():
    for name in ("tokenizer_default", "chatml", "llama3", "mistral", "gemma", "phi3", "alpaca"):
        assert parse_config(MINIMAL + f"chat_template: {name}\n").config.chat_template_name == name
    assert parse_config(MINIMAL + "chat_template: phi_3\n").config.chat_template_name == "phi3"
    assert parse_config(MINIMAL + "chat_template: mistral_v1\n").config.chat_template_name == "mistral"
    fallback = parse_config(MINIMAL + "chat_template: tokenizer_default_fallback_chatml\n").config
    assert fallback.chat_template == "tokenizer_default_fallback_chatml"
    jinja = parse_config(MINIMAL + "chat_template_jinja: '{{ messages }}'\n").config
    assert jinja.chat_template_name == "jinja"


def test_custom_prompt_format_under_type():
    text = (
        "base_model: m\ndatasets:\n  - path: d.json\n    type:\n      field_instruction: q\n"
        "      field_output: a\n      format: '[INST] {instruction} [/INST]'\n"
    )
    ds = parse_config(text).config.datasets[0]
    assert isinstance(ds.type, DatasetTypeFormat)
    assert ds.type.field_instruction == "q" and ds.type.field_output == "a" and ds.type_name == "custom"


def test_single_strings_become_lists():
    text = MINIMAL.replace(
        "path: d.json", "path: d.json\n    roles_to_train: assistant\n    roles:\n      user: human"
    )
    cfg = parse_config(text + "lora_target_modules: q_proj\n").config
    assert cfg.lora_target_modules == ["q_proj"]
    assert cfg.datasets[0].roles_to_train == ["assistant"]
    assert cfg.datasets[0].roles == {"user": ["human"]}


def test_learning_rate_written_as_text_is_a_number():
    assert parse_config(MINIMAL + "learning_rate: '2e-5'\n").config.learning_rate == pytest.approx(2e-5)


def test_direct_construction_runs_the_rules():
    ok = FtuiConfig(base_model="m", datasets=[DatasetConfig(path="d.json")], adapter="lora")
    assert ok.adapter_kind == "lora"
    with pytest.raises(ValueError, match="qlora requires load_in_4bit"):
        FtuiConfig(base_model="m", datasets=[{"path": "d.json"}], adapter="qlora")


def test_to_yaml_dict_keeps_set_keys_and_unknown_keys_and_drops_secrets():
    text = MINIMAL + "lora_r: 16\nadapter: lora\nxformers_attention:\nmy_key: 3\nhf_token: hf_secret\n"
    loaded = parse_config(text)
    data = loaded.config.to_yaml_dict()
    assert data["lora_r"] == 16 and data["adapter"] == "lora"
    assert data["xformers_attention"] is None and data["my_key"] == 3
    assert "hf_token" not in data
    assert "sequence_len" not in data  # never set: the file stays as short as the user's
    assert loaded.config.extra_keys["hf_token"] == "hf_secret"  # still usable by the run
    assert any("hf_token" in w and "secret" in w for w in loaded.warnings)


def test_missing_file_is_a_user_error(tmp_path):
    missing = tmp_path / "nope.yml"
    with pytest.raises(ConfigUserError, match=f"config not found: {missing}") as info:
        load_config(missing)
    assert info.value.exit_code == 2
    with pytest.raises(ConfigUserError, match="is a folder"):
        load_config(tmp_path)


def test_config_error_is_a_config_user_error_with_exit_code_2():
    with pytest.raises(ConfigError) as info:
        parse_config("base_model: m\ndatasets: []\n")
    assert isinstance(info.value, ConfigUserError) and info.value.exit_code == 2
    assert "at least one dataset" in info.value.message


def test_every_key_is_documented():
    doc = (Path(__file__).parent.parent / "docs" / "config.md").read_text()
    for key in list(FtuiConfig.model_fields) + list(DatasetConfig.model_fields):
        assert f"`{key}`" in doc, f"docs/config.md does not mention `{key}`"


def test_numbers_where_text_is_expected_are_text(tmp_path):
    path = tmp_path / "c.yml"
    path.write_text("base_model: m\nwandb_name: 2024\ndatasets:\n  - path: d.json\n    split: 1\n")
    loaded = load_config(path)
    assert loaded.config.wandb_name == "2024" and loaded.config.datasets[0].split == "1"
    loaded.save()
    assert "wandb_name: 2024\n" in path.read_text()  # unchanged values keep their spelling
