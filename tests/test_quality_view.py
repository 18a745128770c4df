"""Pilot tests of the Data step's quality view: open it with F6, browse flagged rows (a near duplicate beside
its partner), keep and drop by row and by kind, write the curated dataset and see the config use it; the
Line API list draws only visible lines even for 100k rows."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from ftui.tui.app import FtuiApp, load_state
from ftui.tui.wizard import backend
from ftui.tui.wizard.quality import QualityScreen
from ftui.tui.wizard.quality.flag_list import FlagList
from textual.widgets import DataTable, Static
from tui_helpers import FIXED_HARDWARE, settle

pytestmark = pytest.mark.anyio
SIZE = (120, 40)

LONG = (
    "Regular exercise strengthens the heart, improves sleep and lifts the mood; "
    "aim for thirty minutes of brisk walking on most days of the week, and add strength work twice a week."
)
ROWS = [
    {"instruction": "Give three tips for staying healthy.", "input": "", "output": "Eat well, sleep, move."},
    {"instruction": "Why exercise?", "input": "", "output": LONG},
    {"instruction": "Translate to French.", "input": "Good morning", "output": "Bonjour"},
    {"instruction": "Give three tips for staying healthy.", "input": "", "output": "Eat well, sleep, move."},
    {"instruction": "Why exercise?", "input": "", "output": LONG.replace("brisk", "brusk")},
    {"instruction": "Name a colour.", "input": "", "output": ""},
    {"instruction": "What is the capital of Japan?", "input": "", "output": "Tokyo is the capital of Japan."},
]
CONFIG = """\
base_model: embedded
datasets:
  - path: data/train.jsonl
    type: alpaca
sequence_len: 256
"""


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(autouse=True)
def fixed_hardware(monkeypatch):
    monkeypatch.setattr(backend.Backend, "detect_hardware", lambda self: FIXED_HARDWARE)


def quality_project(root: Path) -> Path:
    (root / "data").mkdir(parents=True, exist_ok=True)
    (root / "data" / "train.jsonl").write_text("".join(json.dumps(r) + "\n" for r in ROWS), encoding="utf-8")
    (root / "cfg.yml").write_text(CONFIG, encoding="utf-8")
    return root / "cfg.yml"


def quality_app(root: Path) -> FtuiApp:
    app = FtuiApp(load_state(quality_project(root)), start_step="data")
    app.animation_level = "none"
    return app


async def open_quality(pilot) -> QualityScreen:
    await settle(pilot)
    await pilot.press("f6")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, QualityScreen)
    return screen


async def test_quality_view_lists_flags_and_writes_the_curated_file(tmp_path, monkeypatch, smollm_dir):
    monkeypatch.chdir(tmp_path)
    app = quality_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_quality(pilot)
        status = str(screen.query_one("#quality-status", Static).render())
        assert "7 rows" in status and "3 flagged" in status, status
        flags = screen.query_one("#quality-list", FlagList)
        places = [screen._describe(row)[1] for row in flags.rows]
        assert places == ["data/train.jsonl:4", "data/train.jsonl:5", "data/train.jsonl:6"]
        # the near duplicate sits beside its partner, with the edit highlighted
        await pilot.press("down")
        await pilot.pause()
        assert screen.has_class("-pair")
        partner = str(screen.query_one("#quality-partner-text", Static).render())
        assert "kept: data/train.jsonl:2" in partner
        # keep the near duplicate by hand: 2 rows dropped instead of 3
        assert screen.model.drop_count() == 3
        await pilot.press("space")
        assert screen.model.drop_count() == 2 and screen.model.keep == {flags.current}
        await pilot.press("w")
        await settle(pilot)
        assert not isinstance(app.screen, QualityScreen)
    out = tmp_path / "data" / "train.curated.jsonl"
    source_lines = (tmp_path / "data" / "train.jsonl").read_bytes().splitlines(keepends=True)
    assert out.read_bytes() == b"".join(source_lines[i] for i in (0, 1, 2, 4, 6))
    assert app.state.dataset["path"] == "data/train.curated.jsonl"
    report = json.loads((tmp_path / "data" / "train.curated.jsonl.report.json").read_text())
    assert [r["line"] for r in report["rows"]] == [4, 6]


async def test_dropping_a_kind_from_the_kinds_table(tmp_path, monkeypatch, smollm_dir):
    monkeypatch.chdir(tmp_path)
    app = quality_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_quality(pilot)
        table = screen.query_one("#quality-kinds", DataTable)
        table.focus()
        row = 1 + screen.kind_names.index("empty_response")
        table.move_cursor(row=row)
        await pilot.pause()
        assert screen.model.filter_kind == "empty_response"
        assert [screen._describe(r)[1] for r in screen.query_one(FlagList).rows] == ["data/train.jsonl:6"]
        await pilot.press("space")  # empty answers are kept now
        assert "empty_response" not in screen.model.dropped_kinds
        assert screen.model.drop_count() == 2
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, QualityScreen)
    assert app.state.dataset["path"] == "data/train.jsonl"


async def test_flag_list_draws_only_visible_lines_of_100k_rows():
    from textual.app import App

    class ListApp(App):
        def compose(self):
            yield FlagList(id="flags")

    app = ListApp()
    async with app.run_test(size=(100, 30)) as pilot:
        flags = app.query_one(FlagList)
        flags.set_rows(
            list(range(100_000)), lambda row: (row % 2 == 0, f"data.jsonl:{row + 1}", "near_duplicate")
        )
        flags.focus()
        await pilot.pause()
        drawn = flags.rendered_lines
        assert 0 < drawn <= 2 * 30
        await pilot.press("end")
        await pilot.pause()
        assert flags.current == 99_999 and flags.scroll_offset.y >= 99_999 - 30
        assert flags.rendered_lines - drawn <= 2 * 30


async def test_an_audit_that_cannot_run_says_why_in_the_view(tmp_path, monkeypatch, smollm_dir):
    """A user error (the data file is gone) is one line in the status with core's message and hint; no
    traceback, the view stays open."""
    monkeypatch.chdir(tmp_path)
    app = quality_app(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        (tmp_path / "data" / "train.jsonl").unlink()
        screen = await open_quality(pilot)
        status = str(screen.query_one("#quality-status", Static).render())
        assert status.startswith("quality · cannot audit: "), status
        assert "train.jsonl" in status and "(check `path:`" in status and "Traceback" not in status, status
        assert pilot.app.screen is screen
