"""Each rank's liveness in a multi-process run, from the heartbeat files every rank writes
(core/train/heartbeat.py); hidden for single-process runs, which write none."""

from __future__ import annotations

from pathlib import Path

from ftui.core.train.heartbeat import read_heartbeats
from rich.text import Text
from textual.widgets import Static

RANK_STYLES = {"finished": "green", "trained": "green", "stopped": "yellow", "failed": "bold red"}


def ranks_text(run_dir: Path, now: float | None = None) -> Text | None:
    beats = read_heartbeats(run_dir, now=now)
    if not beats:
        return None
    text = Text("ranks\n", style="bold")
    for beat in beats:
        style = RANK_STYLES.get(beat.status, "") if beat.alive else "bold red"
        mark = "●" if beat.alive else "✗"
        text.append(f"{mark} {beat.line()}\n", style=style)
    digests = {b.weights_sha256 for b in beats if b.weights_sha256}
    if len(digests) > 1:
        text.append("✗ ranks ended with different weights\n", style="bold red")
    elif digests and len([b for b in beats if b.weights_sha256]) == len(beats):
        text.append("✓ every rank ended with the same weights\n", style="green")
    return text


class RanksPanel(Static):
    """One line per rank: host, step, status and seconds since its last beat."""

    def update_from(self, run_dir: Path) -> None:
        text = ranks_text(run_dir)
        self.display = text is not None
        if text is not None:
            self.update(text)
