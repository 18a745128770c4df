"""The F1 help screen: what each step does, every key, and where the mask colours come from."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen

HELP_TEXT = """\
# ftui — help

ftui builds an Axolotl-compatible fine-tuning config in four steps. Every step can be reached at any time;
a step marked ✗ in the step bar has something to fix, and **Next** stays disabled until it is fixed.

| key | action |
| --- | --- |
| `ctrl+n` / `ctrl+b` | next / previous step |
| `f2` `f3` `f4` `f5` | jump to Model / Data / Settings / Review |
| `ctrl+s` | save the config (on Review: to the path shown) |
| `ctrl+l` | launch training (saves the YAML into the output dir first) |
| `ctrl+t` | toggle dark / light theme |
| `ctrl+p` | command palette: every action by name |
| `f1` | this help |
| `ctrl+q` | quit |

## Model
Pick a model from the catalog (type to filter) or type a local folder, a `.gguf` file or a hub id
(`owner/name`). The **memory panel** estimates peak training memory for the current settings and says,
per detected GPU (or a preset you choose), whether it fits; the **hardware panel** shows what this machine has.

## Data
Choose a data file in the tree, type a path, or give a hub dataset id. ftui detects the format, counts rows and
lists bad rows as `file:line: reason`. The **token view** shows exactly what the model will be trained on:

* highlighted tokens are **trained** (their label is the token id),
* dimmed tokens are **masked** (label -100, no loss),
* bold tokens on an accent background are **special** tokens,
* neighbouring tokens alternate their shade so every boundary is visible.

Keys in the token view: `n` / `p` next / previous example, `r` random, `g` jump to a row, `i` toggle token
ids, `l` toggle `(label, id)` pairs.

## Settings
Adapter, LoRA shape, optimisation, batch and sequence settings, evaluation and saving. Invalid values show
their reason next to the field; the line at the bottom explains the focused field.

## Review
The final YAML, every warning from validation and from the memory estimate, **Save** and **Launch**.
"""


class HelpScreen(ModalScreen[None]):
    """A modal with the help text; any of escape/f1/q closes it."""

    BINDINGS = [
        Binding("escape", "close", "Close"),
        Binding("f1", "close", "Close", show=False),
        Binding("q", "close", "Close", show=False),
    ]

    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll {
        width: 90%; max-width: 110; height: 90%;
        border: thick $primary; background: $surface; padding: 0 1;
    }
    """

    def compose(self) -> ComposeResult:
        from textual.widgets import Markdown  # markdown-it is only paid for when help opens

        with VerticalScroll():
            yield Markdown(HELP_TEXT)

    def action_close(self) -> None:
        self.dismiss(None)
