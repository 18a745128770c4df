"""Multi-process training: `ftui train --num-processes 2` on CPU (gloo). Both ranks end with identical
weights; only rank 0 writes events and checkpoints."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import pytest
from ftui.core.config import load_config
from ftui.core.events import read_events
from ftui.core.train.accelerate_command import accelerate_command
from test_train_support import write_config

# Each rank records a digest of its trainable weights after training (the test's only addition).
RANK_DIGEST = """
import hashlib, os, sys
import transformers
_orig = transformers.Trainer.train
def train(self, *args, **kwargs):
    result = _orig(self, *args, **kwargs)
    digest = hashlib.sha256()
    for name, param in sorted(self.model.named_parameters()):
        if param.requires_grad:
            digest.update(name.encode())
            digest.update(param.detach().cpu().numpy().tobytes())
    path = os.path.join(self.args.output_dir, f"weights-rank{os.environ['RANK']}.sha256")
    open(path, "w").write(digest.hexdigest())
    return result
transformers.Trainer.train = train
from ftui.tui.cli import main
sys.exit(main(sys.argv[1:]))
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_launch_command_shapes(tmp_path, tiny_chatml_model_dir):
    config = load_config(write_config(tmp_path, tiny_chatml_model_dir)).config
    cli = ("-m", "ftui.tui.cli")
    command = accelerate_command(config, "c.yml", 2, resume=True, max_steps=5, cuda=False, entry=cli)
    assert command[:3] == [sys.executable, "-m", "accelerate.commands.launch"]
    assert command[command.index("--num_processes") + 1] == "2" and "--multi_gpu" in command
    assert command[-6:] == ["ftui.tui.cli", "train", "c.yml", "--resume", "--max-steps", "5"]
    fsdp = config.model_copy(
        update={"fsdp": ["full_shard", "auto_wrap"], "fsdp_config": {"fsdp_offload_params": True}}
    )
    command = accelerate_command(fsdp, "c.yml", 4, cuda=True, entry=cli)
    assert "--use_fsdp" in command and "FULL_SHARD" in command and "TRANSFORMER_BASED_WRAP" in command
    assert "--multi_gpu" not in command


@pytest.mark.slow
def test_two_cpu_processes_identical_weights_rank0_writes(tmp_path, tiny_chatml_model_dir):
    config_path = write_config(tmp_path, tiny_chatml_model_dir, max_steps=4, save_steps=2, lora_dropout=0.0)
    script = tmp_path / "ranked_ftui.py"
    script.write_text(RANK_DIGEST)
    config = load_config(config_path).config
    command = accelerate_command(
        config, config_path, 2, entry=[str(script)], cuda=False, main_process_port=_free_port()
    )
    env = dict(os.environ, OMP_NUM_THREADS="1", CUDA_VISIBLE_DEVICES="")
    proc = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=400)
    assert proc.returncode == 0, proc.stderr[-4000:]
    out = tmp_path / "out"
    digests = [(out / f"weights-rank{r}.sha256").read_text() for r in (0, 1)]
    assert digests[0] == digests[1]
    events = read_events(out)
    assert [e["type"] for e in events].count("run_started") == 1  # rank 1 wrote nothing
    assert events[0]["world_size"] == 2
    assert [e["step"] for e in events if e["type"] == "step"] == [1, 2, 3, 4]
    assert events[-1]["type"] == "finished"
    assert sorted(p.name for p in out.glob("checkpoint-*")) == ["checkpoint-2", "checkpoint-4"]
    assert not list(out.glob(".tmp-*"))
    assert (out / "checkpoint-2" / "rng_state_1.pth").exists()  # each rank's RNG state, for resume
    assert proc.stderr.count("starting:") == 1  # one progress stream
