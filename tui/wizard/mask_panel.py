"""The token-mask panel of the Data step: toolbar (row navigation, annotation toggles), the token view,
loud warnings, and stats for this example and for the whole dataset."""

from __future__ import annotations

import random

from ftui.tui.widgets.token_view import TokenView
from ftui.tui.wizard.previews import Preview, StatsView
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Button, Checkbox, Input, Static

SPARK = "▁▂▃▄▅▆▇█"


def sparkline(counts: list[int]) -> str:
    top = max(counts) if counts else 0
    if top == 0:
        return ""
    return "".join(
        SPARK[min(len(SPARK) - 1, (c * (len(SPARK) - 1) + top - 1) // top)] if c else " " for c in counts
    )


def example_stats_text(preview: Preview) -> Text:
    tokens = len(preview.tokens)
    trained = sum(1 for t in preview.tokens if t.trained)
    share = 100 * trained / tokens if tokens else 0.0
    text = Text.assemble(
        ("this example  ", "bold"),
        f"{tokens} tokens, ",
        (f"{trained} trained", "green"),
        f" ({share:.0f}%), {tokens - trained} masked",
    )
    if preview.status:
        text.append(f"  [{preview.status}]", style="bold yellow")
    return text


def dataset_stats_text(view: StatsView | None) -> Text:
    """The numbers `ftui preprocess` prints, for the rows read so far."""
    if view is None:
        return Text("dataset  computing…", style="italic")
    if view.error or view.stats is None:
        return Text(f"dataset  {view.error or 'no data'}", style="bold red")
    stats = view.stats
    share = 100 * stats.trainable_tokens / stats.total_tokens if stats.total_tokens else 0.0
    removed = stats.dropped_exact_duplicate
    text = Text.assemble(
        ("dataset  ", "bold"),
        f"{stats.rows:,} rows from {stats.source_rows:,} examples, {stats.total_tokens:,} tokens, "
        f"{share:.0f}% trained, ",
        (f"{stats.dropped_too_long} too long", "yellow" if stats.dropped_too_long else ""),
        ", ",
        (
            f"{stats.dropped_no_trainable} with nothing trained",
            "bold red" if stats.dropped_no_trainable else "",
        ),
        " (dropped), ",
        (f"{stats.truncated} truncated", "yellow" if stats.truncated else ""),
        ", ",
        (f"{stats.duplicates} duplicates", "yellow" if stats.duplicates else ""),
        (f" (+{removed} removed)" if removed else ""),
    )
    if stats.split:
        text.append(f", {stats.split} split", style="dim")
    if view.sampled:
        text.append(f" (first {stats.source_rows:,} rows)", style="dim")
    if view.histogram:
        pct = stats.length_percentiles
        text.append(
            f"\nlengths {view.min_length}–{view.max_length} (p50 {pct['p50']}, p99 {pct['p99']})  ",
            style="dim",
        )
        text.append(sparkline(view.histogram), style="cyan")
    for note in view.notes:
        text.append(f"\n{note}", style="dim")
    return text


class MaskPanel(Vertical):
    """Shows one `Preview`; posts `RowRequested` when the user navigates."""

    BINDINGS = [
        Binding("n", "step(1)", "Next row"),
        Binding("p", "step(-1)", "Prev row"),
        Binding("r", "random", "Random row"),
        Binding("g", "jump", "Jump to row"),
        Binding("i", "toggle('ids')", "Token ids"),
        Binding("l", "toggle('pairs')", "(label, id)"),
    ]

    class RowRequested(Message):
        def __init__(self, index: int) -> None:
            super().__init__()
            self.index = index

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.row_count = 0
        self.index = 0
        self._random = random.Random(0)

    def compose(self) -> ComposeResult:
        with Horizontal(id="mask-toolbar"):
            yield Button("◀", id="row-prev", tooltip="previous example (p)", compact=True)
            yield Button("▶", id="row-next", tooltip="next example (n)", compact=True)
            yield Button("random", id="row-random", tooltip="a random example (r)", compact=True)
            yield Input(placeholder="row", type="integer", id="row-jump", tooltip="jump to a row (g)")
            yield Static("", id="row-position")
            yield Checkbox("ids", id="show-ids", compact=True)
            yield Checkbox("(label, id)", id="show-pairs", compact=True)
        yield Static("", id="mask-warning")
        yield TokenView(id="tokens")
        yield Static("", id="example-stats")
        yield Static(dataset_stats_text(None), id="dataset-stats")

    # --- showing ---------------------------------------------------------------------------------------------
    def show_preview(self, preview: Preview | None, row_count: int, index: int) -> None:
        self.row_count, self.index = row_count, index
        view = self.query_one(TokenView)
        warning = self.query_one("#mask-warning", Static)
        position = self.query_one("#row-position", Static)
        if preview is None:
            view.set_tokens([])
            position.update("")
            warning.update("")
            warning.display = False
            self.query_one("#example-stats", Static).update("")
            return
        position.update(f"row {index + 1} / {row_count}" + (f"  {preview.source}" if preview.source else ""))
        view.set_tokens(preview.tokens)
        warning.update("\n".join(f"⚠ {w}" for w in preview.warnings))
        warning.display = bool(preview.warnings)
        self.query_one("#example-stats", Static).update(example_stats_text(preview))

    def show_message(self, message: str) -> None:
        """Instead of tokens: why there is nothing to show yet (loading, no data, an error)."""
        self.show_preview(None, self.row_count, self.index)
        warning = self.query_one("#mask-warning", Static)
        warning.update(message)
        warning.display = bool(message)

    def show_dataset_stats(self, stats: StatsView | None) -> None:
        self.query_one("#dataset-stats", Static).update(dataset_stats_text(stats))

    # --- navigation --------------------------------------------------------------------------------------------
    def request(self, index: int) -> None:
        if self.row_count:
            self.post_message(self.RowRequested(index % self.row_count))

    def action_step(self, delta: int) -> None:
        self.request(self.index + delta)

    def action_random(self) -> None:
        if self.row_count:
            self.request(self._random.randrange(self.row_count))

    def action_jump(self) -> None:
        self.query_one("#row-jump", Input).focus()

    def action_toggle(self, which: str) -> None:
        box = self.query_one("#show-ids" if which == "ids" else "#show-pairs", Checkbox)
        box.value = not box.value

    @on(Button.Pressed, "#row-prev")
    def _prev(self) -> None:
        self.action_step(-1)

    @on(Button.Pressed, "#row-next")
    def _next(self) -> None:
        self.action_step(1)

    @on(Button.Pressed, "#row-random")
    def _rand(self) -> None:
        self.action_random()

    @on(Input.Submitted, "#row-jump")
    def _jump(self, event: Input.Submitted) -> None:
        try:
            row = int(event.value)
        except ValueError:
            return
        self.request(max(1, min(row, self.row_count)) - 1)
        self.query_one(TokenView).focus()

    @on(Checkbox.Changed, "#show-ids")
    def _ids(self, event: Checkbox.Changed) -> None:
        event.stop()
        self.query_one(TokenView).set_annotations(show_ids=event.value)

    @on(Checkbox.Changed, "#show-pairs")
    def _pairs(self, event: Checkbox.Changed) -> None:
        event.stop()
        self.query_one(TokenView).set_annotations(show_pairs=event.value)
