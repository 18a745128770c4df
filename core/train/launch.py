"""The `accelerate launch` command for multi-process training (DDP; FSDP or DeepSpeed from the config).

`ftui train --num-processes N` execs this command; each process then runs `ftui train` again, sees
LOCAL_RANK in its environment and trains its shard, rank 0 writing events and checkpoints.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from ftui.core.errors import UserError
from ftui.core.train.settings import config_to_dict


def _fsdp_args(fsdp: Any, fsdp_config: dict[str, Any] | None) -> list[str]:
    """Axolotl-style `fsdp: [full_shard, auto_wrap]` + `fsdp_config:` -> accelerate's --fsdp_* flags."""
    options = fsdp if isinstance(fsdp, list) else str(fsdp).split()
    strategy = "FULL_SHARD"
    if "shard_grad_op" in options:
        strategy = "SHARD_GRAD_OP"
    elif "hybrid_shard" in options:
        strategy = "HYBRID_SHARD"
    elif "no_shard" in options:
        strategy = "NO_SHARD"
    args = ["--use_fsdp", "--fsdp_sharding_strategy", strategy]
    if "offload" in options:
        args += ["--fsdp_offload_params", "true"]
    if "auto_wrap" in options:
        args += ["--fsdp_auto_wrap_policy", "TRANSFORMER_BASED_WRAP"]
    for key, value in (fsdp_config or {}).items():
        flag = key if key.startswith("fsdp_") else f"fsdp_{key}"
        if isinstance(value, bool):
            value = "true" if value else "false"
        args += [f"--{flag}", str(value)]
    return args


def accelerate_command(
    config: Any,
    config_path: str | Path,
    num_processes: int,
    *,
    resume: bool = False,
    max_steps: int | None = None,
    entry: tuple[str, ...] | list[str],
    cuda: bool | None = None,
    main_process_port: int | None = None,
) -> list[str]:
    """The full command line (runs with this interpreter, so it works inside any virtualenv). `entry` is what
    accelerate runs in each process: the CLI module (`-m <cli module>`) or a script path."""
    if num_processes < 1:
        raise UserError(f"--num-processes must be at least 1, not {num_processes}")
    data = config_to_dict(config)
    if cuda is None:
        import torch

        cuda = torch.cuda.is_available()
    command = [sys.executable, "-m", "accelerate.commands.launch", "--num_processes", str(num_processes)]
    command += ["--num_machines", "1", "--dynamo_backend", "no", "--mixed_precision", "no"]
    if main_process_port:
        command += ["--main_process_port", str(main_process_port)]
    if data.get("deepspeed"):
        if not cuda:
            raise UserError("DeepSpeed needs CUDA GPUs", hint="remove `deepspeed:` to train with DDP on CPU")
        command += ["--use_deepspeed", "--deepspeed_config_file", str(data["deepspeed"])]
    elif data.get("fsdp"):
        if not cuda:
            # accelerate enables its FSDP plugin only for GPU-type backends (accelerate/state.py: MULTI_CPU is
            # not in the list), so on CPU the run would silently be DDP; tests/test_fsdp_cpu.py watches this
            raise UserError(
                "FSDP needs CUDA GPUs: on CPU accelerate ignores `fsdp:` and would train plain DDP",
                hint="remove `fsdp:` and `fsdp_config:`; --num-processes N then trains with DDP (gloo) on CPU",
            )
        command += _fsdp_args(data["fsdp"], data.get("fsdp_config"))
    elif num_processes > 1:
        # --multi_gpu is accelerate's torch.distributed launcher; on CPU the runner selects the gloo backend
        command += ["--multi_gpu"]
    command += [*entry, "train", str(config_path)]
    if resume:
        command.append("--resume")
    if max_steps is not None:
        command += ["--max-steps", str(max_steps)]
    return command
