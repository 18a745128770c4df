"""The wizard's pure parts: field parsing, pseudo-keys, config load/save round trips, templates, estimates."""

from __future__ import annotations

from pathlib import Path

import pytest
from ftui.core.errors import UserError
from ftui.tui.wizard.backend import Backend
from ftui.tui.wizard.config_io import load_state, save_state, step_of_key
from ftui.tui.wizard.data_template import set_template, template_options, template_value, template_warning
from ftui.tui.wizard.settings_fields import FIELD_BY_KEY, get_pseudo, parse_value, set_pseudo
from ftui.tui.wizard.state import WizardState
from ruamel.yaml import YAML


def test_parse_value_reasons():
    lr = FIELD_BY_KEY["learning_rate"]
    assert parse_value(lr, "2e-4") == (0.0002, None)
    assert parse_value(lr, "abc")[1].startswith("must be a number")
    assert parse_value(lr, "")[1] == "required"
    assert parse_value(FIELD_BY_KEY["max_steps"], "") == (None, None)  # optional: removes the key
    assert parse_value(FIELD_BY_KEY["lora_r"], "0")[1] == "must be at least 1"
    assert parse_value(FIELD_BY_KEY["lora_dropout"], "1.5")[1] == "must be at most 0.99"


def test_pseudo_keys_write_the_axolotl_keys():
    values: dict = {"adapter": "lora"}
    set_pseudo(values, "adapter_kind", "qlora")
    assert values == {"adapter": "qlora", "load_in_4bit": True}
    set_pseudo(values, "quantization", "8bit")
    assert values == {"adapter": "lora", "load_in_8bit": True}
    set_pseudo(values, "adapter_kind", "full")
    assert "adapter" not in values and get_pseudo(values, "adapter_kind") == "full"
    set_pseudo(values, "precision", "fp16")
    assert values["fp16"] is True and values["bf16"] is False and get_pseudo(values, "precision") == "fp16"
    assert get_pseudo({"wandb_project": "x"}, "report") == "wandb"


def test_problems_go_to_the_step_that_fixes_them():
    assert step_of_key("datasets[0].type") == "data"
    assert step_of_key("base_model") == "model"
    assert step_of_key("lora_r") == "settings"


def test_invalid_config_still_opens_with_its_problems(tmp_path):
    path = tmp_path / "bad.yml"
    path.write_text("base_model: embedded\nadapter: qlora\ndatasets:\n  - path: d.jsonl\nlora_r: -3\n")
    state = load_state(path)
    assert state.values["lora_r"] == -3
    assert [w.split(": ", 1)[1] for w in state.load_warnings] == [
        "adapter: qlora requires load_in_4bit: true",
        "lora_r: must be greater than 0 (got -3)",
    ]
    assert Backend().config_problems(state, "settings") == [
        "adapter: qlora requires load_in_4bit: true",
        "lora_r: must be greater than 0 (got -3)",
    ]
    assert Backend().config_problems(state, "data") == []
    with pytest.raises(UserError):
        save_state(state, tmp_path / "out.yml")


def test_save_elsewhere_keeps_relative_paths_working(tmp_path):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "a.jsonl").write_text('{"text": "hi"}\n')
    path = tmp_path / "cfg.yml"
    path.write_text(
        "base_model: embedded\ndatasets:\n  - path: data/a.jsonl\noutput_dir: ./out\nextra_key: 1\n"
    )
    state = load_state(path)
    saved, _ = save_state(state, tmp_path / "runs" / "x" / "config.yml")
    data = YAML(typ="safe").load(saved.read_text())
    assert Path(data["datasets"][0]["path"]) == tmp_path / "data" / "a.jsonl"
    assert data["output_dir"] == "./out"  # relative to the working directory (Axolotl's rule), kept as is
    assert data["extra_key"] == 1
    run_copy, _ = save_state(state, tmp_path / "runs" / "y" / "config.yml", run_copy=True)
    assert Path(YAML(typ="safe").load(run_copy.read_text())["output_dir"]) == (Path.cwd() / "out").resolve()
    save_state(state, path)  # over the original: relative paths and comments stay as they were
    assert YAML(typ="safe").load(path.read_text())["datasets"][0]["path"] == "data/a.jsonl"


class Facts:
    def __init__(self, instruct: bool, template: str | None = "chatml") -> None:
        self.instruct, self.chat_template, self.name = instruct, template, "m"


def test_template_choice_order_and_warnings():
    state = WizardState()
    assert [v for _, v in template_options(Facts(True), state)][:2] == ["tokenizer_default", "chatml"]
    assert [v for _, v in template_options(Facts(False), state)][0] == "alpaca"
    assert template_warning(state, Facts(True)) is None
    state.values["datasets"] = [{"path": "d.jsonl"}]
    set_template(state, "alpaca")
    assert state.dataset == {"path": "d.jsonl", "type": "alpaca"}
    assert template_value(state, None) == "alpaca"
    assert "instruct model" in template_warning(state, Facts(True))
    set_template(state, "chatml")
    assert state.values["chat_template"] == "chatml" and "type" not in state.dataset
    assert "base model" in template_warning(state, Facts(False))


def test_estimate_reacts_to_every_memory_setting():
    from ftui.core.models import get_model_facts

    state = WizardState()
    facts = get_model_facts(state.base_model)
    base = Backend().estimate(state, facts, None).total_bytes
    changes = {
        "micro_batch_size": 8,
        "sequence_len": 4096,
        "gradient_checkpointing": False,
        "lora_r": 256,
        "optimizer": "adamw_bnb_8bit",
    }
    for key, value in changes.items():
        changed = WizardState()
        changed.values[key] = value
        assert Backend().estimate(changed, facts, None).total_bytes != base, key
    more_gpus = WizardState()
    more_gpus.gpu_count = 4
    assert Backend().estimate(more_gpus, facts, None).note.startswith("no GPU here")
    preset = WizardState(gpu_preset="T4 16G")
    view = Backend().estimate(preset, facts, None)
    assert [v.verdict for v in view.verdicts] == ["fits"]


def test_gpu_count_is_num_processes_and_one_leaves_the_key_out():
    state = WizardState()
    assert state.gpu_count == 1 and "num_processes" not in state.values
    state.gpu_count = 3
    assert state.values["num_processes"] == 3
    assert state.effective_batch == 2 * 4 * 3
    state.gpu_count = 1
    assert "num_processes" not in state.values
    loaded = WizardState(values={"num_processes": 4, "micro_batch_size": 1})
    assert loaded.gpu_count == 4 and loaded.effective_batch == 4
