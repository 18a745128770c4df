"""The workshop's own Honeycomb QLoRA config (../shared/configs/seed_honeycomb_qlora.yml), the config the
project started from: it opens (its repeated key included), saves back byte for byte from the API and the
wizard, renders its legacy `type: sharegpt` + `conversation: alpaca` data as the Axolotl of its day did,
and `ftui estimate` gives Mistral-7B's exact parameter count and the QLoRA r=32 trainable count."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from ftui.core.config import check_config, load_config

SEED = Path(__file__).resolve().parents[1].parent / "shared" / "configs" / "seed_honeycomb_qlora.yml"
MISTRAL_7B_PARAMS = 7_241_732_096
# LoRA r=32 on q,k,v,o,gate,up,down of 32 layers: (2*(4096*32+32*4096) + 2*(4096*32+32*1024)
# + 3*(4096*32+32*14336)) * 32
QLORA_R32_TRAINABLE = 83_886_080


@pytest.fixture
def seed(tmp_path: Path) -> Path:
    if not SEED.is_file():
        pytest.fail(f"the seed config is missing: {SEED} (the shared folder sits next to the repository)")
    copy = tmp_path / "seed.yml"
    shutil.copy(SEED, copy)
    data = tmp_path / "_synth_data" / "alpaca_synth_queries_healed.jsonl"
    data.parent.mkdir()
    row = {
        "conversations": [
            {"from": "human", "value": "count slow queries"},
            {"from": "gpt", "value": "COUNT()"},
        ]
    }
    data.write_text(json.dumps(row) + "\n")
    return copy


def test_opens_with_the_repeated_key_taking_the_later_value(seed):
    report = check_config(seed)
    assert report.ok and report.errors == []
    assert report.unsupported == []
    repeat = [p for p in report.warnings if p.key == "lora_fan_in_fan_out"]
    assert len(repeat) == 1 and repeat[0].line == 34 and "lines 10 and 34" in repeat[0].message
    assert load_config(seed).config.extra_keys["lora_fan_in_fan_out"] is None  # line 34 is empty
    # Axolotl's own keys are never unknown; data_seed is no Axolotl key in any release
    assert [p.key for p in report.warnings if "unknown key" in p.message] == ["data_seed"]
    assert {i.key for i in report.ignored} == {
        "is_mistral_derived_model",
        "eval_table_max_new_tokens",
        "save_safetensors",
    }


def test_saves_back_byte_identical(seed):
    original = seed.read_bytes()
    loaded = load_config(seed)
    assert loaded.save() == []
    assert seed.read_bytes() == original
    loaded.config.seed = 50  # an edit writes the change and keeps the rest of the file
    loaded.save()
    text = seed.read_text()
    assert (
        "seed: 50\n" in text and "data_seed: 49\n" in text and "hub_model_id: hamel/hc-mistral-alpaca" in text
    )


def test_wizard_shows_and_saves_it_unchanged(seed):
    from ftui.tui.wizard.backend import Backend

    backend = Backend()

    state = backend.load_state(seed)
    assert state.load_warnings and not [p for p in backend.all_problems(state) if p[0] == "error"]
    assert backend.config_yaml(state) == SEED.read_text()  # the Review step shows the file itself
    result = backend.save_state(state, seed)
    saved, notes = result.path, result.notes
    assert notes == [] and saved.read_bytes() == SEED.read_bytes()


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.mark.anyio
async def test_wizard_review_save_is_byte_identical(seed):
    from ftui.tui.app import FtuiApp, load_state
    from textual.widgets import Static
    from tui_helpers import settle

    app = FtuiApp(load_state(seed), start_step="review")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        warnings = str(app.screen.query_one("#review-warnings", Static).render())
        assert "Must fix" not in warnings and "cannot train" not in warnings
        assert "is set twice (lines 10 and 34)" in warnings
        await pilot.click("#save")
        await settle(pilot)
    assert seed.read_bytes() == SEED.read_bytes()


def test_its_data_renders_with_the_fastchat_alpaca_conversation(seed):
    from ftui.core.templates.library import template_from_config

    config = load_config(seed).config
    template = template_from_config(config, config.datasets[0])
    conversation = template.legacy_sharegpt.conversation
    assert (conversation.name, conversation.roles, conversation.sep2) == (
        "alpaca",
        ("### Instruction", "### Response"),
        "</s>",
    )  # tests/test_axolotl_legacy_parity.py holds this conversation to Axolotl's ids and labels


def test_estimate_gives_mistral_7b_and_qlora_r32_counts(seed):
    result = subprocess.run(
        [sys.executable, "-m", "ftui.tui.cli", "estimate", str(seed), "--json"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    estimate = json.loads(result.stdout)
    assert estimate["params"] == MISTRAL_7B_PARAMS
    assert estimate["trainable_params"] == QLORA_R32_TRAINABLE


def test_wizard_preview_renders_the_legacy_conversation(seed, tiny_mistral_model_dir):
    """The Data step's mask view asks core for the template: the seed's rows show as FastChat alpaca turns."""
    from ftui.tui.wizard.backend import Backend

    backend = Backend()

    seed.write_text(seed.read_text().replace("mistralai/Mistral-7B-v0.1", str(tiny_mistral_model_dir)))
    state = backend.load_state(seed)
    scan = backend.scan_dataset(state)
    assert scan.row_count == 1
    preview = backend.preview(state, backend.load_tokenizer(state), scan, 0)
    text = "".join(t.text for t in preview.tokens)
    assert "Below is an instruction that describes a task" in text and "### Response:" in text


@pytest.mark.anyio
async def test_wizard_data_step_shows_the_legacy_type(seed, tiny_mistral_model_dir):
    from ftui.tui.app import FtuiApp, load_state
    from textual.widgets import Select
    from tui_helpers import settle

    seed.write_text(seed.read_text().replace("mistralai/Mistral-7B-v0.1", str(tiny_mistral_model_dir)))
    app = FtuiApp(load_state(seed), start_step="data")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert app.screen.query_one("#data-type", Select).value == "sharegpt"
