"""The wizard screen: step bar, the four steps in a ContentSwitcher, Back/Next, and the loaders.

The screen owns what is derived from the state (model facts, hardware, tokenizer, memory estimate). Slow
things load in thread workers that post messages; the estimate is pure Python and is recomputed
synchronously on every change so the memory panels update in the same frame.
"""

from __future__ import annotations

import threading
from typing import Any

from ftui.tui.widgets.memory_panel import EstimateView
from ftui.tui.wizard.backend import Backend
from ftui.tui.wizard.data_step import DataStep
from ftui.tui.wizard.mask_panel import MaskPanel
from ftui.tui.wizard.model_step import ModelStep
from ftui.tui.wizard.review_step import ReviewStep
from ftui.tui.wizard.settings_step import SettingsStep
from ftui.tui.wizard.state import STEP_TITLES, STEPS, WizardState
from ftui.tui.wizard.step import StepPane
from ftui.tui.wizard.step_bar import StepBar
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Button, ContentSwitcher, Footer, Header, Static, Tabs

# transformers' lazy module is not thread-safe on first use: the facts and tokenizer workers, started together
# when the wizard opens on the Data step, otherwise fail with "cannot import name ..." (one loads at a time).
TRANSFORMERS_LOCK = threading.Lock()


class Loaded(Message):
    """A worker finished loading something (`what` is facts / hardware / tokenizer); `error` if it failed."""

    def __init__(self, what: str, key: str, value: Any = None, error: str | None = None) -> None:
        super().__init__()
        self.what, self.key, self.value, self.error = what, key, value, error


