"""SVG snapshots of every wizard step at 120x40 from a fixed project (embedded model, small chat data).

Deterministic: hardware is a constant (no real GPU or RAM reading), paths are relative to a project folder
the test changes into, cursors do not blink, and every loader has finished before the picture.
"""

from __future__ import annotations

import pytest
from ftui.tui.wizard import backend
from tui_helpers import FIXED_HARDWARE, demo_app, settle_for_picture

SIZE = (120, 40)


@pytest.fixture(autouse=True)
def fixed_hardware(monkeypatch):
    monkeypatch.setattr(backend.Backend, "detect_hardware", lambda self: FIXED_HARDWARE)


@pytest.mark.slow
@pytest.mark.parametrize("step", ["model", "data", "settings", "review"])
def test_wizard_step_snapshot(step, snap_compare, tmp_path, monkeypatch, smollm_dir):
    monkeypatch.chdir(tmp_path)
    app = demo_app(tmp_path, step)
    assert snap_compare(app, terminal_size=SIZE, run_before=settle_for_picture)
