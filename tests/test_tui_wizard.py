"""Pilot tests of the wizard: driven by keys (and a few clicks) like a user, asserting on state and files."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from ftui.core.models.embedded import EMBEDDED_MODEL_ID
from ftui.tui.app import FtuiApp, load_state
from ftui.tui.widgets.memory_panel import MemoryPanel
from ftui.tui.widgets.token_view import TokenView
from ftui.tui.wizard import backend
from ruamel.yaml import YAML
from textual.widgets import Button, Checkbox, Input, Static
from tui_helpers import FIXED_HARDWARE, make_project, settle

pytestmark = pytest.mark.anyio
SIZE = (120, 40)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(autouse=True)
def fixed_hardware(monkeypatch):
    monkeypatch.setattr(backend.Backend, "detect_hardware", lambda self: FIXED_HARDWARE)


async def type_into(pilot, selector: str, text: str) -> None:
    """Click a field, clear it and type `text` key by key."""
    await pilot.click(selector)
    await pilot.press("home", "ctrl+k", *list(text))


def current(app) -> str:
    return app.screen.current


def yaml_of(path: Path) -> dict:
    return YAML(typ="safe").load(path.read_text(encoding="utf-8"))


@pytest.fixture
def project(tmp_path, monkeypatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return make_project(tmp_path)


@pytest.fixture
def tiny_config(project, tiny_chatml_model_dir) -> Path:
    """An Axolotl-style config: local tiny model, ShareGPT chat data, an unknown key, wandb and special tokens."""
    path = project / "axolotl.yml"
    path.write_text(
        f"""# an Axolotl config
base_model: {tiny_chatml_model_dir}
load_in_8bit: false
adapter: lora
lora_r: 32
lora_alpha: 64
lora_dropout: 0.1
lora_target_modules: [q_proj, v_proj]
lora_model_dir:
sequence_len: 256
train_on_inputs: false
datasets:
  - path: data/chat.jsonl
    type: chat_template
    field_messages: conversations
    message_property_mappings:
      role: from
      content: value
    roles_to_train: [assistant]
chat_template: tokenizer_default
learning_rate: 3.0e-05
optimizer: adamw_torch
lr_scheduler: linear
micro_batch_size: 4
gradient_accumulation_steps: 2
num_epochs: 2
wandb_project: my-project
special_tokens:
  pad_token: "<|endoftext|>"
