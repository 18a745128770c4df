"""Faults: SIGTERM stops cleanly with a checkpoint; SIGKILL during a checkpoint write leaves the previous one
loadable, and --resume continues to the same losses as an uninterrupted run."""

from __future__ import annotations

import math

import pytest
from ftui.core.events import read_events
from ftui.core.train.checkpoints import checkpoints, clean_partial, last_checkpoint, publish, rotate
from test_train_support import losses, run_cli, write_config

SIGTERM_AT_STEP_3 = """
import os, signal
import ftui.core.train.callbacks as cb
_orig = cb.EventCallback.on_log
def on_log(self, args, state, control, logs=None, **kw):
    _orig(self, args, state, control, logs=logs, **kw)
    if state.global_step == 3 and logs and "loss" in logs:
        os.kill(os.getpid(), signal.SIGTERM)
cb.EventCallback.on_log = on_log
"""

SIGKILL_WHILE_SAVING_STEP_6 = """
import os, signal
import ftui.core.train.checkpoints as ck
_orig = ck.publish
def publish(tmp_dir, final_dir):
    if final_dir.name == "checkpoint-6":
        os.kill(os.getpid(), signal.SIGKILL)  # files written, rename not done
    _orig(tmp_dir, final_dir)
ck.publish = publish
"""


@pytest.mark.slow
def test_sigterm_finishes_step_saves_and_exits_zero(tmp_path, tiny_chatml_model_dir):
    config = write_config(tmp_path, tiny_chatml_model_dir, max_steps=8)
    proc = run_cli(["train", str(config)], cwd=tmp_path, prelude=SIGTERM_AT_STEP_3)
    assert proc.returncode == 0, proc.stderr[-2000:]
    events = read_events(tmp_path / "out")
    stopped = events[-1]
    assert stopped["type"] == "stopped" and stopped["reason"] == "signal"
    assert stopped["step"] in (3, 4)  # the step in flight when the signal came is finished
    assert stopped["checkpoint"] == str(tmp_path / "out" / f"checkpoint-{stopped['step']}")
    assert (tmp_path / "out" / f"checkpoint-{stopped['step']}" / "optimizer.pt").exists()
    assert "--resume" in proc.stderr


@pytest.mark.slow
def test_sigkill_during_checkpoint_then_resume_matches_uninterrupted(tmp_path, tiny_chatml_model_dir):
    settings = dict(max_steps=9, save_steps=2, lora_dropout=0.1)  # 12 batches per epoch: resume mid-epoch
    ref_dir, run_dir = tmp_path / "reference", tmp_path / "faulted"
    ref_dir.mkdir()
    run_dir.mkdir()
    ref = run_cli(["train", str(write_config(ref_dir, tiny_chatml_model_dir, **settings))], cwd=ref_dir)
    assert ref.returncode == 0, ref.stderr[-2000:]
    reference = losses(read_events(ref_dir / "out"))

    config = write_config(run_dir, tiny_chatml_model_dir, **settings)
    killed = run_cli(["train", str(config)], cwd=run_dir, prelude=SIGKILL_WHILE_SAVING_STEP_6)
    assert killed.returncode == -9
    out = run_dir / "out"
    assert (out / ".tmp-checkpoint-6").exists()  # the half-written checkpoint is left behind...
    assert last_checkpoint(out).name == "checkpoint-4"  # ...and ignored
    assert read_events(out)[-1]["type"] == "step"  # died without a terminal event

    resumed = run_cli(["train", str(config), "--resume"], cwd=run_dir)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert not (out / ".tmp-checkpoint-6").exists()
    events = read_events(out)
    starts = [e for e in events if e["type"] == "run_started"]
    assert [s["resumed_from_step"] for s in starts] == [0, 4]
    after = [e for e in events[events.index(starts[1]) :] if e["type"] == "step"]
    assert [e["step"] for e in after] == [5, 6, 7, 8, 9]  # numbering continues
    for event in after:
        assert math.isclose(event["loss"], reference[event["step"]], rel_tol=1e-5, abs_tol=1e-6), (
            event["step"],
            event["loss"],
            reference[event["step"]],
        )
    assert events[-1]["type"] == "finished" and events[-1]["step"] == 9


def test_checkpoint_helpers(tmp_path):
    for step in (2, 10, 4):
        folder = tmp_path / f"checkpoint-{step}"
        folder.mkdir()
        (folder / "trainer_state.json").write_text("{}")
    (tmp_path / "checkpoint-12").mkdir()  # no trainer_state.json: incomplete
    (tmp_path / ".tmp-checkpoint-14").mkdir()
    assert [p.name for p in checkpoints(tmp_path)] == ["checkpoint-2", "checkpoint-4", "checkpoint-10"]
    assert last_checkpoint(tmp_path).name == "checkpoint-10"
    assert [p.name for p in clean_partial(tmp_path)] == [".tmp-checkpoint-14"]
    assert [p.name for p in rotate(tmp_path, 2)] == ["checkpoint-2"]
    assert [p.name for p in checkpoints(tmp_path)] == ["checkpoint-4", "checkpoint-10"]
    tmp = tmp_path / ".tmp-x"
    tmp.mkdir()
    (tmp / "trainer_state.json").write_text("{}")
    publish(tmp, tmp_path / "checkpoint-16")
    assert last_checkpoint(tmp_path).name == "checkpoint-16" and not tmp.exists()


SIGTERM_WHILE_LOADING = """
import os, signal
import ftui.core.train.loading as loading
_orig = loading.load_base_model
def load_base_model(*args, **kwargs):
    os.kill(os.getpid(), signal.SIGTERM)
    return _orig(*args, **kwargs)
loading.load_base_model = load_base_model
"""


def test_signal_while_loading_stops_at_once(tmp_path, tiny_chatml_model_dir):
    config = write_config(tmp_path, tiny_chatml_model_dir, max_steps=4)
    proc = run_cli(["train", str(config)], cwd=tmp_path, prelude=SIGTERM_WHILE_LOADING, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    events = read_events(tmp_path / "out")
    assert [e["type"] for e in events] == ["stopped"]
    assert events[0]["checkpoint"] is None and events[0]["reason"] == "signal"
    assert "stopped before training started" in proc.stderr
