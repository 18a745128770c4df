"""The chat screen without a model: a run folder with no weights says so and keeps the prompt disabled.

Generation with a real trained adapter (streaming, base vs fine-tuned) is covered end to end in
tests/test_monitor_e2e.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from ftui.tui.chat import ChatScreen
from ftui.tui.chat.screen import base_context
from textual.app import App
from textual.widgets import Input, Static

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class ChatApp(App):
    def __init__(self, run_dir: Path, loader=None) -> None:
        super().__init__()
        self.run_dir = run_dir
        self.loader = loader

    def on_mount(self) -> None:
        self.push_screen(ChatScreen(self.run_dir, loader=self.loader))


async def test_run_without_weights_reports_it(tmp_path: Path) -> None:
    def loader(run_dir: Path):
        from ftui.core.errors import UserError

        raise UserError(f"{run_dir} has no trained model", hint="pass a finished run")

    app = ChatApp(tmp_path, loader)
    async with app.run_test(size=(120, 40)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause(0.1)
        status = str(app.screen.query_one("#chat-status", Static).render())
        assert "cannot load" in status and "no trained model" in status
        assert app.screen.query_one("#prompt", Input).disabled


async def test_compare_toggle_shows_base_pane(tmp_path: Path) -> None:
    app = ChatApp(tmp_path, lambda d: (object(), object()))
    async with app.run_test(size=(120, 40)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause(0.1)
        screen = app.screen
        assert not screen.query_one("#pane-base").display
        await pilot.press("ctrl+b")
        await pilot.pause(0.05)
        assert screen.compare and screen.query_one("#pane-base").display
        assert "full model" in str(screen.query_one("#chat-status", Static).render())


def test_base_context_disables_only_adapters() -> None:
    calls = []

    class WithAdapter:
        def disable_adapter(self):
            from contextlib import contextmanager

            @contextmanager
            def ctx():
                calls.append("off")
                yield

            return ctx()

    with base_context(WithAdapter()):
        pass
    with base_context(object()):
        pass
    assert calls == ["off"]


def test_chat_screen_snapshot(snap_compare, tmp_path: Path) -> None:
    run = tmp_path / "demo-run"
    run.mkdir()

    async def ready(pilot) -> None:
        await pilot.app.workers.wait_for_complete()
        await pilot.press("ctrl+b")
        await pilot.app.workers.wait_for_complete()  # under load a fixed pause alone was too short
        for field in pilot.app.screen.query(Input):
            field.cursor_blink = False  # the picture must not depend on the blink phase
        pilot.app.screen.query_one("#prompt", Input).focus()
        await pilot.pause(0.3)

    assert snap_compare(
        ChatApp(run, lambda d: (object(), object())), terminal_size=(120, 40), run_before=ready
    )
