"""Chat with a trained run: the run's own template, streamed tokens, and optionally the base model's answer
to the same prompt side by side.

The model loads in a thread worker (never on the event loop); each reply streams from another thread worker
that posts text pieces back with `call_from_thread`. Greedy decoding by default; temperature, top-p and
beams are set in the options row. For a LoRA run the base answer comes from the same weights with the
adapter disabled, so no second model is loaded.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import nullcontext
from pathlib import Path
from typing import Any

from ftui.core.errors import UserError
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Checkbox, Footer, Input, Label, Static

Loader = Callable[[Path], tuple[Any, Any]]

CHAT_CSS = """
ChatScreen #chat-status { height: 1; padding: 0 1; background: $panel; text-style: bold; }
ChatScreen #chat-panes { height: 1fr; }
ChatScreen .chat-pane { width: 1fr; border: round $panel-lighten-2; padding: 0 1; }
ChatScreen #pane-base { display: none; }
ChatScreen.-compare #pane-base { display: block; }
ChatScreen .user { color: $accent; text-style: bold; margin-top: 1; }
ChatScreen #chat-options { height: 3; }
ChatScreen #chat-options Label { padding: 1 0 0 1; }
ChatScreen #chat-options Input { width: 12; }
ChatScreen #prompt { height: 3; }
"""


def load_run(run_dir: Path) -> tuple[Any, Any]:
    """Base + adapter (or the merged/full model) of a run, with its tokenizer and chat template."""
    from ftui.core.generate import load_run_model

    return load_run_model(run_dir)


def load_base(run_dir: Path) -> Any:
    """The untouched base model of a full fine-tune or a merged folder (its run's ftui_run.json names it)."""
    import torch
    from ftui.core.runs.layout import RUN_INFO_FILE, read_run_info
    from transformers import AutoModelForCausalLM

    info = read_run_info(run_dir) or read_run_info(run_dir.parent)
    path = info.get("base_model_path")
    if not path:
        raise UserError(
            f"{run_dir}: the base model is not recorded (no {RUN_INFO_FILE})", "compare needs a run folder"
        )
    kwargs: dict[str, Any] = {
        "dtype": torch.float32,
        "trust_remote_code": bool(info.get("trust_remote_code")),
    }
    if info.get("base_model_gguf_file"):
        kwargs["gguf_file"] = info["base_model_gguf_file"]
    model = AutoModelForCausalLM.from_pretrained(path, **kwargs)
    model.eval()
    return model


def base_context(model: Any):
    """A context in which `model` answers as its base: the adapter disabled (LoRA), else unchanged."""
    disable = getattr(model, "disable_adapter", None)
    return disable() if callable(disable) else nullcontext()


class ChatScreen(Screen):
    """Chat with `run_dir`'s model; `b` shows the base model's answer beside the fine-tuned one."""

    DEFAULT_CSS = CHAT_CSS
    BINDINGS = [
        Binding("ctrl+b", "toggle_compare", "Base vs fine-tuned"),
        Binding("ctrl+l", "clear", "Clear"),
        Binding("ctrl+r", "critique", "Critique reply"),
        Binding("escape", "back", "Back"),
    ]

    def __init__(
        self,
        run_dir: str | Path,
        *,
        loader: Loader | None = None,
        base_loader: Callable[[Path], Any] | None = None,
        max_new_tokens: int = 256,
    ) -> None:
        super().__init__()
        self.run_dir = Path(run_dir)
        self.loader = loader or load_run
        self.base_loader = base_loader or load_base
        self.base_model: Any = None
        self.max_new_tokens = max_new_tokens
        self.model: Any = None
        self.tokenizer: Any = None
        self.history: dict[str, list[dict[str, str]]] = {"tuned": [], "base": []}
        self.busy = False

    def compose(self) -> ComposeResult:
        yield Static(Text(f"chat · {self.run_dir.name} · loading the model…"), id="chat-status")
        with Horizontal(id="chat-panes"):
            with VerticalScroll(id="pane-tuned", classes="chat-pane"):
                yield Static(Text("fine-tuned", style="bold"))
            with VerticalScroll(id="pane-base", classes="chat-pane"):
                yield Static(Text("base model (adapter off)", style="bold"))
        with Horizontal(id="chat-options"):
            yield Label("temperature")
            yield Input("0", type="number", id="opt-temperature")
            yield Label("top-p")
            yield Input("1.0", type="number", id="opt-top-p")
            yield Label("beams")
            yield Input("1", type="integer", id="opt-beams")
            yield Checkbox("base vs fine-tuned", id="opt-compare")
        yield Input(placeholder="Type a message and press Enter", id="prompt", disabled=True)
        yield Footer()

    def on_mount(self) -> None:
        self.load_model()

    # --- loading -------------------------------------------------------------------------------------
    @work(thread=True, exclusive=True, group="chat-load", exit_on_error=False)
    def load_model(self) -> None:
        try:
            model, tokenizer = self.loader(self.run_dir)
        except UserError as err:
            self.app.call_from_thread(
                self._loaded, None, None, err.message + (f" ({err.hint})" if err.hint else "")
            )
            return
        except Exception as err:  # noqa: BLE001 - shown to the user instead of crashing the TUI
            self.app.call_from_thread(self._loaded, None, None, f"{type(err).__name__}: {err}")
            return
        self.app.call_from_thread(self._loaded, model, tokenizer, None)

    def _loaded(self, model: Any, tokenizer: Any, error: str | None) -> None:
        if not self.is_mounted:  # the user left while the model loaded
            return
        status = self.query_one("#chat-status", Static)
        if error:
            status.update(Text(f"chat · {self.run_dir.name} · cannot load: {error}", style="bold red"))
            return
        self.model, self.tokenizer = model, tokenizer
        kind = "base + LoRA adapter" if callable(getattr(model, "disable_adapter", None)) else "full model"
        status.update(Text(f"chat · {self.run_dir.name} · {kind} · greedy unless temperature > 0"))
        prompt = self.query_one("#prompt", Input)
        prompt.disabled = False
        prompt.focus()

    # --- chatting ------------------------------------------------------------------------------------
    def options(self):
        from ftui.core.generate import GenerationOptions

        def read(widget_id: str, cast, default):
            try:
                return cast(self.query_one(widget_id, Input).value)
            except ValueError:
                return default

        return GenerationOptions(
            max_new_tokens=self.max_new_tokens,
            temperature=max(0.0, read("#opt-temperature", float, 0.0)),
            top_p=min(1.0, max(0.01, read("#opt-top-p", float, 1.0))),
            num_beams=max(1, read("#opt-beams", int, 1)),
        )

    @property
    def compare(self) -> bool:
        return self.query_one("#opt-compare", Checkbox).value

    @on(Checkbox.Changed, "#opt-compare")
    def _compare_changed(self, event: Checkbox.Changed) -> None:
        self.set_class(event.value, "-compare")

    def action_toggle_compare(self) -> None:
        box = self.query_one("#opt-compare", Checkbox)
        box.value = not box.value

    @on(Input.Submitted, "#prompt")
    def _submitted(self, event: Input.Submitted) -> None:
        text = event.value.strip()
        if not text or self.busy or self.model is None:
            return
        event.input.value = ""
        sides = ["tuned", "base"] if self.compare else ["tuned"]
        targets = {}
        for side in sides:
            pane = self.query_one(f"#pane-{side}", VerticalScroll)
            pane.mount(Static(Text("you: " + text), classes="user"))
            answer = Static("", classes="answer")
            pane.mount(answer)
            targets[side] = answer
            self.history[side].append({"role": "user", "content": text})
        self.busy = True
        self.generate(sides, targets, self.options())

    @work(thread=True, exclusive=True, group="chat-generate", exit_on_error=False)
    def generate(self, sides: list[str], targets: dict[str, Static], options) -> None:
        from ftui.core.generate import stream_reply
        from textual.worker import get_current_worker

        worker = get_current_worker()
        try:
            for side in sides:
                reply = ""
                model, context = self.model, nullcontext()
                if side == "base":
                    model, context = self._base_model_and_context(targets[side])
                with context:
                    for piece in stream_reply(model, self.tokenizer, self.history[side], options):
                        if worker.is_cancelled:  # the screen was closed: stop streaming into it
                            return
                        reply += piece
                        self.app.call_from_thread(targets[side].update, Text(reply))
                self.history[side].append({"role": "assistant", "content": reply})
        except Exception as err:  # noqa: BLE001 - a generation error is shown, the chat stays usable
            self.app.call_from_thread(
                self.notify, f"{type(err).__name__}: {err}", title="Generation failed", severity="error"
            )
        finally:
            try:
                self.app.call_from_thread(self._done)
            except RuntimeError:  # the app has already exited
                pass

    def _base_model_and_context(self, target: Static) -> tuple[Any, Any]:
        """LoRA: the same weights with the adapter off. Full/merged: the base loaded once, on first use."""
        if callable(getattr(self.model, "disable_adapter", None)):
            return self.model, base_context(self.model)
        if self.base_model is None:
            self.app.call_from_thread(target.update, Text("loading the base model…", style="dim"))
            self.base_model = self.base_loader(self.run_dir)
        return self.base_model, nullcontext()

    def _done(self) -> None:
        self.busy = False
        if not self.is_mounted:
            return
        for side in ("tuned", "base"):
            self.query_one(f"#pane-{side}", VerticalScroll).scroll_end(animate=False)

    def action_clear(self) -> None:
        self.history = {"tuned": [], "base": []}
        for side in ("tuned", "base"):
            pane = self.query_one(f"#pane-{side}", VerticalScroll)
            for child in list(pane.children)[1:]:
                child.remove()

    def action_critique(self) -> None:
        """Mark the last reply good or bad with a critique, saved to RUN_DIR/critiques.jsonl."""
        from ftui.core.quality.critiques import conversation_prompt, run_step
        from ftui.tui.widgets.critique_dialog import CritiqueDialog

        history = self.history["tuned"]
        if self.busy or not history or history[-1]["role"] != "assistant":
            self.notify("nothing to critique yet: send a message and wait for the reply", severity="warning")
            return
        dialog = CritiqueDialog(
            conversation_prompt(history[:-1]),
            history[-1]["content"],
            step=run_step(self.run_dir),
            source="chat",
        )
        self.app.push_screen(dialog, self._save_critique)

    def _save_critique(self, critique) -> None:
        from ftui.tui.monitor.review import save_critique

        save_critique(self, self.run_dir, critique)

    def action_back(self) -> None:
        if len(self.app.screen_stack) > 1:
            self.app.pop_screen()
