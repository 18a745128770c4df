"""Where a run logged and pushed, from its events: one list for the monitor, the runs list and `--list`.

run_started carries `trackers` (where each tracker logs, core/tracking.py) and `hub` (where it pushes,
core/hub_push.py); `pushed` events and `warning` events of kind `hub` say what happened since.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Destination:
    kind: str  # a tracker name (tensorboard, wandb, ...) or "hub"
    label: str  # "TensorBoard", "W&B (offline)", "Hub"
    where: str  # a folder, a URI or URL, or a repo with what happened
    link: str | None = None  # the Hub page or tracker run URL alone, where there is one

    def line(self) -> str:
        return f"{self.label}: {self.where}"


def destinations(
    started: dict[str, Any] | None, pushes: Iterable[dict[str, Any]], warnings: Iterable[dict[str, Any]]
) -> list[Destination]:
    from ftui.core.tracking import TRACKERS

    started = started or {}
    out = []
    for place in started.get("trackers") or []:
        if not isinstance(place, dict) or place.get("tracker") not in TRACKERS:
            continue
        label = TRACKERS[place["tracker"]].label
        if place.get("mode"):
            label += f" ({place['mode']})"
        where = str(place.get("url") or place.get("where") or "?")
        out.append(Destination(place["tracker"], label, where, place.get("url")))
    hub = started.get("hub") if isinstance(started.get("hub"), dict) else None
    pushes = list(pushes)
    failures = [w for w in warnings if w.get("kind") == "hub"]
    if pushes:
        last = pushes[-1]
        where = f"{last.get('url') or last.get('repo')} ({last.get('what')} at step {last.get('step')})"
        out.append(Destination("hub", "Hub", where, last.get("url")))
    elif hub:
        repo = str(hub.get("repo"))
        if failures:
            where = f"{repo}: not pushed ({failures[-1].get('message')})"
        else:
            where = f"{repo}: pushes {hub.get('strategy') or 'end'}"
        out.append(Destination("hub", "Hub", where))
    return out
