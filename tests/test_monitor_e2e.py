"""End to end: the monitor launches a real `ftui train` (tiny random model, CPU, 3 steps), follows it to
`finished`, merges the adapter with `ftui merge`, then the chat screen loads the trained adapter and answers,
beside the base model."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from ftui.tui.chat import ChatScreen
from ftui.tui.monitor import MonitorApp, MonitorScreen, launch_and_monitor, registry_of
from test_train_support import write_config

pytestmark = [pytest.mark.slow, pytest.mark.anyio]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def wait_until(pilot, predicate, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        await pilot.pause(0.1)


class LaunchApp(MonitorApp):
    def __init__(self, config: Path) -> None:
        super().__init__(poll_interval=0.1)
        self.config = config

    def on_mount(self) -> None:
        launch_and_monitor(self, self.config)


async def test_launch_real_training_to_finished_then_chat(
    tmp_path: Path, tiny_chatml_model_dir: Path
) -> None:
    config = write_config(tmp_path, tiny_chatml_model_dir, max_steps=3, save_steps=3)
    run_dir = tmp_path / "out"
    app = LaunchApp(config)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, MonitorScreen), 10)
        screen = app.screen
        await wait_until(pilot, lambda: screen.state.status not in ("starting", "running"), 240)
        log = (run_dir / "launch.log").read_text(errors="replace")
        assert screen.state.status == "finished", log[-2000:]
        assert screen.state.step == 3 and len(screen.state.series.loss) == 3
        launched = registry_of(app).get(run_dir)
        assert launched is not None and launched.wait(30) == 0
        await pilot.press("m")  # `ftui merge` in a worker, output in merge.log
        await wait_until(pilot, lambda: (run_dir / "merged" / "config.json").exists(), 120)
        await app.workers.wait_for_complete()
        assert "merged model saved" in (run_dir / "merge.log").read_text()
        await pilot.press("c")
        await wait_until(pilot, lambda: isinstance(app.screen, ChatScreen), 5)
        chat = app.screen
        await wait_until(pilot, lambda: chat.model is not None, 120)
        await pilot.press("ctrl+b")
        chat.max_new_tokens = 5
        await pilot.click("#prompt")
        await pilot.press(*"hi", "enter")
        await wait_until(pilot, lambda: not chat.busy and len(chat.history["base"]) == 2, 60)
        assert chat.history["tuned"][-1]["role"] == "assistant"
        assert chat.history["base"][-1]["role"] == "assistant"
        # the merged folder is a full model: its base answer comes from the base loaded separately
        merged = ChatScreen(run_dir / "merged", max_new_tokens=5)
        await app.push_screen(merged)
        await wait_until(pilot, lambda: merged.model is not None, 120)
        assert not callable(getattr(merged.model, "disable_adapter", None))
        await pilot.press("ctrl+b")
        await pilot.click("#prompt")
        await pilot.press(*"hi", "enter")
        await wait_until(pilot, lambda: not merged.busy and len(merged.history["base"]) == 2, 120)
        assert merged.base_model is not None and merged.base_model is not merged.model


async def test_wizard_launch_hook_runs_training_to_finished(
    tmp_path: Path, tiny_chatml_model_dir: Path
) -> None:
    """The wizard's Launch calls `FtuiApp.launch_run(config)`: the monitor comes up and sees `finished`."""
    from ftui.tui.app import FtuiApp, load_state

    config = write_config(tmp_path, tiny_chatml_model_dir, max_steps=2)
    app = FtuiApp(load_state(config))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause(0.5)
        app.launch_run(config)
        await wait_until(pilot, lambda: isinstance(app.screen, MonitorScreen), 10)
        screen = app.screen
        await wait_until(pilot, lambda: screen.state.status not in ("starting", "running"), 240)
        assert screen.state.status == "finished", (tmp_path / "out" / "launch.log").read_text()[-2000:]
        assert screen.state.step == 2
        assert registry_of(app).get(tmp_path / "out").wait(30) == 0
        await app.action_quit()  # nothing active: quits without asking
        await pilot.pause(0.2)
    assert app.return_code in (0, None)