class WizardScreen(Screen):
    """Model -> Data -> Settings -> Review, with free movement between steps."""

    BINDINGS = [
        Binding("ctrl+n", "next", "Next", priority=True),
        Binding("ctrl+b", "back", "Back", priority=True),
        *(
            Binding(f"f{n}", f"goto('{step}')", STEP_TITLES[step], show=False)
            for n, step in enumerate(STEPS, 2)
        ),
        Binding("f6", "data_quality", "Data quality", show=False),
        Binding("ctrl+s", "save", "Save", priority=True),
        Binding("ctrl+l", "launch", "Launch", priority=True),
    ]

    def __init__(self, state: WizardState, start_step: str = "model", backend: Backend | None = None) -> None:
        super().__init__()
        self.state = state
        self.backend = backend or Backend()  # the one door to core
        self.start_step = start_step
        self.facts: Any = None  # core ModelFacts of state.base_model, or None while loading / unknown
        self.facts_error: str | None = None
        self.hardware: Any = None
        self.tokenizer: Any = None
        self.tokenizer_error: str | None = None
        self.estimate: EstimateView | None = None
        self._started = False
        self._reload_timer: Timer | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield StepBar()
        with ContentSwitcher(initial=self.start_step, id="steps"):
            yield ModelStep(id="model")
            yield DataStep(id="data")
            yield SettingsStep(id="settings")
            yield ReviewStep(id="review")
        with Horizontal(id="nav"):
            yield Static(id="problems")
            yield Button("◀ Back", id="back", compact=True)
            yield Button("Next ▶", id="next", variant="primary", compact=True)
        yield Footer()

    async def on_mount(self) -> None:
        await self.step_pane(self.start_step).build()
        self.query_one(StepBar).active = f"step-{self.start_step}"
        self.call_after_refresh(self.set_timer, 0.3, self._after_first_paint)

    def _after_first_paint(self) -> None:
        """Start the loaders once the first screen is up, so they do not compete with it for the CPU."""
        self._started = True
        self.load_hardware()
        self.reload_derived()
        data = self.step_pane("data")
        assert isinstance(data, DataStep)
        data.schedule_scan(delay=0.2)  # the step bar needs to know about bad rows before Data is opened
        if self.current == "data":
            self.ensure_tokenizer()

    # --- navigation --------------------------------------------------------------------------------------
    @property
    def current(self) -> str:
        return self.query_one("#steps", ContentSwitcher).current or STEPS[0]

    def steps(self) -> list[StepPane]:
        return list(self.query(StepPane))

    def mask_panel(self) -> MaskPanel | None:
        """The Data step's token-mask panel once built (the palette offers its actions)."""
        panels = self.query(MaskPanel)
        return panels.first() if panels else None

    def built_steps(self) -> list[StepPane]:
        return [step for step in self.steps() if step.built]

    def step_pane(self, step: str) -> StepPane:
        return self.query_one(f"#{step}", StepPane)

    def action_goto(self, step: str) -> None:
        self.query_one(StepBar).active = f"step-{step}"

    def action_data_quality(self) -> None:
        """The Data step's quality view, from any step (the Data step's own button does the same)."""
        data = self.query_one(DataStep)
        if self.current == "data" and data.built:
            data.action_quality()
        else:
            self.action_goto("data")

    def action_next(self) -> None:
        index = STEPS.index(self.current)
        if index + 1 < len(STEPS) and not self.step_pane(self.current).problems():
            self.action_goto(STEPS[index + 1])

    def action_back(self) -> None:
        index = STEPS.index(self.current)
        if index > 0:
            self.action_goto(STEPS[index - 1])

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if not self.is_mounted:
            return True
        if action == "next":
            return self.current != STEPS[-1] and not self.step_pane(self.current).problems() or None
        if action == "back":
            return self.current != STEPS[0] or None
        return True

    @on(Tabs.TabActivated)
    async def _tab_activated(self, event: Tabs.TabActivated) -> None:
        if not isinstance(event.tabs, StepBar) or event.tab.id is None:
            return
        event.stop()
        step = event.tab.id.removeprefix("step-")
        pane = self.step_pane(step)
        already_built = pane.built
        await pane.build()
        self.query_one("#steps", ContentSwitcher).current = step
        self.sub_title = STEP_TITLES[step]
        if already_built:
            pane.load_state()
        if step == "data":
            self.ensure_tokenizer()
        self.revalidate()

    @on(Button.Pressed, "#next")
    def _next_pressed(self) -> None:
        self.action_next()

    @on(Button.Pressed, "#back")
    def _back_pressed(self) -> None:
        self.action_back()

    # --- state changes -----------------------------------------------------------------------------------
    @on(StepPane.Changed)
    def _state_changed(self, event: StepPane.Changed) -> None:
        event.stop()
        if event.key == "base_model":  # typed key by key: reload once the typing pauses
            if self._reload_timer is not None:
                self._reload_timer.stop()
            self._reload_timer = self.set_timer(0.4, self.reload_derived)
        self.refresh_estimate()
        self.revalidate()

    def revalidate(self) -> None:
        """Mark each step valid or not, show the current step's problems, grey out Next."""
        if not self._started:
            return  # the first check runs right after the first paint (it imports the config schema)
        problems = {step.step: step.problems() for step in self.steps()}
        self.query_one(StepBar).set_validity({step: not found for step, found in problems.items()})
        current = problems.get(self.current, [])
        text = "  ".join(f"✗ {p}" for p in current[:3]) if current else "✓ ready"
        widget = self.query_one("#problems", Static)
        widget.update(text)
        widget.set_class(bool(current), "-invalid")
        self.query_one("#next", Button).disabled = bool(current) or self.current == STEPS[-1]
        self.query_one("#back", Button).disabled = self.current == STEPS[0]
        self.refresh_bindings()

    def refresh_estimate(self) -> None:
        self.estimate = self.backend.estimate(self.state, self.facts, self.hardware)
        for step in self.built_steps():
            step.derived_changed()

    # --- loaders (thread workers that post `Loaded`) -------------------------------------------------------
    def reload_derived(self) -> None:
        """The model changed: load its facts and tokenizer again (old results are dropped on arrival)."""
        model = self.state.base_model
        self.facts, self.facts_error, self.tokenizer, self.tokenizer_error = None, None, None, None
        self.refresh_estimate()
        if model and self.backend.model_problem(model) is None:
            self.load_facts(model)
            if self.current == "data":  # the tokenizer (transformers) is only needed there: load it lazily
                self.load_tokenizer(model)

    def ensure_tokenizer(self) -> None:
        model = self.state.base_model
        if self.tokenizer is None and not self.tokenizer_error and self.backend.model_problem(model) is None:
            if not any(w.group == "tokenizer" and w.is_running for w in self.workers):
                self.load_tokenizer(model)

    @work(thread=True, exclusive=True, group="facts", exit_on_error=False)
    def load_facts(self, model: str) -> None:
        try:
            with TRANSFORMERS_LOCK:
                facts = self.backend.load_facts(model)
            self.post_message(Loaded("facts", model, facts))
        except Exception as err:  # noqa: BLE001 - shown to the user, never a traceback
            self.post_message(Loaded("facts", model, error=self.backend.describe_error(err)))

    @work(thread=True, exclusive=True, group="tokenizer", exit_on_error=False)
    def load_tokenizer(self, model: str) -> None:
        try:
            with TRANSFORMERS_LOCK:
                tokenizer = self.backend.load_tokenizer(self.state)
            self.post_message(Loaded("tokenizer", model, tokenizer))
        except Exception as err:  # noqa: BLE001
            self.post_message(Loaded("tokenizer", model, error=self.backend.describe_error(err)))

    @work(thread=True, exclusive=True, group="hardware", exit_on_error=False)
    def load_hardware(self) -> None:
        try:
            self.post_message(Loaded("hardware", "", self.backend.detect_hardware()))
        except Exception as err:  # noqa: BLE001
            self.post_message(Loaded("hardware", "", error=self.backend.describe_error(err)))

    @on(Loaded)
    def _loaded(self, message: Loaded) -> None:
        if message.what in ("facts", "tokenizer") and message.key != self.state.base_model:
            return  # a result for a model that is no longer selected
        setattr(self, message.what, message.value)
        if message.what in ("facts", "tokenizer"):
            setattr(self, f"{message.what}_error", message.error)
        self.refresh_estimate()
        self.revalidate()

    # --- save / launch -------------------------------------------------------------------------------------
    async def _review(self) -> ReviewStep:
        review = self.step_pane("review")
        assert isinstance(review, ReviewStep)
        await review.build()
        return review

    async def action_save(self) -> None:
        (await self._review()).save()

    async def action_launch(self) -> None:
        (await self._review()).launch()
