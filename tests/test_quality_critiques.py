"""Human review of generations: marking eval samples in the monitor and replies in the chat writes
RUN_DIR/critiques.jsonl; `ftui data critiques` exports a spreadsheet and imports its edits back."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from fake_trainer import write_history
from ftui.core.errors import UserError
from ftui.core.quality.critiques import (
    Critique,
    add_critique,
    critiques_path,
    export_csv,
    import_csv,
    read_critiques,
)
from ftui.tui.cli import main
from ftui.tui.monitor import MonitorApp
from ftui.tui.monitor.review import SamplesScreen
from ftui.tui.monitor.system import SystemSample
from ftui.tui.widgets.critique_dialog import CritiqueDialog
from textual.widgets import Input, OptionList

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def sample() -> SystemSample:
    return SystemSample(cpu_percent=10.0, ram_percent=20.0, ram_used=1 << 30, ram_total=8 << 30, gpus=[])


async def test_monitor_marks_an_eval_sample_bad_with_a_critique(tmp_path: Path) -> None:
    run = write_history(tmp_path / "run", 10, 10, end="finished")
    app = MonitorApp(run, sampler=sample, system_interval=3600)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause(0.3)
        await pilot.press("v")
        await pilot.pause(0.1)
        screen = app.screen
        assert isinstance(screen, SamplesScreen) and screen.samples
        assert screen.samples[0]["step"] == 10  # newest eval first
        await pilot.press("b")
        await pilot.pause(0.1)
        assert isinstance(app.screen, CritiqueDialog)
        await pilot.press(*"wrong service name")
        await pilot.press("enter")
        await pilot.pause(0.1)
        assert isinstance(app.screen, SamplesScreen)
        line = str(app.screen.query_one(OptionList).get_option_at_index(0).prompt)
        assert line.startswith("✗") and "wrong service name" in line
    saved = read_critiques(run)
    assert len(saved) == 1
    first = saved[0]
    assert (first.verdict, first.critique, first.step, first.source) == (
        "bad",
        "wrong service name",
        10,
        "eval",
    )
    assert first.prompt == screen.samples[0]["prompt"] and first.generation == screen.samples[0]["generated"]
    assert first.expected == screen.samples[0]["expected"] and first.time.endswith("Z")


async def test_marking_again_updates_and_a_verdict_is_required(tmp_path: Path) -> None:
    run = write_history(tmp_path / "run", 5, 5, end="finished")
    app = MonitorApp(run, sampler=sample, system_interval=3600)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause(0.3)
        await pilot.press("v")
        await pilot.pause(0.1)
        await pilot.press("enter")  # no verdict chosen yet: Enter in the critique does not save
        await pilot.pause(0.1)
        await pilot.press("enter")
        await pilot.pause(0.1)
        assert isinstance(app.screen, CritiqueDialog)
        await pilot.press("ctrl+g", "enter")
        await pilot.pause(0.1)
        await pilot.press("b")
        await pilot.pause(0.1)
        assert app.screen.query_one("#critique-text", Input).value == ""
        await pilot.press(*"too long", "enter")
        await pilot.pause(0.1)
    critiques = read_critiques(run)
    assert [(c.verdict, c.critique) for c in critiques] == [("bad", "too long")]  # the second mark wins
    assert len(critiques_path(run).read_text().splitlines()) == 2  # both marks were appended


async def test_chat_marks_the_last_reply(tmp_path: Path) -> None:
    from ftui.tui.chat import ChatScreen
    from textual.app import App

    write_history(tmp_path, 12, 12, end="finished")

    class FakeModel:
        pass

    def fake_stream(model, tokenizer, messages, options):
        yield "Paris"
        yield " is the capital."

    class ChatApp(App):
        def on_mount(self) -> None:
            self.push_screen(ChatScreen(tmp_path, loader=lambda d: (FakeModel(), object())))

    import ftui.core.generate as generate

    original = generate.stream_reply
    generate.stream_reply = fake_stream
    try:
        app = ChatApp()
        async with app.run_test(size=(120, 40)) as pilot:
            await app.workers.wait_for_complete()
            await pilot.pause(0.1)
            await pilot.press("ctrl+r")  # nothing to critique yet
            await pilot.pause(0.05)
            assert not isinstance(app.screen, CritiqueDialog)
            await pilot.press(*"capital of France?", "enter")
            await app.workers.wait_for_complete()
            await pilot.pause(0.1)
            await pilot.press("ctrl+r")
            await pilot.pause(0.1)
            assert isinstance(app.screen, CritiqueDialog)
            await pilot.press("ctrl+g", *"correct and short", "enter")
            await pilot.pause(0.1)
    finally:
        generate.stream_reply = original
    [critique] = read_critiques(tmp_path)
    assert (critique.prompt, critique.generation) == ("capital of France?", "Paris is the capital.")
    assert (critique.verdict, critique.critique, critique.step, critique.source) == (
        "good",
        "correct and short",
        12,
        "chat",
    )


def test_csv_export_and_import_round_trip(tmp_path: Path, capsys) -> None:
    run = tmp_path / "run"
    run.mkdir()
    add_critique(run, Critique("q1", "a1", "good", "fine", expected="a1", step=5))
    add_critique(run, Critique("q2 中文", "a2\nsecond line", "bad", "misses the point", step=5))
    out = tmp_path / "review.csv"
    assert main(["data", "critiques", str(run), "--csv", str(out)]) == 0
    with open(out, encoding="utf-8-sig", newline="") as stream:
        rows = list(csv.DictReader(stream))
    assert [r["prompt"] for r in rows] == ["q1", "q2 中文"] and rows[1]["generation"] == "a2\nsecond line"
    rows[0]["verdict"], rows[0]["critique"] = "fail", "actually wrong"  # the expert changes their mind
    rows.append({"id": "", "verdict": "pass", "critique": "new", "prompt": "q3", "generation": "a3",
                 "expected": "", "step": "7", "time": "", "source": ""})  # fmt: skip
    with open(out, "w", encoding="utf-8-sig", newline="") as stream:
        writer = csv.DictWriter(stream, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    assert main(["data", "critiques", str(run), "--import", str(out)]) == 0
    assert "1 updated, 1 added" in capsys.readouterr().out
    got = {c.prompt: (c.verdict, c.critique, c.step) for c in read_critiques(run)}
    assert got == {
        "q1": ("bad", "actually wrong", 5),
        "q2 中文": ("bad", "misses the point", 5),
        "q3": ("good", "new", 7),
    }
    assert main(["data", "critiques", str(run)]) == 0
    assert "3 critiques" in capsys.readouterr().out


def test_bad_csv_verdict_names_the_line(tmp_path: Path, capsys) -> None:
    run = tmp_path / "run"
    run.mkdir()
    bad = tmp_path / "bad.csv"
    bad.write_text("prompt,generation,verdict\nq,a,good\nq2,a2,meh\n", encoding="utf-8")
    assert main(["data", "critiques", str(run), "--import", str(bad)]) == 2
    assert f"{bad}:3: verdict 'meh' must be good or bad" in capsys.readouterr().err
    assert not critiques_path(run).exists()  # nothing half-imported


def test_torn_last_line_is_ignored_but_a_bad_middle_line_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "critiques.jsonl"
    good = json.dumps(Critique("q", "a", "good").to_json())
    path.write_text(good + "\n" + good[:20], encoding="utf-8")
    assert len(read_critiques(path)) == 1
    path.write_text("{oops\n" + good + "\n", encoding="utf-8")
    with pytest.raises(UserError, match=r"critiques.jsonl:1: not a JSON line"):
        read_critiques(path)


def test_export_csv_reads_back(tmp_path: Path) -> None:
    critiques = [Critique("p", "g", None, step=None), Critique("p2", "g2", "bad", "x", step=3)]
    export_csv(critiques, tmp_path / "c.csv")
    run = tmp_path / "r"
    run.mkdir()
    assert import_csv(run, tmp_path / "c.csv") == (0, 2)
    assert [(c.verdict, c.step) for c in read_critiques(run)] == [(None, None), ("bad", 3)]
