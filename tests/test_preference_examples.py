"""Every `rl:` example of Axolotl's examples/ with a method ftui trains (dpo, ipo, simpo, orpo, kto) opens
in `ftui check` and `ftui estimate` (the files are in tests/data/axolotl_examples, copied unchanged)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from ftui.core.config import check_config, load_config
from ftui.core.preference.methods import preference_settings

EXAMPLES = Path(__file__).parent / "data" / "axolotl_examples"
PREFERENCE_EXAMPLES = {
    "falcon-e/falcon-e-3b-dpo.yaml": "dpo",
    "llama-3/instruct-dpo-lora-8b.yml": "dpo",
    "llama-3/lora-1b-deduplicate-dpo.yml": "dpo",
    "llama-3/qlora-1b-kto.yaml": "kto",
    "mistral/dpo/mistral-dpo-qlora.yml": "dpo",
    "mistral/orpo/mistral-qlora-orpo.yml": "orpo",
    "qwen2/dpo.yaml": "dpo",
    "swanlab/dpo-swanlab-completions.yml": "dpo",
    "swanlab/dpo-swanlab-full-featured.yml": "dpo",
}


def test_the_list_is_every_preference_example_we_ship():
    found = {}
    for path in EXAMPLES.rglob("*.y*ml"):
        data = load_config(path).config if check_config(path).ok else None
        if data is not None and data.rl in ("dpo", "ipo", "simpo", "orpo", "kto"):
            found[str(path.relative_to(EXAMPLES))] = data.rl
    assert found == PREFERENCE_EXAMPLES


@pytest.mark.parametrize("name", sorted(PREFERENCE_EXAMPLES))
def test_preference_example_opens_with_its_method(name):
    report = check_config(EXAMPLES / name)
    assert report.ok, [p.text() for p in report.errors]
    assert not any("unknown key" in p.message for p in report.warnings)
    assert "rl" not in [u.key for u in report.unsupported]  # the method itself is trained
    assert any(line.startswith("preference: ") for line in report.summary)
    settings = preference_settings(load_config(EXAMPLES / name).config)
    assert settings.method == PREFERENCE_EXAMPLES[name]
    if name == "llama-3/qlora-1b-kto.yaml":  # rl_beta: 0.5, kto_desirable_weight: 0.2
        assert (settings.beta, settings.desirable_weight, settings.undesirable_weight) == (0.5, 0.2, 1.0)
    if name == "mistral/orpo/mistral-qlora-orpo.yml":  # orpo_alpha: 0.1 is TRL's beta
        assert settings.beta == 0.1


# Models outside ftui's catalog need their config.json, which tests cannot download: the estimate then
# runs the config's other settings on a catalog model of the same family.
NOT_IN_CATALOG = {
    "falcon-e/falcon-e-3b-dpo.yaml": "meta-llama/Llama-3.2-3B",
    "mistral/dpo/mistral-dpo-qlora.yml": "mistralai/Mistral-7B-Instruct-v0.3",
}


@pytest.mark.parametrize("name", sorted(PREFERENCE_EXAMPLES))
def test_preference_example_estimates(name, capsys):
    from ftui.tui.cli import main

    model = ["--model", NOT_IN_CATALOG[name]] if name in NOT_IN_CATALOG else []
    assert main(["estimate", str(EXAMPLES / name), "--json", *model]) == 0
    out = json.loads(capsys.readouterr().out)
    components = out["components"]
    assert out["input"]["preference"] == PREFERENCE_EXAMPLES[name]
    assert "reference_model" in components
    if PREFERENCE_EXAMPLES[name] == "orpo":
        assert components["reference_model"] == 0


@pytest.mark.parametrize("name", sorted(PREFERENCE_EXAMPLES))
def test_preference_example_opens_in_the_wizard_with_its_method(name):
    from ftui.tui.wizard.config_io import all_problems, config_yaml, load_state
    from ftui.tui.wizard.settings_fields import get_pseudo

    state = load_state(EXAMPLES / name)
    assert get_pseudo(state.values, "rl_method") == PREFERENCE_EXAMPLES[name]
    assert [p for p in all_problems(state) if p[0] == "error"] == []
    assert f"rl: {PREFERENCE_EXAMPLES[name]}" in config_yaml(state)  # saved back as Axolotl wrote it
