"""FSDP on CPU: why `ftui train --num-processes N` refuses `fsdp:` without CUDA.

accelerate turns on its FSDP plugin only for GPU-type distributed backends (accelerate/state.py lists
MULTI_GPU, MULTI_NPU, ... but not MULTI_CPU), so a CPU + gloo run given `fsdp:` silently trains plain DDP.
The canary below fails the day accelerate starts honouring FSDP on CPU; then the refusal in
core/train/accelerate_command.py can go and a real 2-process FSDP training test can replace it.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import pytest
from ftui.core.config import load_config
from ftui.core.errors import UserError
from ftui.core.train.accelerate_command import accelerate_command
from test_train_support import write_config

# One gloo process, as each rank of `accelerate launch` on CPU sees its environment.
CANARY = """
import torch
from accelerate import Accelerator
from accelerate.utils import FullyShardedDataParallelPlugin
plugin = FullyShardedDataParallelPlugin(fsdp_version=2, auto_wrap_policy="NO_WRAP")
accelerator = Accelerator(cpu=True, fsdp_plugin=plugin)
model = accelerator.prepare(torch.nn.Linear(4, 4))
print(accelerator.distributed_type.value, hasattr(accelerator.state, "fsdp_plugin"), type(model).__name__)
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_fsdp_on_cpu_is_refused_with_a_user_error(tmp_path, tiny_chatml_model_dir):
    config_path = write_config(
        tmp_path,
        tiny_chatml_model_dir,
        fsdp=["full_shard", "auto_wrap"],
        fsdp_config={"fsdp_transformer_layer_cls_to_wrap": "LlamaDecoderLayer", "fsdp_version": 2},
    )
    config = load_config(config_path).config
    with pytest.raises(UserError) as err:
        accelerate_command(config, config_path, 2, entry=["-m", "ftui.tui.cli"], cuda=False)
    assert "FSDP" in str(err.value) and "DDP" in str(err.value)
    command = accelerate_command(config, config_path, 2, entry=["-m", "ftui.tui.cli"], cuda=True)
    assert "--use_fsdp" in command and "--fsdp_version" in command


@pytest.mark.slow
def test_accelerate_still_drops_fsdp_on_cpu():
    """If this fails, accelerate now shards on CPU: lift the refusal in launch.py and test real FSDP."""
    env = dict(
        os.environ,
        LOCAL_RANK="0",
        RANK="0",
        WORLD_SIZE="1",
        MASTER_ADDR="127.0.0.1",
        MASTER_PORT=str(_free_port()),
        OMP_NUM_THREADS="1",
        CUDA_VISIBLE_DEVICES="",
    )
    proc = subprocess.run(
        [sys.executable, "-c", CANARY], env=env, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.split() == ["MULTI_CPU", "False", "DistributedDataParallel"]
