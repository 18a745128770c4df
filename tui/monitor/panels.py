"""The monitor's text panels: status banner, warnings, progress, throughput, eval, error (memory and machine:
machine.py).

Every panel has `update_from(state)`; the screen calls it only when the run's data changed. Text is built
with Rich `Text` (never f-strings into markup: prompts and tracebacks contain square brackets).
"""

from __future__ import annotations

from typing import Any

from ftui.core.events import number
from ftui.core.metrics import format_duration
from ftui.core.runs.state import RunState
from ftui.tui.monitor.machine import memory_text
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import ProgressBar, Sparkline, Static

STATUS_LABELS = {
    "starting": "STARTING",
    "running": "RUNNING",
    "finished": "FINISHED",
    "stopped": "STOPPED",
    "failed": "FAILED",
    "died": "DIED (process gone without a final event)",
}


class StatusBanner(Static):
    """One line that cannot be missed: status in colour, run, model, device."""

    DEFAULT_CLASSES = "-starting"

    def update_from(self, state: RunState) -> None:
        status = state.status
        for name in STATUS_LABELS:
            self.set_class(name == status, f"-{name}")
        started = state.started or {}
        text = Text.assemble((f" ● {STATUS_LABELS.get(status, status.upper())} ", "bold"), "  ")
        text.append(state.name, style="bold")
        parts = [state.model or "model ?", str(started.get("device_name") or started.get("device") or "")]
        if started.get("precision"):
            parts.append(str(started["precision"]))
        if number(started.get("world_size")) and int(number(started.get("world_size")) or 1) > 1:
            parts.append(f"{int(number(started['world_size']) or 1)} processes")
        if int(number(started.get("resumed_from_step")) or 0):
            parts.append(f"resumed from step {int(number(started['resumed_from_step']) or 0)}")
        text.append("  ·  " + "  ·  ".join(p for p in parts if p))
        if state.terminal and state.terminal.get("type") == "stopped":
            reason = state.terminal.get("reason") or "signal"
            text.append(f"  ·  stopped ({reason}) at step {state.step}; press r to resume")
        if status == "failed" and state.error:
            text.append("  ·  " + state.error)
        self.update(text)


class WarningBar(Static):
    """The latest watchdog/config warning, highlighted, with how many there were; hidden when none."""

    def update_from(self, state: RunState) -> None:
        self.display = bool(state.warnings)
        if not state.warnings:
            return
        latest = state.warnings[-1]
        text = Text(" ⚠ ", style="bold")
        if latest.get("step") is not None:
            text.append(f"step {latest['step']}: ")
        text.append(f"{latest.get('kind') or 'warning'}: ", style="bold")
        text.append(str(latest.get("message") or ""))
        if len(state.warnings) > 1:
            text.append(f"  ({len(state.warnings)} warnings, see events)")
        self.update(text)


class ProgressPanel(Vertical):
    """Step/total bar with epoch, elapsed and ETA as the trainer reports them (no wall clock)."""

    DEFAULT_CSS = """
    ProgressPanel { height: auto; }
    ProgressPanel ProgressBar { width: 1fr; }
    ProgressPanel ProgressBar Bar { width: 1fr; }
    """

    def compose(self) -> ComposeResult:
        yield ProgressBar(total=None, show_eta=False, id="progress-bar")
        yield Static("waiting for the first step", id="progress-text")

    def update_from(self, state: RunState) -> None:
        bar = self.query_one(ProgressBar)
        total = state.total_steps
        if total:
            bar.update(total=total, progress=min(state.step, total))
        last = state.last_step or {}
        started = state.started or {}
        epochs = number(started.get("num_epochs"))
        epoch = number(last.get("epoch"))
        text = Text(f"step {state.step}/{total or '?'}")
        if epoch is not None:
            text.append(f"  ·  epoch {epoch:.2f}" + (f"/{epochs:g}" if epochs else ""))
        text.append(f"  ·  elapsed {format_duration(state.duration_s)}")
        if state.active:
            text.append(f"  ·  ETA {format_duration(number(last.get('eta_s')))}")
        self.query_one("#progress-text", Static).update(text)


