"""Launch works from any config location: relative paths keep naming the same files in every copy,
`output_dir` is relative to the working directory (wizard = CLI = Axolotl), nothing is written inside the
installed package, and `ftui demo` -> Launch finishes in a fresh working directory."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import yaml
from ftui.core.config.relocate import output_path, rebased
from ftui.core.errors import UserError
from ftui.core.paths import inside_package, templates_dir
from test_train_support import write_chat_data

pytestmark = pytest.mark.anyio
SIZE = (120, 40)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def make_elsewhere(tmp_path: Path, model_dir: Path) -> Path:
    """A config in configs/ with relative paths to its data, checks, Jinja file, adapter and DeepSpeed JSON."""
    folder = tmp_path / "configs"
    (folder / "data").mkdir(parents=True)
    write_chat_data(folder / "data")
    (folder / "checks.py").write_text("def ok(output, expected):\n    return True\n")
    (folder / "template.jinja").write_text("{% for m in messages %}{{ m['content'] }}{% endfor %}")
    (folder / "adapter").mkdir()
    (folder / "ds.json").write_text("{}")
    config = {
        "base_model": str(model_dir),
        "adapter": "lora",
        "lora_target_linear": True,
        "datasets": [{"path": "data/data.jsonl", "type": "chat_template", "chat_template": "jinja",
                      "chat_template_jinja": "template.jinja"}],
        "eval_assertions": "checks.py:ok",
        "lora_model_dir": "adapter",
        "deepspeed": "ds.json",
        "sequence_len": 64,
        "max_steps": 2,
        "output_dir": "./runs/one",
    }  # fmt: skip
    path = folder / "config.yml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def test_rebased_makes_every_relative_path_absolute(tmp_path, tiny_chatml_model_dir):
    path = make_elsewhere(tmp_path, tiny_chatml_model_dir)
    data = yaml.safe_load(path.read_text())
    out = rebased(data, path.parent, cwd=tmp_path / "work")
    folder = path.parent.resolve()
    assert out["datasets"][0]["path"] == str(folder / "data" / "data.jsonl")
    assert out["datasets"][0]["chat_template_jinja"] == str(folder / "template.jinja")
    assert out["eval_assertions"] == f"{folder / 'checks.py'}:ok"
    assert out["lora_model_dir"] == str(folder / "adapter") and out["deepspeed"] == str(folder / "ds.json")
    assert out["output_dir"] == str((tmp_path / "work" / "runs" / "one").resolve())
    assert rebased({"base_model": "org/model"}, folder) == {"base_model": "org/model"}  # a hub id
    assert output_path(None, tmp_path) == (tmp_path / "model-out").resolve()  # the schema default


async def test_wizard_launch_from_another_folder(tmp_path, tiny_chatml_model_dir, monkeypatch):
    from ftui.tui.app import FtuiApp
    from ftui.tui.wizard.config_io import load_state

    path = make_elsewhere(tmp_path, tiny_chatml_model_dir)
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    launched = []
    monkeypatch.setattr(FtuiApp, "launch_run", lambda self, p, **kw: launched.append(Path(p)))
    app = FtuiApp(load_state(path), start_step="review")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause(0.5)
        await pilot.press("ctrl+l")
        await pilot.pause(0.5)
    run_dir = work / "runs" / "one"  # the working directory's, as `ftui train` would write
    assert launched == [run_dir / "config.yml"]
    saved = yaml.safe_load(launched[0].read_text())
    assert Path(saved["output_dir"]) == run_dir
    for value in (saved["datasets"][0]["path"], saved["datasets"][0]["chat_template_jinja"],
                  saved["eval_assertions"].rsplit(":", 1)[0], saved["lora_model_dir"], saved["deepspeed"]):
        assert Path(value).is_absolute() and Path(value).exists(), value  # fmt: skip


def test_nothing_is_written_inside_the_package(tmp_path, monkeypatch):
    from ftui.core.config import load_config
    from ftui.core.train.runner import run_training
    from ftui.tui.wizard.config_io import default_save_path, load_state, save_state

    demo = templates_dir() / "configs" / "demo.yml"
    assert inside_package(demo) and not inside_package(tmp_path)
    state = load_state(demo)
    assert default_save_path(state) == "demo.yml"  # into the working directory, not over the shipped file
    with pytest.raises(UserError, match="inside ftui's installed package"):
        save_state(state, demo)
    loaded = load_config(demo)
    loaded.config.output_dir = str(templates_dir() / "configs" / "outputs" / "demo")
    with pytest.raises(UserError, match="inside ftui's installed package"):
        run_training(loaded.config, config_dir=demo.parent, quiet=True)
    assert not (templates_dir() / "configs" / "outputs").exists()


def _package_files() -> set[Path]:
    return {p for folder in (templates_dir(),) for p in folder.rglob("*") if "__pycache__" not in p.parts}


@pytest.mark.slow
async def test_demo_launch_finishes_in_a_fresh_working_directory(tmp_path, monkeypatch):
    """`ftui demo`, then ctrl+l (two steps): the run goes to ./outputs/demo here, eval_assertions and the
    data are found, and the installed package gains no file."""
    from ftui.tui.app import FtuiApp
    from ftui.tui.monitor import MonitorScreen, registry_of
    from ftui.tui.wizard.config_io import load_state

    monkeypatch.chdir(tmp_path)
    before = _package_files()
    state = load_state(templates_dir() / "configs" / "demo.yml")
    state.values.update(max_steps=2, eval_table_size=1, eval_max_new_tokens=4, val_set_size=2)
    app = FtuiApp(state, start_step="review")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause(0.5)
        await pilot.press("ctrl+l")
        deadline = time.monotonic() + 600
        while not (isinstance(app.screen, MonitorScreen) and app.screen.state.status not in ("starting", "running")):
            assert time.monotonic() < deadline, "the demo run did not end in time"
            await pilot.pause(0.5)
        run_dir = tmp_path / "outputs" / "demo"
        log = (run_dir / "launch.log").read_text(errors="replace")
        assert app.screen.state.status == "finished", log[-3000:]
        assert registry_of(app).get(run_dir).wait(30) == 0
    assert (run_dir / "adapter_model.safetensors").exists()
    assert _package_files() == before
