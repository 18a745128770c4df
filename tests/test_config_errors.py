"""Config errors: every problem listed with file:line and key path; each cross-field rule; warnings."""

from __future__ import annotations

from pathlib import Path

import pytest
from ftui.core.config import ConfigError, load_config, parse_config

CONFIGS = Path(__file__).parent / "data" / "configs"
BASE = "base_model: m\ndatasets:\n  - path: d.json\n"  # lines 1-3


def error_lines(text: str) -> list[str]:
    with pytest.raises(ConfigError) as info:
        parse_config(text, source="c.yml")
    return [p.text("c.yml") for p in info.value.problems]


def warnings_of(text: str) -> list[str]:
    return parse_config(text, source="c.yml").warnings


def test_every_problem_is_listed_with_its_line_and_key_path():
    with pytest.raises(ConfigError) as info:
        load_config(CONFIGS / "invalid_many.yml")
    err = info.value
    src = str(CONFIGS / "invalid_many.yml")
    lines = [p.text(src) for p in err.problems]
    assert lines == [
        f"{src}:2: adapter: qlora requires load_in_4bit: true",
        f"{src}:7: datasets[0].type: unknown dataset type 'alpacca' (did you mean 'alpaca'?); choose from: "
        "alpaca, chat_template, messages, completion, input_output, pretokenized, tokenized",
        f"{src}:8: datasets[1].path: required key is missing",
        f"{src}:9: learning_rate: must be greater than 0 (got -1)",
        f"{src}:10: micro_batch_size: must be greater than or equal to 1 (got 0)",
        f"{src}:12: fp16: bf16 and fp16 are both true; choose one",
        f"{src}:13: optimizer: unknown optimizer 'adamw_torchh' (did you mean 'adamw_torch'?); choose from: "
        "adamw_torch, adamw_torch_fused, adamw_torch_xla, adamw_torch_npu_fused, adafactor, adamw_anyprecision, "
        "adamw_torch_4bit, adamw_torch_8bit, ademamix, sgd, adagrad, adamw_bnb_8bit, adamw_8bit, ademamix_8bit, "
        "lion_8bit, lion_32bit, ...",
    ]
    # the message holds them all, plus the misspelt key that may explain them
    assert err.message.startswith(f"7 problems in {src}:")
    for line in lines:
        assert line in err.message
    assert (
        f"{src}:4: warning: lora_alpah: unknown key `lora_alpah` (did you mean `lora_alpha`?)" in err.message
    )
    assert err.exit_code == 2


def test_unknown_key_warning_names_line_and_closest_key():
    loaded = parse_config(BASE + "lora_alpah: 16\n", source="c.yml")
    assert loaded.warnings == [
        "c.yml:4: warning: lora_alpah: unknown key `lora_alpah` (did you mean `lora_alpha`?)"
    ]
    assert loaded.unknown_keys == ["lora_alpah"]
    assert loaded.config.extra_keys == {"lora_alpah": 16}


def test_unknown_dataset_key_warning():
    loaded = parse_config(BASE + "    feild_messages: conversations\n", source="c.yml")
    assert loaded.unknown_keys == ["datasets[0].feild_messages"]
    assert loaded.warnings == [
        "c.yml:4: warning: datasets[0].feild_messages: unknown key `feild_messages` (did you mean `field_messages`?)"
    ]


def test_unknown_key_without_a_close_match_has_no_suggestion():
    assert warnings_of(BASE + "zzzzqqq: 1\n") == ["c.yml:4: warning: zzzzqqq: unknown key `zzzzqqq`"]


def test_ignored_axolotl_keys_are_listed_not_warned():
    text = BASE + "dataloader_num_workers: 4\nlocal_rank:\ngptq: false\nliger_cross_entropy: true\n"
    loaded = parse_config(text, source="c.yml")
    # empty and false values ask for nothing; the others are listed, each with why it has no effect
    assert loaded.ignored_keys == ["dataloader_num_workers", "liger_cross_entropy"]
    assert "speed/memory kernel" in loaded.ignored[1].reason
    assert loaded.warnings == [] and loaded.unknown_keys == [] and loaded.unsupported == []


# --- cross-field rules, one test each ---------------------------------------------------------------------


def test_qlora_requires_4bit():
    assert error_lines(BASE + "adapter: qlora\n") == ["c.yml:4: adapter: qlora requires load_in_4bit: true"]


@pytest.mark.parametrize("key", ["load_in_4bit", "load_in_8bit"])
def test_quantized_full_fine_tune_is_an_error(key):
    (line,) = error_lines(BASE + f"{key}: true\n")
    assert line.startswith(f"c.yml:4: {key}: {key} without an adapter")