class ThroughputPanel(Vertical):
    """Raw and trained tokens/s, samples/s, and memory against the estimate."""

    DEFAULT_CSS = "ThroughputPanel { height: auto; } ThroughputPanel Sparkline { height: 2; }"

    def compose(self) -> ComposeResult:
        yield Static("", id="throughput-text")
        yield Sparkline([], id="throughput-spark")
        yield Static("", id="memory-text")

    def update_from(self, state: RunState) -> None:
        last = state.last_step or {}
        tps = number(last.get("tokens_per_s"))
        trained = number(last.get("trained_tokens_per_s"))
        sps = number(last.get("samples_per_s"))
        text = Text("tokens/s ", style="bold")
        text.append(f"{tps:,.0f}" if tps is not None else "-")
        text.append(f"  trained {trained:,.0f}" if trained is not None else "")
        text.append(f"  samples/s {sps:.2f}" if sps is not None else "")
        self.query_one("#throughput-text", Static).update(text)
        self.query_one("#throughput-spark", Sparkline).data = list(state.series.tokens_per_s)
        self.query_one("#memory-text", Static).update(memory_text(state))


class EvalPanel(Static):
    """Eval loss, custom-eval pass rate and the latest sample generations (✓ / ✗)."""

    def update_from(self, state: RunState) -> None:
        event = state.last_eval
        if event is None:
            self.update(Text("eval: none yet", style="dim"))
            return
        text = Text("eval ", style="bold")
        loss = number(event.get("eval_loss"))
        text.append(f"loss {loss:.4f}" if loss is not None else "loss -")
        if state.best_eval_loss is not None:
            text.append(f"  best {state.best_eval_loss:.4f}")
        text.append(f"  @ step {event.get('step')}")
        rate = number(event.get("assertion_pass_rate"))
        if rate is not None:
            total = event.get("assertion_total")
            style = "bold green" if rate >= 0.8 else ("yellow" if rate >= 0.5 else "bold red")
            text.append("\npass rate ", style="bold")
            text.append(f"{rate:.0%}", style=style)
            if total:
                text.append(f" of {total}")
            xs, ys = state.series.pass_rate.points()
            if xs and len(xs) > 1:  # the trainer measures the base model at step 0, before training
                label = "base model" if xs[0] == 0 else "first eval"
                text.append(f"  ({label} {ys[0]:.0%})", style="dim")
        for sample in (event.get("samples") or [])[:4]:
            if not isinstance(sample, dict):
                continue
            passed = sample.get("passed")
            mark = ("✓ ", "green") if passed else (("✗ ", "red") if passed is False else ("• ", "dim"))
            text.append("\n")
            text.append(*mark)
            text.append(_one_line(sample.get("prompt"), 60), style="bold")
            text.append("\n  → " + _one_line(sample.get("generated"), 70))
            if passed is False and sample.get("expected") is not None:
                text.append("\n  expected " + _one_line(sample.get("expected"), 62), style="dim")
        if event.get("samples"):
            text.append("\nv: mark samples good/bad with a critique", style="dim italic")
        self.update(text)


def _one_line(value: Any, width: int) -> str:
    text = " ".join(str(value or "").split())
    return text if len(text) <= width else text[: width - 1] + "…"


class ErrorPanel(Static):
    """On failure: the error, the traceback tail and the hint; for a died run, where to look."""

    def update_from(self, state: RunState, exit_code: int | None = None) -> None:
        """`exit_code`: the trainer's, when this app launched it and it has ended."""
        status = state.status
        self.display = status in ("failed", "died")
        if status == "failed" and state.terminal:
            event = state.terminal
            text = Text(f"{event.get('error_class') or 'Error'}: ", style="bold red")
            text.append(str(event.get("message") or ""), style="bold")
            tail = event.get("traceback_tail") or []
            if isinstance(tail, str):
                tail = tail.splitlines()
            for line in list(tail)[-8:]:
                text.append("\n  " + str(line), style="dim")
            if event.get("hint"):
                text.append("\nhint: ", style="bold yellow")
                text.append(str(event["hint"]))
            for suggestion in event.get("suggestions") or []:
                text.append("\n  • " + str(suggestion))
            self.update(text)
        elif status == "died":
            text = Text("The trainer process is gone and wrote no final event ", style="bold red")
            if exit_code is not None:
                text.append(
                    f"(it exited with code {exit_code}{' before it started' if not state.started else ''})."
                )
            else:
                text.append("(killed, out of host memory, or the machine restarted).")
            text.append("\nhint: ", style="bold yellow")
            text.append("read the log below; press r to resume from the last checkpoint.")
            self.update(text)