output_dir: ./outputs/tiny
my_custom_key: keep me
""",
        encoding="utf-8",
    )
    return path


@pytest.mark.slow
async def test_empty_start_to_saved_yaml_by_keys(project, smollm_dir):
    app = FtuiApp()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.screen.query_one("#base-model", Input).value == EMBEDDED_MODEL_ID
        assert "SmolLM2" in str(app.screen.query_one("#model-status", Static).render())
        await pilot.press("ctrl+n")
        await settle(pilot)
        assert current(app) == "data"
        assert app.screen.query_one("#next", Button).disabled  # no data yet
        await type_into(pilot, "#data-path", "data/alpaca.jsonl")
        await settle(pilot)
        assert "alpaca" in str(app.screen.query_one("#scan-status", Static).render())
        assert app.screen.query_one(TokenView).tokens  # the first example is shown
        await pilot.press("ctrl+n")
        await settle(pilot)
        assert current(app) == "settings"
        await type_into(pilot, "#f-learning_rate", "0.0001")
        await type_into(pilot, "#f-lora_r", "8")
        await pilot.press("ctrl+n")
        await settle(pilot)
        assert current(app) == "review"
        await type_into(pilot, "#save-path", "saved.yml")
        await pilot.press("enter")
        await settle(pilot)
    saved = yaml_of(project / "saved.yml")
    assert saved["base_model"] == EMBEDDED_MODEL_ID
    assert saved["datasets"] == [{"path": "data/alpaca.jsonl"}]
    assert saved["learning_rate"] == 0.0001
    assert saved["lora_r"] == 8 and saved["lora_alpha"] == 16  # alpha follows 2 x r
    assert saved["adapter"] == "lora" and saved["lora_target_linear"] is True
    from ftui.core.config import load_config

    assert load_config(project / "saved.yml").config.learning_rate == 0.0001


@pytest.mark.slow
async def test_config_prefills_every_step_and_keeps_unknown_keys(tiny_config):
    original_text = tiny_config.read_text()
    app = FtuiApp(load_state(tiny_config))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.screen
        assert screen.query_one("#base-model", Input).value.endswith("tiny-llama-chatml")
        await pilot.press("f3")
        await settle(pilot)
        assert screen.query_one("#data-path", Input).value == "data/chat.jsonl"
        assert screen.query_one("#data-seq-len", Input).value == "256"
        assert screen.query_one("#train-on-inputs", Checkbox).value is False
        assert screen.query_one("#roles", Input).value == "assistant"
        assert "sharegpt" in str(screen.query_one("#scan-status", Static).render())
        await pilot.press("f4")
        await settle(pilot)
        assert screen.query_one("#f-lora_r", Input).value == "32"
        assert screen.query_one("#f-lora_alpha", Input).value == "64"
        assert screen.query_one("#f-learning_rate", Input).value == "3e-05"
        assert screen.query_one("#f-lr_scheduler").value == "linear"
        assert screen.query_one("#f-report").value == "wandb"
        assert screen.query_one("#f-micro_batch_size", Input).value == "4"
        assert "= 8 sequences" in str(screen.query_one("#effective-batch", Static).render())
        await pilot.press("f5")
        await settle(pilot)
        yaml_text = screen.query_one("#review").yaml_text
        assert "my_custom_key: keep me" in yaml_text and "# an Axolotl config" in yaml_text
        assert "my_custom_key" in str(screen.query_one("#review-warnings", Static).render())
        await pilot.press("ctrl+s")
        await settle(pilot)
    assert tiny_config.read_text() == original_text  # visiting every step and saving changed nothing
    saved = yaml_of(tiny_config)
    assert saved["my_custom_key"] == "keep me"
    assert saved["lora_target_modules"] == ["q_proj", "v_proj"]
    assert tiny_config.read_text().startswith("# an Axolotl config")


@pytest.mark.slow
async def test_invalid_input_blocks_next(tiny_config):
    app = FtuiApp(load_state(tiny_config), start_step="settings")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert current(app) == "settings"
        await type_into(pilot, "#f-learning_rate", "abc")
        await pilot.pause()
        assert "must be a number" in str(app.screen.query_one("#err-learning_rate", Static).render())
        assert app.screen.query_one("#next", Button).disabled
        await pilot.press("ctrl+n")
        assert current(app) == "settings"
        assert "✗" in str(app.screen.query_one("#step-settings").label)
        await type_into(pilot, "#f-learning_rate", "0.0002")
        await pilot.pause()
        assert not app.screen.query_one("#next", Button).disabled
        await pilot.press("ctrl+n")
        await settle(pilot)
        assert current(app) == "review"


@pytest.mark.slow
async def test_mask_view_changes_when_train_on_inputs_toggles(tiny_config):
    app = FtuiApp(load_state(tiny_config), start_step="data")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        view = app.screen.query_one(TokenView)
        masked_before = sum(not t.trained for t in view.tokens)
        trained_before = sum(t.trained for t in view.tokens)
        lines_before = [view.render_line(y) for y in range(view.line_count)]
        assert trained_before > 0 and masked_before > 0
        await pilot.click("#train-on-inputs")
        await settle(pilot)
        assert app.state.values["train_on_inputs"] is True
        trained_after = sum(t.trained for t in view.tokens)
        assert trained_after > trained_before
        assert [view.render_line(y) for y in range(view.line_count)] != lines_before
        # the (label, id) toggle shows pairs after each token
        await pilot.click("#show-pairs")
        await pilot.pause()
        assert any("(-100, " in line for line in view.plain_lines())


@pytest.mark.slow
async def test_memory_panel_changes_when_the_adapter_changes(tiny_config):
    app = FtuiApp(load_state(tiny_config), start_step="settings")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        panel = app.screen.query_one("#settings-memory", MemoryPanel)
        lora_total, lora_trainable = panel.view.total_bytes, panel.view.trainable_params
        assert lora_total > 0
        await pilot.click("#f-adapter_kind")
        await pilot.press("down", "down", "enter")  # LoRA -> QLoRA -> full
        await pilot.pause()
        assert app.state.values.get("adapter") is None  # full fine-tune
        assert panel.view.trainable_params > lora_trainable
        assert panel.view.total_bytes > lora_total


async def test_only_last_turn_trained_is_flagged(tiny_config):
    """train_on_eos / roles settings that leave earlier turns masked are shouted about."""
    state = load_state(tiny_config)
    state.values["datasets"][0]["roles_to_train"] = []
    app = FtuiApp(state, start_step="data")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        warning = str(app.screen.query_one("#mask-warning", Static).render())
        assert "no token of this example is trained" in warning


def test_first_screen_does_not_import_torch(tmp_path):
    """From process start to the first interactive screen, headless; torch/transformers stay unloaded."""
    script = tmp_path / "start.py"
    script.write_text(
        "import asyncio, sys\n"
        "from ftui.tui.app import FtuiApp\n"
        "async def main():\n"
        "    app = FtuiApp()\n"
        "    async with app.run_test(size=(120, 40)) as pilot:\n"
        "        while not app.screen.query('#base-model'):\n"
        "            await pilot.pause(0.01)\n"
        "        print('READY', 'torch' in sys.modules or 'transformers' in sys.modules, flush=True)\n"
        "        app.exit()\n"
        "asyncio.run(main())\n"
    )
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert proc.stdout.split() == ["READY", "False"], proc.stdout + proc.stderr


async def test_theme_toggle_help_and_palette_commands(project):
    app = FtuiApp()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.theme == "ftui-dark"
        await pilot.press("ctrl+t")
        assert app.theme == "ftui-light" and not app.current_theme.dark
        await pilot.press("f1")
        await pilot.pause()
        from ftui.tui.help import HelpScreen

        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        await pilot.pause()
        titles = {command.title for command in app.get_system_commands(app.screen)}
        for expected in ("Go to Data", "Next step", "Save config", "Launch training", "Runs", "Help"):
            assert expected in titles, titles


async def test_launch_saves_into_the_output_dir_and_hands_over(tiny_config, monkeypatch):
    launched = []
    monkeypatch.setattr(FtuiApp, "launch_run", lambda self, path: launched.append(Path(path)))
    app = FtuiApp(load_state(tiny_config), start_step="review")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+l")
        await settle(pilot)
    out = tiny_config.parent / "outputs" / "tiny" / "config.yml"
    assert launched == [out]
    saved = yaml_of(out)
    assert Path(saved["datasets"][0]["path"]) == tiny_config.parent / "data" / "chat.jsonl"  # still found
    assert Path(saved["output_dir"]) == tiny_config.parent / "outputs" / "tiny"


@pytest.mark.slow
async def test_model_step_validates_the_typed_model_and_picks_from_the_catalog(project):
    app = FtuiApp()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await type_into(pilot, "#base-model", "./no/such/folder")
        await settle(pilot)
        assert "not found" in str(app.screen.query_one("#model-status", Static).render())
        assert app.screen.query_one("#next", Button).disabled
        await type_into(pilot, "#model-search", "qwen2.5 0.5b inst")
        await pilot.pause()
        await pilot.press("tab", "enter")  # into the filtered catalog, pick the first row
        await settle(pilot)
        assert app.state.base_model == "Qwen/Qwen2.5-0.5B-Instruct"
        assert "Qwen2.5" in str(app.screen.query_one("#model-status", Static).render())
        assert not app.screen.query_one("#next", Button).disabled


@pytest.mark.slow
async def test_gpu_count_is_saved_as_num_processes_only_above_one(tiny_config):
    app = FtuiApp(load_state(tiny_config))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await type_into(pilot, "#gpu-count", "2")
        await settle(pilot)
        assert app.state.values["num_processes"] == 2
        assert "x2" in app.screen.query_one("#model-memory", MemoryPanel).view.note  # estimated per GPU
        await pilot.press("f4")
        await settle(pilot)
        batch = str(app.screen.query_one("#effective-batch", Static).render())
        assert "4 x 2 x 2 GPUs = 16 sequences" in batch  # micro x accumulation x processes
        await pilot.press("f5")
        await settle(pilot)
        await type_into(pilot, "#save-path", "two.yml")
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("f2")
        await settle(pilot)
        await type_into(pilot, "#gpu-count", "1")
        await settle(pilot)
        await pilot.press("f5")
        await settle(pilot)
        await type_into(pilot, "#save-path", "one.yml")
        await pilot.press("enter")
        await settle(pilot)
    two = yaml_of(tiny_config.parent / "two.yml")
    assert two["num_processes"] == 2
    from ftui.core.config import load_config

    assert load_config(tiny_config.parent / "two.yml").config.effective_batch_size == 16
    assert "num_processes" not in yaml_of(tiny_config.parent / "one.yml")
    assert "num_processes" not in tiny_config.read_text()


async def test_an_invalid_config_opens_with_its_problems_on_the_right_steps(project):
    path = project / "bad.yml"
    path.write_text(
        "base_model: embedded\nadapter: qlora\ndatasets:\n  - path: data/alpaca.jsonl\nlora_r: -3\n"
    )
    app = FtuiApp(load_state(path), start_step="settings")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert "✗" in str(app.screen.query_one("#step-settings").label)
        assert "✓" in str(app.screen.query_one("#step-data").label)
        assert app.screen.query_one("#next", Button).disabled
        assert "qlora requires load_in_4bit" in str(app.screen.query_one("#problems", Static).render())
        assert app.state.values["adapter"] == "qlora"  # opening the file changed nothing by itself
        await pilot.click("#f-quantization")
        await pilot.press("down", "down", "enter")  # none -> 8-bit -> 4-bit
        await pilot.pause()
        await type_into(pilot, "#f-lora_r", "8")
        await settle(pilot)
        assert app.state.values["load_in_4bit"] is True
        problems = str(app.screen.query_one("#problems", Static).render())
        assert problems == "✗ choose target modules or 'all linear layers'"
        await pilot.click("#all-linear")
        await settle(pilot)
        assert not app.screen.query_one("#next", Button).disabled
