"""Where the run logs and pushes (trackers, Hub), in the monitor's side column; hidden when nowhere."""

from __future__ import annotations

from ftui.core.runs.state import RunState
from rich.style import Style
from rich.text import Text
from textual.widgets import Static


class DestinationsPanel(Static):
    """One line per tracker (folder, URI or run URL) and one for the Hub (the last push's link)."""

    def update_from(self, state: RunState) -> None:
        found = state.destinations
        self.display = bool(found)
        if not found:
            return
        text = Text("logged / pushed", style="bold")
        for dest in found:
            text.append(f"\n{dest.label}: ", style="bold" if dest.kind == "hub" else "")
            text.append(dest.where, style=Style(link=dest.link) if dest.link else "")
        self.update(text)
