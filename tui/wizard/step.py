"""What every wizard step shares: access to the state, a `Changed` message, and its list of problems."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from ftui.tui.wizard.state import WizardState
from textual.app import ComposeResult
from textual.containers import Container
from textual.message import Message

if TYPE_CHECKING:
    from ftui.tui.wizard.backend import Backend
    from ftui.tui.wizard.screen import WizardScreen


def is_stale(event: Message) -> bool:
    """A Changed event for a value the widget no longer has (e.g. a Select's initial value, posted after
    `load_state` already set the real one). Acting on it would overwrite the state with an old value."""
    control = getattr(event, "control", None)
    return control is not None and getattr(event, "value", None) != getattr(control, "value", None)


class StepPane(Container):
    """A step of the wizard. It edits `state.values` directly and posts `Changed` after each edit.

    Its widgets are built on first visit (`build`), so the first screen appears fast; `problems()` works on
    the state alone, before and after building.
    """

    step: ClassVar[str] = ""
    built: bool = False

    def compose(self) -> ComposeResult:
        if self.built:
            yield from self.compose_step()

    def compose_step(self) -> ComposeResult:
        """The step's widgets (subclasses)."""
        yield from ()

    async def build(self) -> None:
        if self.built:
            return
        self.built = True
        await self.recompose()
        self.on_built()
        self.load_state()
        self.derived_changed()

    def on_built(self) -> None:
        """Start what the built widgets need (workers, timers)."""

    class Changed(Message):
        """The config changed: the screen re-validates, re-estimates and refreshes the other steps."""

        def __init__(self, key: str = "") -> None:
            super().__init__()
            self.key = key

    @property
    def state(self) -> WizardState:
        return self.wizard.state

    @property
    def backend(self) -> Backend:
        """The wizard's door to core."""
        return self.wizard.backend

    @property
    def wizard(self) -> WizardScreen:
        return self.screen  # type: ignore[return-value]

    def changed(self, key: str = "") -> None:
        self.post_message(self.Changed(key))

    def problems(self) -> list[str]:
        """What must be fixed before leaving this step with Next (empty when valid)."""
        return []

    def load_state(self) -> None:
        """Refill this step's widgets from the state (on mount and after a config is loaded)."""

    def derived_changed(self) -> None:
        """Model facts, hardware, tokenizer or the estimate changed: refresh what depends on them."""