def test_4bit_and_8bit_together():
    lines = error_lines(BASE + "adapter: qlora\nload_in_4bit: true\nload_in_8bit: true\n")
    assert lines == ["c.yml:6: load_in_8bit: load_in_4bit and load_in_8bit are both true; choose one"]


def test_bf16_and_fp16_together():
    assert error_lines(BASE + "bf16: true\nfp16: true\n") == [
        "c.yml:5: fp16: bf16 and fp16 are both true; choose one"
    ]
    # bf16: auto with fp16 is fine: auto picks
    assert parse_config(BASE + "bf16: auto\nfp16: true\n").config.fp16 is True


def test_eval_steps_without_eval_set_is_an_error_like_axolotl():
    (line,) = error_lines(BASE + "eval_steps: 50\n")
    assert line.startswith("c.yml:4: eval_steps: needs an eval set, but val_set_size is 0")


def test_evals_per_epoch_without_eval_set_is_a_warning():
    assert warnings_of(BASE + "evals_per_epoch: 4\n") == [
        "c.yml:4: warning: evals_per_epoch: val_set_size is 0, so there is no eval set and no evaluation runs"
    ]
    assert warnings_of(BASE + "evals_per_epoch: 4\nval_set_size: 0.1\n") == []


def test_early_stopping_needs_eval_set_and_schedule():
    (line,) = error_lines(BASE + "early_stopping_patience: 3\n")
    assert "early stopping needs an eval loss, but val_set_size is 0" in line and line.startswith("c.yml:4:")
    (line,) = error_lines(BASE + "val_set_size: 0.1\nearly_stopping_patience: 3\n")
    assert "set evals_per_epoch or eval_steps" in line
    (line,) = error_lines(
        BASE + "val_set_size: 0.1\nearly_stopping_patience: 3\neval_steps: 10\nsave_steps: 15\n"
    )
    assert (
        line
        == "c.yml:7: save_steps: with early_stopping_patience, save_steps must be a multiple of eval_steps"
    )
    ok = BASE + "val_set_size: 0.1\nearly_stopping_patience: 3\neval_steps: 10\nsave_steps: 20\n"
    assert parse_config(ok).config.early_stopping_patience == 3


def test_per_epoch_and_step_schedules_are_exclusive():
    assert error_lines(BASE + "val_set_size: 0.1\nevals_per_epoch: 2\neval_steps: 5\n") == [
        "c.yml:6: eval_steps: eval_steps and evals_per_epoch are mutually exclusive; keep one"
    ]
    assert error_lines(BASE + "saves_per_epoch: 2\nsave_steps: 5\n") == [
        "c.yml:5: save_steps: save_steps and saves_per_epoch are mutually exclusive; keep one"
    ]


def test_warmup_steps_and_ratio_are_exclusive():
    assert error_lines(BASE + "warmup_steps: 10\nwarmup_ratio: 0.1\n") == [
        "c.yml:5: warmup_ratio: warmup_steps and warmup_ratio are mutually exclusive; keep one"
    ]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("lora_r: 0", "lora_r: must be greater than 0 (got 0)"),
        ("lora_r: -4", "lora_r: must be greater than 0 (got -4)"),
        ("lora_alpha: 0", "lora_alpha: must be greater than 0 (got 0)"),
        ("learning_rate: 0", "learning_rate: must be greater than 0 (got 0)"),
        ("micro_batch_size: 0", "micro_batch_size: must be greater than or equal to 1 (got 0)"),
        (
            "gradient_accumulation_steps: 0",
            "gradient_accumulation_steps: must be greater than or equal to 1 (got 0)",
        ),
        ("sequence_len: 8", "sequence_len: must be greater than or equal to 16 (got 8)"),
        ("save_total_limit: 0", "save_total_limit: must be greater than or equal to 1 (got 0)"),
        ("num_epochs: 0", "num_epochs: must be greater than 0 (got 0)"),
        ("max_steps: 0", "max_steps: must be greater than or equal to 1 (got 0)"),
        ("lora_dropout: 1.5", "lora_dropout: must be less than 1 (got 1.5)"),
        ("num_processes: 0", "num_processes: must be greater than or equal to 1 (got 0)"),
        ("excess_length_strategy: cut", "excess_length_strategy: must be 'drop' or 'truncate' (got 'cut')"),
        (
            "sequence_len: long",
            "sequence_len: must be a valid integer, unable to parse string as an integer (got 'long')",
        ),
    ],
)
def test_single_value_rules(line, expected):
    assert error_lines(BASE + line + "\n") == [f"c.yml:4: {expected}"]


