"""One line per non-step event for the monitor's events pane; warnings and endings stand out."""

from __future__ import annotations

from pathlib import Path

from ftui.core.events import number
from rich.text import Text

NOTICE_STYLES = {
    "warning": "bold yellow",
    "failed": "bold red",
    "stopped": "yellow",
    "finished": "bold green",
}


def notice_text(event: dict) -> Text:
    """One line for a non-step event; warnings stand out."""
    kind = str(event.get("type"))
    step = event.get("step")
    prefix = f"[{step}] " if step is not None else ""
    if kind == "warning":
        body = f"⚠ {event.get('kind') or 'warning'}: {event.get('message') or ''}"
    elif kind == "checkpoint":
        body = f"checkpoint {Path(str(event.get('path') or '')).name}"
    elif kind == "eval":
        loss = number(event.get("eval_loss"))
        rate = number(event.get("assertion_pass_rate"))
        body = (
            "eval"
            + (f" loss {loss:.4f}" if loss is not None else "")
            + (f" pass {rate:.0%}" if rate is not None else "")
        )
    elif kind == "run_started":
        resumed = int(number(event.get("resumed_from_step")) or 0)
        body = f"started: {event.get('total_steps')} steps" + (f", resumed from {resumed}" if resumed else "")
    elif kind == "pushed":
        body = f"pushed {event.get('what') or 'model'} to {event.get('url') or event.get('repo')}"
    elif kind == "stopped":
        body = f"stopped ({event.get('reason') or 'signal'})"
    elif kind == "finished":
        body = "finished"
    elif kind == "failed":
        body = f"failed: {event.get('error_class') or 'Error'}"
    else:
        body = kind
    return Text(prefix + body, style=NOTICE_STYLES.get(kind, ""))
