"""Two CPU processes (gloo) with a tracker and a Hub push: only rank 0 logs and pushes (one TensorBoard
event file, one commit), against the local stand-in Hub of tests/hub_server.py (no network)."""

from __future__ import annotations

import os
import socket
import subprocess

import pytest
from ftui.core.config import load_config
from ftui.core.events import read_events
from ftui.core.train.accelerate_command import accelerate_command
from hub_server import FakeHub
from test_train_support import write_config


@pytest.mark.slow
def test_two_processes_log_and_push_once(tmp_path, tiny_chatml_model_dir):
    config_path = write_config(
        tmp_path,
        tiny_chatml_model_dir,
        max_steps=2,
        lora_dropout=0.0,
        report_to="tensorboard",
        hub_model_id="me/ddp",
    )
    config = load_config(config_path).config
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    command = accelerate_command(
        config, config_path, 2, entry=["-m", "ftui.tui.cli"], cuda=False, main_process_port=port
    )
    with FakeHub(tmp_path / "hub") as hub:
        skip = ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "TENSORBOARD_LOGGING_DIR")
        env = {k: v for k, v in os.environ.items() if k not in skip}
        env.update(
            OMP_NUM_THREADS="1",
            CUDA_VISIBLE_DEVICES="",
            HF_ENDPOINT=hub.url,
            HF_TOKEN=hub.token,
            HF_HOME=str(tmp_path / "hf-home"),
            HF_HUB_DISABLE_XET="1",
        )
        proc = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=400)
        assert proc.returncode == 0, proc.stderr[-4000:]
        commits = list(hub.commits)
    out = tmp_path / "out"
    events = read_events(out)
    assert events[0]["world_size"] == 2 and events[-1]["type"] == "finished"
    assert len(list((out / "runs").rglob("events.out.tfevents.*"))) == 1  # rank 0 only
    assert [e["what"] for e in events if e["type"] == "pushed"] == ["model"]
    assert len(commits) == 1 and "adapter_model.safetensors" in commits[0]["files"]