def test_empty_datasets_is_an_error():
    assert error_lines("base_model: m\ndatasets: []\n") == [
        "c.yml:2: datasets: at least one dataset is needed (a list of entries with `path:`), or a "
        "pretraining_dataset"
    ]


def test_missing_required_keys():
    assert error_lines("lora_r: 8\n") == [
        "c.yml: base_model: required key is missing",
        "c.yml: datasets: at least one dataset is needed (a list of entries with `path:`), or a "
        "pretraining_dataset",
    ]


def test_unknown_choices_suggest_the_closest():
    (line,) = error_lines(BASE + "lr_scheduler: cosin\n")
    assert line.startswith("c.yml:4: lr_scheduler: unknown lr_scheduler 'cosin' (did you mean 'cosine'?)")
    (line,) = error_lines(BASE + "chat_template: chatlm\n")
    assert line.startswith("c.yml:4: chat_template: unknown chat template 'chatlm' (did you mean 'chatml'?)")
    (line,) = error_lines(BASE + "adapter: qlroa\n")
    assert line.startswith("c.yml:4: adapter: unknown adapter 'qlroa' (did you mean 'qlora'?)")


def test_supported_optimizers_and_schedulers_load():
    for name in ("adamw_torch", "adamw_torch_fused", "adamw_bnb_8bit", "paged_adamw_8bit", "paged_adamw_32bit",
                 "adamw_8bit", "sgd", "adafactor", "lion_8bit"):  # fmt: skip
        assert parse_config(BASE + f"optimizer: {name}\n").config.optimizer == name
    for name in ("cosine", "linear", "constant", "constant_with_warmup", "cosine_with_min_lr"):
        assert parse_config(BASE + f"lr_scheduler: {name}\n").config.lr_scheduler == name


def test_sample_packing_with_larger_micro_batches_is_allowed():
    cfg = parse_config(BASE + "sample_packing: true\nmicro_batch_size: 4\n").config
    assert cfg.sample_packing and cfg.micro_batch_size == 4


def test_target_linear_with_explicit_modules_warns():
    assert warnings_of(BASE + "adapter: lora\nlora_target_linear: true\nlora_target_modules: [q_proj]\n") == [
        "c.yml:6: warning: lora_target_modules: lora_target_linear: true already targets every linear layer; "
        "lora_target_modules is added to it"
    ]


def test_max_steps_with_num_epochs_warns():
    (warning,) = warnings_of(BASE + "num_epochs: 3\nmax_steps: 100\n")
    assert warning.startswith("c.yml:5: warning: max_steps: max_steps is set")
    assert warnings_of(BASE + "max_steps: 100\n") == []


def test_jinja_template_needs_text():
    assert error_lines(BASE + "chat_template: jinja\n") == [
        "c.yml:4: chat_template: chat_template: jinja needs the template text in chat_template_jinja"
    ]
    assert error_lines(BASE + "    chat_template: jinja\n") == [
        "c.yml:4: datasets[0].chat_template: chat_template: jinja needs chat_template_jinja"
    ]
    assert error_lines("datasets:\n  - path: d\nbase_model:\n") == [
        "c.yml:3: base_model: is empty but needs a value"
    ]


def test_dataset_level_rules_and_types():
    (line,) = error_lines(BASE + "    ds_type: xml\n")
    assert line.startswith("c.yml:4: datasets[0].ds_type: must be 'json', 'jsonl'")
    (line,) = error_lines(BASE + "    train_on_eos: sometimes\n")
    assert (
        line == "c.yml:4: datasets[0].train_on_eos: must be 'turn', 'all', 'last' or 'none' (got 'sometimes')"
    )
    (line,) = error_lines(BASE + "    type: 3\n")
    assert line.startswith("c.yml:4: datasets[0].type: dataset type must be a name or a mapping")


def test_union_errors_are_merged_into_one_line():
    (line,) = error_lines(BASE + "bf16: maybe\n")
    assert line.startswith("c.yml:4: bf16: invalid value 'maybe': expected must be a valid boolean")
    assert "'auto'" in line


def test_cross_field_errors_reported_with_field_errors():
    lines = error_lines(BASE + "learning_rate: abc\nadapter: qlora\n")
    assert len(lines) == 2
    assert (
        lines[0].startswith("c.yml:4: learning_rate:")
        and lines[1] == "c.yml:5: adapter: qlora requires load_in_4bit: true"
    )


def test_eval_assertions_reference_format():
    assert (
        parse_config(BASE + "eval_assertions: checks/a.py:check\n").config.eval_assertions
        == "checks/a.py:check"
    )
    (line,) = error_lines(BASE + "eval_assertions: checks/a.py\n")
    assert line.startswith("c.yml:4: eval_assertions: must look like 'path/to/file.py:function_name'")
