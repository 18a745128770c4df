"""Run discovery and incremental summaries (core/runs/), driven by fake_trainer's deterministic history."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from fake_trainer import loss_at, write_history
from ftui.core.events import EventWriter
from ftui.core.runs.listing import default_workspace, find_run_dirs, list_runs
from ftui.core.runs.liveness import pid_alive, process_identity, run_status
from ftui.core.runs.state import RunState


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_finished_run_summary(tmp_path: Path) -> None:
    run = write_history(tmp_path / "a", 20, 20, end="finished")
    summary = RunState(run).read_all().summary()
    assert summary.status == "finished"
    assert summary.model == "HuggingFaceTB/SmolLM2-135M-Instruct"
    assert summary.step == 20 and summary.total_steps == 20
    assert summary.final_loss == pytest.approx(loss_at(20), abs=1e-6)
    assert summary.best_loss == pytest.approx(min(loss_at(s) + 0.08 for s in (5, 10, 15, 20)), abs=1e-6)
    assert summary.duration_s == pytest.approx(16.0)


def test_statuses_running_failed_stopped_died(tmp_path: Path) -> None:
    assert RunState(write_history(tmp_path / "r", 5, 20, t0=time.time())).read_all().status == "running"
    failed = RunState(write_history(tmp_path / "f", 5, 20, end="failed")).read_all()
    assert failed.status == "failed" and failed.error is not None and "OutOfMemoryError" in failed.error
    assert RunState(write_history(tmp_path / "s", 5, 20, end="stopped")).read_all().status == "stopped"
    assert RunState(write_history(tmp_path / "d", 5, 20, pid=_dead_pid())).read_all().status == "died"


def test_a_run_that_ends_between_two_polls_is_finished_not_died(tmp_path: Path) -> None:
    """The trainer writes `finished` and exits after the monitor's last poll: the next status read must not
    call the run died (seen once in the suite: a demo Launch that finished showed DIED)."""
    pid = _dead_pid()
    run = write_history(tmp_path / "e", 5, 5, pid=pid)
    state = RunState(run).read_all()
    EventWriter(run, strict=True).emit(
        "finished", step=5, final_loss=1.0, best_eval_loss=None, output_dir=str(run), elapsed_s=1.0
    )
    assert state.status == "finished"


def test_poll_is_incremental_and_tolerates_partial_line(tmp_path: Path) -> None:
    run = write_history(tmp_path / "p", 3, 20, partial=True)
    state = RunState(run)
    assert state.poll() is True
    assert state.step == 3 and len(state.series.loss) == 3
    size = (run / "events.jsonl").stat().st_size
    assert state.reader.offset == size  # everything read once, the partial tail buffered
    version = state.version
    assert state.poll() is False and state.version == version
    text = (run / "events.jsonl").read_text()
    line_start = text.rfind("\n") + 1
    full = json.dumps(json.loads(json.dumps(__import__("fake_trainer").step_event(4, 20, 1.0))))
    (run / "events.jsonl").write_text(text[:line_start] + full + "\n")
    state.reader.offset = line_start  # the file was rewritten for the test; a real writer only appends
    state.reader._partial = b""
    assert state.poll() is True and state.step == 4


def test_resume_truncates_repeated_steps(tmp_path: Path) -> None:
    run = write_history(tmp_path / "x", 30, 40, end="stopped")
    state = RunState(run).read_all()
    from fake_trainer import started_event, step_event

    with open(run / "events.jsonl", "a") as f:
        f.write(json.dumps(started_event(40, 1, 2.0, resumed_from=20)) + "\n")
        f.write(json.dumps(step_event(21, 40, 3.0)) + "\n")
    state.poll()
    xs, _ = state.series.loss.points()
    assert xs[-1] == 21 and xs.count(21) == 1
    assert state.terminal is None


def test_list_runs_finds_nested_runs_newest_first(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_history(tmp_path / "old", 5, 5, end="finished")
    write_history(tmp_path / "live", 2, 5, t0=time.time() + 60)  # our pid, newest
    write_history(tmp_path / "group" / "new", 5, 5, end="failed")
    (tmp_path / "new_launch").mkdir()
    (tmp_path / "new_launch" / "launch.json").write_text(json.dumps({"pid": _dead_pid(), "started": 1.0}))
    (tmp_path / "notarun").mkdir()
    dirs = find_run_dirs(tmp_path)
    assert {d.name for d in dirs} == {"old", "new", "new_launch", "live"}
    runs = list_runs(tmp_path)
    assert {r.name: r.status for r in runs} == {
        "old": "finished",
        "new": "failed",
        "new_launch": "died",
        "live": "running",
    }
    assert runs[0].name == "live"
    monkeypatch.setenv("FTUI_RUNS", str(tmp_path))
    assert default_workspace() == tmp_path


def test_pid_alive() -> None:
    import os

    assert pid_alive(os.getpid())
    assert not pid_alive(_dead_pid())
    assert not pid_alive(None)
    assert not pid_alive(os.getpid(), not_before=0.0)  # created after the given time: a recycled pid


def test_a_clock_stepped_forward_does_not_make_a_live_run_look_dead(monkeypatch) -> None:
    """A VM resumed after a pause (or NTP) steps the wall clock: psutil's create_time moves with it, so a
    running trainer looked created after its own record and the monitor called it died (seen in CI).
    The record's seconds-since-boot do not move."""
    import psutil

    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        record = {"time": time.time(), **process_identity(child.pid)}  # as launch.json / run_started
        real_boot_time = psutil._psplatform.boot_time
        monkeypatch.setattr(psutil._psplatform, "boot_time", lambda: real_boot_time() + 120.0)
        assert run_status(record, None, None, 1) == "running"
        without = {k: v for k, v in record.items() if k != "pid_since_boot"}
        assert run_status(without, None, None, 1) == "died"  # the wall-clock rule alone: what the bug was
        recycled = {**record, "pid_since_boot": record["pid_since_boot"] - 60.0}
        assert run_status(recycled, None, None, 1) == "died"  # another process under the same pid
    finally:
        child.kill()
        child.wait()


def test_replaced_events_file_starts_over(tmp_path: Path) -> None:
    run = write_history(tmp_path / "r", 10, 10, end="finished")
    state = RunState(run).read_all()
    assert state.step == 10
    write_history(run, 3, 10)  # a fresh run in the same folder rewrote events.jsonl
    state.poll()
    assert state.step == 3 and len(state.series.loss) == 3 and state.terminal is None


def test_log_follower_reads_the_tail_then_only_new_lines(tmp_path: Path) -> None:
    from ftui.core.logtail import LogFollower

    log = tmp_path / "launch.log"
    log.write_text("".join(f"old line {i}\n" for i in range(5000)))
    follower = LogFollower(log, tail_bytes=100)
    first = follower.poll()
    assert first and first[-1] == "old line 4999" and len(first) < 10
    assert all(line.startswith("old line ") for line in first)  # no cut-off first line
    with open(log, "a") as f:
        f.write("epoch 1: 10%\repoch 1: 20%\rdone\npartial")
    assert follower.poll() == ["epoch 1: 10%", "epoch 1: 20%", "done"]
    with open(log, "a") as f:
        f.write(" end\n")
    assert follower.poll() == ["partial end"]
    assert LogFollower(tmp_path / "missing.log").poll() == []
