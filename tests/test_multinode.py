"""Two "machines" for real: two `ftui train --nodes 2` launches on 127.0.0.1 (one CPU process each, gloo).

Both ranks end with identical weights (the digests in their heartbeat files), only rank 0 writes events and
checkpoints, `--resume` after killing one node finishes the run, and two nodes that do not share output_dir
are stopped at start with one message.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from ftui.core.events import read_events
from ftui.core.train.heartbeat import read_heartbeats
from test_train_support import write_config

# Imported by every Python process the test starts (PYTHONPATH): a step takes at least FTUI_TEST_STEP_DELAY
# seconds, so the test can kill a node between two checkpoints without racing the trainer.
SITECUSTOMIZE = """
import os
delay = float(os.environ.get("FTUI_TEST_STEP_DELAY", "0") or 0)
if delay:
    import builtins, time
    _import = builtins.__import__
    def _patch():
        import transformers
        original = transformers.Trainer.training_step
        def training_step(self, *args, **kwargs):
            time.sleep(delay)
            return original(self, *args, **kwargs)
        transformers.Trainer.training_step = training_step
    import importlib.abc, sys
    class Hook(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path, target=None):
            if name == "ftui.core.train.trainer_setup":
                sys.meta_path.remove(self)
                _patch()
            return None
    sys.meta_path.insert(0, Hook())
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _env(tmp_path: Path, delay: float = 0.0) -> dict[str, str]:
    site = tmp_path / "site"
    site.mkdir(exist_ok=True)
    (site / "sitecustomize.py").write_text(SITECUSTOMIZE)
    path = os.pathsep.join([str(site), str(Path(__file__).parent), os.environ.get("PYTHONPATH", "")])
    return dict(
        os.environ,
        OMP_NUM_THREADS="1",
        CUDA_VISIBLE_DEVICES="",
        HF_HOME=str(tmp_path / "hf-home"),  # no user accelerate config
        PYTHONPATH=path,
        FTUI_TEST_STEP_DELAY=str(delay),
    )


def _node(
    config: Path, rank: int, port: int, env: dict[str, str], cwd: Path, *extra: str
) -> subprocess.Popen:
    command = [sys.executable, "-m", "ftui.tui.cli", "train", str(config), "--num-processes", "2"]
    command += ["--nodes", "2", "--machine-rank", str(rank), "--main-process-ip", "127.0.0.1"]
    command += ["--main-process-port", str(port), "--quiet", *extra]
    log = open(cwd / f"node{rank}.log", "a")  # noqa: SIM115 - closed by the OS when the child exits
    return subprocess.Popen(command, cwd=cwd, env=env, stdout=log, stderr=log, start_new_session=True)


def _wait(procs: list[subprocess.Popen], timeout: float) -> list[int | None]:
    deadline = time.monotonic() + timeout
    codes: list[int | None] = []
    for proc in procs:
        try:
            codes.append(proc.wait(max(1.0, deadline - time.monotonic())))
        except subprocess.TimeoutExpired:
            _kill_tree(proc.pid)
            proc.wait(10)
            codes.append(None)
    return codes


def _kill_tree(pid: int) -> None:
    import psutil

    parent = psutil.Process(pid)
    for proc in [*parent.children(recursive=True), parent]:
        try:
            proc.kill()
        except psutil.NoSuchProcess:
            pass


def _logs(folder: Path) -> str:
    return "\n".join(p.read_text()[-3000:] for p in sorted(folder.glob("node*.log")))


@pytest.mark.slow
def test_two_nodes_identical_weights_then_resume_after_killing_one(tmp_path, tiny_chatml_model_dir):
    config = write_config(tmp_path, tiny_chatml_model_dir, max_steps=10, save_steps=2, lora_dropout=0.0)
    out = tmp_path / "out"
    env = _env(tmp_path, delay=0.4)
    port = _free_port()
    nodes = [_node(config, rank, port, env, tmp_path) for rank in (0, 1)]
    deadline = time.monotonic() + 300
    while not (out / "checkpoint-2").is_dir():  # rank 0 wrote its first complete checkpoint
        assert time.monotonic() < deadline and nodes[1].poll() is None, _logs(tmp_path)
        time.sleep(0.05)
    _kill_tree(nodes[1].pid)  # node 1 dies: its launcher and its worker (torchrun gives workers own groups)
    codes = _wait(nodes, 120)
    assert codes[0] not in (0, None), _logs(tmp_path)  # node 0 notices and stops; nothing hangs
    first = read_events(out)
    assert [e["type"] for e in first].count("run_started") == 1 and first[-1]["type"] == "failed"
    done = max(e["step"] for e in first if e["type"] == "step")
    assert 2 <= done < 10

    port = _free_port()
    resumed = [_node(config, rank, port, _env(tmp_path), tmp_path, "--resume") for rank in (0, 1)]
    assert _wait(resumed, 300) == [0, 0], _logs(tmp_path)
    events = read_events(out)
    started = [e for e in events if e["type"] == "run_started"]
    assert len(started) == 2 and started[-1]["world_size"] == 2 and started[-1]["resumed_from_step"] >= 2
    assert events[-1]["type"] == "finished" and events[-1]["step"] == 10
    beats = read_heartbeats(out)
    assert [b.rank for b in beats] == [0, 1] and {b.status for b in beats} == {"finished"}
    assert beats[0].weights_sha256 and beats[0].weights_sha256 == beats[1].weights_sha256
    assert (out / "accelerate_config.yaml").is_file()
    merged = (out / "accelerate_config.yaml").read_text()
    assert "num_machines: 2" in merged and "main_process_ip: 127.0.0.1" in merged


@pytest.mark.slow
def test_nodes_that_do_not_share_output_dir_stop_with_one_message(tmp_path, tiny_chatml_model_dir):
    # Two folders, each with the config and a relative output_dir: each node would write its own copy.
    folders = [tmp_path / "a", tmp_path / "b"]
    for folder in folders:
        folder.mkdir()
        write_config(folder, tiny_chatml_model_dir, max_steps=2, output_dir="./out")
    env = _env(tmp_path)
    port = _free_port()
    nodes = [_node(folder / "config.yml", r, port, env, folder) for r, folder in enumerate(folders)]
    codes = _wait(nodes, 300)
    assert codes[0] not in (0, None) and codes[1] not in (0, None)
    for folder in folders:
        log = (folder / f"node{folders.index(folder)}.log").read_text()
        assert "is not on storage every node sees" in log, log[-3000:]
        assert "Traceback" not in log.split("is not on storage")[0][-200:]
    first = read_events(folders[0] / "out")
    assert first[-1]["type"] == "failed" and "shared" in (first[-1].get("hint") or "")
    assert not list((folders[0] / "out").glob("checkpoint-*"))
    assert json.loads((folders[0] / "out" / "ranks" / "rank-0.json").read_text())["status"] == "failed"
