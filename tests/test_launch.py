"""Launching, stopping, killing and resuming trainer subprocesses (core/launch.py) with the fake trainer."""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import psutil
import pytest
from ftui.core.errors import UserError
from ftui.core.launch import (
    ftui_command,
    kill_run,
    launch_training,
    output_dir_of,
    resume_run,
    stop_run,
    train_command,
)
from ftui.core.runs.state import RunState

FAKE = str(Path(__file__).parent / "fake_trainer.py")


def fake(run_dir: Path, *args: str) -> list[str]:
    return [sys.executable, FAKE, str(run_dir), *args]


def wait_for(predicate, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.02)


def test_train_command_and_output_dir(tmp_path: Path) -> None:
    cfg = tmp_path / "c.yml"
    cfg.write_text("base_model: x\noutput_dir: ./out/run1\n")
    assert output_dir_of(cfg) == Path("out/run1")
    command = train_command(cfg, resume=True, num_processes=2)
    assert command[:4] == [*ftui_command(), "train"] and "--resume" in command
    assert command[-2:] == ["--num-processes", "2"]
    (tmp_path / "bad.yml").write_text("a: [\n")
    with pytest.raises(UserError):
        output_dir_of(tmp_path / "bad.yml")


def test_launch_runs_detached_and_finishes(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    launched = launch_training(
        tmp_path / "c.yml", run_dir, command=fake(run_dir, "--steps", "5", "--interval", "0")
    )
    assert os.getpgid(launched.pid) == launched.pid  # own session and group
    assert os.getsid(launched.pid) != os.getsid(0)
    info = json.loads((run_dir / "launch.json").read_text())
    assert info["pid"] == launched.pid
    assert launched.wait(20) == 0
    assert not psutil.pid_exists(launched.pid)  # reaped
    assert RunState(run_dir).read_all().status == "finished"
    assert "finished" in (run_dir / "launch.log").read_text()


def test_stop_gracefully_then_resume(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    launched = launch_training(
        tmp_path / "c.yml", run_dir, command=fake(run_dir, "--steps", "8", "--pause-at", "3")
    )
    state = RunState(run_dir)
    wait_for(lambda: state.poll() is not None and state.step >= 3)
    assert state.status == "running"
    launched.stop()
    assert launched.wait(10) == 0
    state.poll()
    assert state.status == "stopped" and state.step == 3
    again = resume_run(run_dir, command=fake(run_dir, "--steps", "8", "--interval", "0", "--resume"))
    assert again.wait(20) == 0
    state.poll()
    assert state.status == "finished" and state.step == 8
    xs, _ = state.series.loss.points()
    assert xs == sorted(xs) and len(xs) == len(set(xs))


def test_kill_run_from_another_monitor_shows_died(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    launched = launch_training(
        tmp_path / "c.yml", run_dir, command=fake(run_dir, "--steps", "8", "--pause-at", "2")
    )
    state = RunState(run_dir)
    wait_for(lambda: state.poll() is not None and state.step >= 2)
    assert kill_run(run_dir) == launched.pid  # by run dir, as a second terminal would
    launched.wait(10)
    state.poll()
    assert state.status == "died"
    with pytest.raises(UserError):
        stop_run(run_dir)


def test_failed_run(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    launched = launch_training(
        tmp_path / "c.yml", run_dir, command=fake(run_dir, "--fail-at", "3", "--interval", "0")
    )
    assert launched.wait(20) == 1
    state = RunState(run_dir).read_all()
    assert state.status == "failed" and state.terminal["hint"]
    assert "Traceback" in (run_dir / "launch.log").read_text()


def test_resume_cwd_points_output_dir_back_at_the_run(tmp_path: Path) -> None:
    from ftui.core.launch import resume_cwd

    run = tmp_path / "proj" / "out" / "run1"
    run.mkdir(parents=True)
    assert resume_cwd(run, Path("./out/run1")) == (tmp_path / "proj").resolve()
    assert resume_cwd(run, run) == run.resolve()
    with pytest.raises(UserError):
        resume_cwd(run, Path("elsewhere"))
    with pytest.raises(UserError):
        resume_cwd(run, tmp_path / "other")


def test_resume_without_any_config_says_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(UserError) as err:
        resume_run(tmp_path)
    assert "--resume" in (err.value.hint or "")


def test_launch_merge_logs_into_merge_log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from ftui.core import launch

    fail = [sys.executable, "-c", "import sys; print('no adapter here'); sys.exit(3)"]
    monkeypatch.setattr(launch, "merge_command", lambda run_dir: fail)
    merge = launch.launch_merge(tmp_path)
    assert merge.wait(60) == 3
    assert merge.log_path == tmp_path / "merge.log"
    assert merge.log_path.read_text().strip().splitlines()[-1] == "no adapter here"
    assert launch.ftui_command()[1:] == ["-m", "ftui.tui.cli"]
