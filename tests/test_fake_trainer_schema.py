"""The monitor tests' fake trainer writes through core's strict EventWriter: its events are the schema's,
and a schema change breaks it (and so the monitor tests) until it writes what `ftui train` writes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from fake_trainer import write_history
from ftui.core import events as core_events
from ftui.core.events import EVENT_FIELDS, read_events, schema_problems

FAKE = str(Path(__file__).parent / "fake_trainer.py")


@pytest.mark.parametrize("end", ["finished", "failed", "stopped"])
def test_history_events_follow_the_schema(tmp_path, end):
    events = read_events(write_history(tmp_path, 12, 20, end=end))
    assert [p for e in events for p in schema_problems(e)] == []
    kinds = {e["type"] for e in events}
    assert {"run_started", "step", "eval", "checkpoint", "warning", end} <= kinds


def test_the_live_fake_writes_schema_events(tmp_path):
    proc = subprocess.run(
        [sys.executable, FAKE, str(tmp_path), "--steps", "11", "--interval", "0"], timeout=60
    )
    assert proc.returncode == 0
    events = read_events(tmp_path)
    assert events[-1]["type"] == "finished" and len([e for e in events if e["type"] == "step"]) == 11
    assert [p for e in events for p in schema_problems(e)] == []


def test_a_schema_change_breaks_the_fake(tmp_path, monkeypatch):
    required, optional = EVENT_FIELDS["step"]
    monkeypatch.setitem(core_events.EVENT_FIELDS, "step", ((*required, "new_field"), optional))
    with pytest.raises(ValueError, match="step: missing field 'new_field'"):
        write_history(tmp_path, 3, 10)
    monkeypatch.setitem(core_events.EVENT_FIELDS, "step", (required[1:], optional))  # `step` renamed away
    with pytest.raises(ValueError, match="step: unknown field 'step'"):
        write_history(tmp_path, 3, 10)


def test_schema_problems_name_what_differs():
    assert schema_problems({"type": "nope"}) == ["unknown event type 'nope'"]
    event = {"type": "checkpoint", "v": 2, "time": 1, "step": 1, "extra": 0}
    assert schema_problems(event) == [
        "checkpoint: v is 2",
        "checkpoint: time must be a float (Unix seconds)",
        "checkpoint: missing field 'path'",
        "checkpoint: unknown field 'extra'",
    ]
