"""The Textual app: themes, global keys, the command palette, and the entry points the CLI calls.

The app stays small: the wizard lives in `tui/wizard/`, the run monitor and chat in `tui/monitor/` and
`tui/chat/`. Other screens are pushed through `open_monitor(run_dir)` / `launch_run(config_path)`.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from ftui.tui.help import HelpScreen
from ftui.tui.wizard.state import STEP_TITLES, STEPS, WizardState
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen
from textual.theme import Theme

THEMES = (
    Theme(name="ftui-dark", primary="#4EA1D3", secondary="#8E7CC3", accent="#E9A23B", success="#5CB85C",
          warning="#E9A23B", error="#E05A4F", dark=True),
    Theme(name="ftui-light", primary="#1F6FA8", secondary="#6A4FB0", accent="#B8650A", success="#2E8B3E",
          warning="#B8650A", error="#C0392B", dark=False),
)  # fmt: skip


MASK_COMMANDS = (
    ("Token view: next example", "Show the next row's tokens and mask (n)", "step(1)"),
    ("Token view: previous example", "Show the previous row (p)", "step(-1)"),
    ("Token view: random example", "Show a random row (r)", "random"),
    ("Token view: jump to row", "Type a row number (g)", "jump"),
    ("Token view: toggle token ids", "Show each token's id after it (i)", "toggle('ids')"),
    (
        "Token view: toggle (label, id) pairs",
        "Axolotl-style (label, id) after each token (l)",
        "toggle('pairs')",
    ),
)


class FtuiApp(App[int]):
    """ftui's terminal UI. `state` is the config being built; the wizard screen edits it in place."""

    CSS_PATH = "app.tcss"
    TITLE = "ftui"
    SUB_TITLE = "fine-tune a model"
    BINDINGS = [
        Binding("f1", "help", "Help"),
        Binding("ctrl+t", "toggle_theme", "Theme"),
    ]

    def __init__(self, state: WizardState | None = None, start_step: str = "model") -> None:
        super().__init__()
        self.state = state or WizardState()
        self.start_step = start_step
        for theme in THEMES:
            self.register_theme(theme)
        self.theme = "ftui-dark"

    def on_mount(self) -> None:
        from ftui.tui.wizard.screen import WizardScreen

        self.push_screen(WizardScreen(self.state, self.start_step))

    # --- global actions ----------------------------------------------------------------------------------
    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def action_toggle_theme(self) -> None:
        self.theme = "ftui-light" if self.current_theme.dark else "ftui-dark"

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield SystemCommand("Help", "Keys, steps and what the token colours mean (F1)", self.action_help)
        yield SystemCommand(
            "Toggle dark/light theme", "Switch between ftui-dark and ftui-light", self.action_toggle_theme
        )
        wizard = self._wizard()
        if wizard is None:
            return
        for step in STEPS:
            title = STEP_TITLES[step]
            yield SystemCommand(
                f"Go to {title}", f"Open the {title} step", lambda s=step: wizard.action_goto(s)
            )
        yield SystemCommand("Next step", "Go to the next step (when this one is valid)", wizard.action_next)
        yield SystemCommand("Previous step", "Go back one step", wizard.action_back)
        yield SystemCommand(
            "Save config", "Write the YAML to the path on the Review step", wizard.action_save
        )
        yield SystemCommand(
            "Launch training", "Save the YAML into the output dir and start training", wizard.action_launch
        )
        yield SystemCommand("Runs", "Every run in the workspace, with status and loss", self.open_runs)
        mask = wizard.mask_panel()
        if mask is not None:
            for title, help_text, action in MASK_COMMANDS:
                yield SystemCommand(title, help_text, lambda a=action: mask.run_action(a))

    def _wizard(self):
        from ftui.tui.wizard.screen import WizardScreen

        for screen in reversed(self.screen_stack):
            if isinstance(screen, WizardScreen):
                return screen
        return None

    # --- hand-offs to the run monitor (tui/monitor, imported only when used) ----------------------------------
    def open_monitor(self, run_dir: str | Path) -> None:
        """Show the live monitor of a run directory on top of the wizard."""
        from ftui.tui.monitor import MonitorScreen

        self.push_screen(MonitorScreen(Path(run_dir)))

    def open_runs(self, workspace: str | Path | None = None) -> None:
        """Show every run under `workspace` (default: the folder the output dir lives in)."""
        from ftui.tui.monitor import RunsScreen

        self.push_screen(RunsScreen(Path(workspace) if workspace else self.workspace()))

    def workspace(self) -> Path:
        from ftui.tui.wizard.config_io import run_config_path

        return run_config_path(self.state).parent.parent

    def launch_run(self, config_path: str | Path) -> None:
        """Start `ftui train CONFIG` as a detached subprocess and push its monitor. The saved run copy holds
        no secrets (core/config/secrets.py): the config's secrets travel to the trainer in its environment."""
        from ftui.core.config.secrets import secret_env
        from ftui.tui.monitor import launch_and_monitor

        env = secret_env(self.state.values) if getattr(self, "state", None) is not None else {}
        launch_and_monitor(self, Path(config_path), env=env or None)

    async def action_quit(self) -> None:
        """Quit; when trainers or a merge launched from here still run, ask what to do with them first."""
        if getattr(self, "_ftui_launches", None) is None:
            self.exit()
            return
        from ftui.tui.monitor import request_quit

        request_quit(self)


def load_state(config_path: str | Path | None) -> WizardState:
    if config_path is None:
        return WizardState()
    from ftui.tui.wizard.backend import Backend

    return Backend().load_state(Path(config_path))


def run_app(config_path: str | Path | None = None) -> int:
    """`ftui [CONFIG]`: open the wizard, pre-filled from CONFIG when given."""
    app = FtuiApp(load_state(config_path))
    return app.run() or 0


def run_token_view(config_path: str | Path) -> int:
    """`ftui debug CONFIG --tui`: open the wizard directly on the Data step's token-mask view."""
    app = FtuiApp(load_state(config_path), start_step="data")
    return app.run() or 0
