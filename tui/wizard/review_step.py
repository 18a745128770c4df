"""Review step: the final YAML, every warning (validation, estimate, kept unknown keys), Save and Launch."""

from __future__ import annotations

from pathlib import Path

from ftui.tui.widgets.memory_panel import EstimateView, MemoryPanel
from ftui.tui.wizard.step import StepPane
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Input, Label, Static


class ReviewStep(StepPane):
    step = "review"
    yaml_text = ""  # what the YAML view shows (also what Save writes, for a config that validates)

    def compose_step(self) -> ComposeResult:
        with Horizontal():
            with VerticalScroll(id="yaml-scroll"):
                yield Static("", id="yaml-view")
            with Vertical(id="review-right", classes="side"):
                yield Static("", id="review-warnings")
                yield MemoryPanel(id="review-memory")
                yield Label("Save the config to")
                yield Input(id="save-path")
                with Horizontal(id="review-buttons"):
                    yield Button("Save", id="save", variant="primary")
                    yield Button("Launch", id="launch", variant="success")
                yield Static("", id="save-status")
                yield Static("", id="launch-note", classes="field-note-plain")

    def on_built(self) -> None:
        self.app.theme_changed_signal.subscribe(self, lambda _theme: self.refresh_review())

    def load_state(self) -> None:
        path_input = self.query_one("#save-path", Input)
        if not path_input.value:
            path_input.value = self.backend.default_save_path(self.state)
        self.refresh_review()

    def derived_changed(self) -> None:
        if self.display and self.wizard.current == "review":
            self.refresh_review()

    def refresh_review(self) -> None:
        from rich.syntax import Syntax  # pygments: only once the Review step shows

        yaml_text = self.yaml_text = self.backend.config_yaml(self.state)
        theme = "monokai" if self.app.current_theme.dark else "default"
        self.query_one("#yaml-view", Static).update(
            Syntax(
                yaml_text, "yaml", theme=theme, line_numbers=True, word_wrap=True, background_color="default"
            )
        )
        self.query_one("#review-warnings", Static).update(self._warnings_text())
        self.query_one("#review-memory", MemoryPanel).show(self.wizard.estimate or EstimateView())
        target = self.backend.run_config_path(self.state)
        try:
            shown = target.relative_to(Path.cwd())
        except ValueError:
            shown = target
        command = "\n".join(self.backend.launch_lines(self.state, getattr(self.wizard, "hardware", None)))
        self.query_one("#launch-note", Static).update(
            f"Launch saves {shown} and starts training there:\n{command}"
        )

    def blocking_problems(self) -> list[str]:
        return [p for step in ("model", "data", "settings") for p in self.wizard.step_pane(step).problems()]

    def _warnings_text(self) -> Text:
        errors = self.blocking_problems()
        warnings = self.backend.review_warnings(self.state, self.wizard.estimate)
        ignored, unsupported = self.backend.config_lists(self.state)
        destinations, destination_warnings = self.backend.destination_lines(self.state)
        warnings += destination_warnings
        text = Text()
        sections = (
            ("Must fix before saving:", errors, "✗", "red"),
            ("ftui cannot train this yet (Launch refuses):", unsupported, "✗", "red"),
            ("Warnings:", warnings, "⚠", "yellow"),
            ("Read but not acted on:", ignored, "·", "dim"),
        )
        for title, lines, mark, style in sections:
            if lines:
                text.append(f"{title}\n", style="bold" if style == "dim" else f"bold {style}")
                for line in lines:
                    text.append(f"  {mark} {line}\n", style=style)
        if not errors and not warnings and not unsupported:
            text.append("✓ no problems found\n", style="bold green")
        if destinations:
            text.append("This launch logs and pushes:\n", style="bold")
            for line in destinations:
                text.append(f"  → {line}\n")
        return text

    def problems(self) -> list[str]:
        return []

    # --- save / launch -----------------------------------------------------------------------------------------
    def _status(self, text: str, ok: bool) -> None:
        status = self.query_one("#save-status", Static)
        status.update(text)
        status.set_class(not ok, "-invalid")

    def save(self, path: Path | None = None, run_copy: bool = False) -> Path | None:
        target = path or Path(
            self.query_one("#save-path", Input).value.strip() or self.backend.default_save_path(self.state)
        )
        result = self.backend.save_state(self.state, target, run_copy=run_copy)
        saved = result.path
        if saved is None:
            self._status(f"✗ not saved: {result.error}", ok=False)
            self.notify(str(result.error), title="Not saved", severity="error")
            return None
        self._status(f"✓ saved {saved}" + "".join(f"\n⚠ {n}" for n in result.notes), ok=True)
        self.notify(f"saved {saved}", title="Config saved")
        return saved

    def launch(self) -> None:
        """Save the YAML into the output dir and hand it to the app's launcher (the run monitor)."""
        errors = self.blocking_problems() + self.backend.config_lists(self.state)[1]
        if errors:
            self._status(f"✗ fix first: {errors[0]}", ok=False)
            self.notify(errors[0], title="Cannot launch yet", severity="error")
            return
        target = self.backend.run_config_path(self.state)
        saved = self.save(target, run_copy=True)
        if saved is None:
            return
        try:
            self.app.launch_run(saved)  # type: ignore[attr-defined]
        except self.backend.Refused as err:
            self._status(f"✗ launch failed: {err.message}", ok=False)

    @on(Button.Pressed, "#save")
    def _save(self) -> None:
        self.save()

    @on(Button.Pressed, "#launch")
    def _launch(self) -> None:
        self.launch()

    @on(Input.Submitted, "#save-path")
    def _submitted(self) -> None:
        self.save()
