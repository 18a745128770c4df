"""The `accelerate launch` command: DDP, FSDP or DeepSpeed from the ftui config, on one or more machines.

`ftui train` plans the launch first (core/train/launch_plan.py `plan_launch`): flags, then the ftui config, then the user's accelerate
config file (core/train/accelerate_config.py) decide processes, machines and the mode, and one message says
where they disagreed. The command runs with ftui's merged accelerate config (`--config_file`), so accelerate
reads no other file. Each process then runs `ftui train` again, sees LOCAL_RANK and trains its shard; rank 0
writes events and checkpoints, every rank a heartbeat (core/train/heartbeat.py).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from ftui.core.errors import UserError
from ftui.core.runs.layout import ACCELERATE_CONFIG_FILE
from ftui.core.train.deepspeed import INLINE_SOURCE
from ftui.core.train.fsdp import fsdp_flags
from ftui.core.train.launch_plan import (
    INLINE_DEEPSPEED,
    LaunchFlags,
    LaunchPlan,
    output_dir_of_config,
    plan_launch,
)

MERGED_FILE = ACCELERATE_CONFIG_FILE  # in output_dir: what accelerate launch was given


def accelerate_command(
    config: Any,
    config_path: str | Path,
    num_processes: int | None = None,
    *,
    plan: LaunchPlan | None = None,
    resume: bool = False,
    max_steps: int | None = None,
    entry: tuple[str, ...] | list[str],
    cuda: bool | None = None,
    main_process_port: int | None = None,
    config_file: str | Path | None = None,
) -> list[str]:
    """The full command line (runs with this interpreter, so it works inside any virtualenv). `entry` is what
    accelerate runs in each process: the CLI module (`-m <cli module>`) or a script path. Without a `plan`,
    one is made from `num_processes` and the ftui config alone (no user accelerate file)."""
    if plan is None:
        if num_processes is not None and num_processes < 1:
            raise UserError(f"--num-processes must be at least 1, not {num_processes}")
        flags = LaunchFlags(num_processes=num_processes, main_process_port=main_process_port)
        plan = plan_launch(config, flags, read_user_file=False)
    if cuda is None:
        import torch

        cuda = torch.cuda.is_available()
    _check_device(plan, cuda)
    command = [sys.executable, "-m", "accelerate.commands.launch", "--num_processes", str(plan.num_processes)]
    command += ["--num_machines", str(plan.num_machines)]
    if plan.num_machines > 1:
        command += ["--machine_rank", str(plan.machine_rank), "--main_process_ip", str(plan.main_process_ip)]
    if plan.main_process_port:
        command += ["--main_process_port", str(plan.main_process_port)]
    if config_file is not None:
        command += ["--config_file", str(config_file)]
    command += ["--dynamo_backend", "no", "--mixed_precision", "no"]
    if plan.deepspeed is not None:
        command += ["--use_deepspeed", "--deepspeed_config_file", str(plan.deepspeed.path)]
        if plan.deepspeed.stage == 3:
            command += ["--zero3_init_flag", "true"]
    elif plan.fsdp is not None:
        command += fsdp_flags(plan.fsdp)
    elif plan.num_processes > 1:
        # --multi_gpu is accelerate's torch.distributed launcher; on CPU the runner selects the gloo backend
        command += ["--multi_gpu"]
    command += [*entry, "train", str(config_path)]
    if resume:
        command.append("--resume")
    if max_steps is not None:
        command += ["--max-steps", str(max_steps)]
    return command


def _check_device(plan: LaunchPlan, cuda: bool) -> None:
    if cuda:
        return
    if plan.deepspeed is not None:
        raise UserError("DeepSpeed needs CUDA GPUs", hint="remove `deepspeed:` to train with DDP on CPU")
    if plan.fsdp is not None:
        # accelerate enables its FSDP plugin only for GPU-type backends (accelerate/state.py: MULTI_CPU is
        # not in the list), so on CPU the run would silently be DDP; tests/test_fsdp_cpu.py watches this
        raise UserError(
            "FSDP needs CUDA GPUs: on CPU accelerate ignores `fsdp:` and would train plain DDP",
            hint="remove `fsdp:` and `fsdp_config:`; --num-processes N then trains with DDP (gloo) on CPU",
        )


def write_merged_config(plan: LaunchPlan, output_dir: Path) -> Path:
    """Write the merged accelerate config into output_dir (atomically: every machine writes the same text)."""
    import os

    import yaml

    output_dir.mkdir(parents=True, exist_ok=True)
    data = plan.accelerate_config()
    data.pop("machine_rank", None)  # per machine: given on the command line
    if plan.deepspeed is not None and plan.deepspeed.source == INLINE_SOURCE:
        import json

        inline = output_dir / INLINE_DEEPSPEED
        tmp = inline.with_name(f".tmp-{os.getpid()}-{inline.name}")
        tmp.write_text(json.dumps(plan.deepspeed.data, indent=2) + "\n", encoding="utf-8")
        os.replace(tmp, inline)
        plan.deepspeed.path = inline
        data["deepspeed_config"]["deepspeed_config_file"] = str(inline)
    target = output_dir / MERGED_FILE
    tmp = target.with_name(f".tmp-{os.getpid()}-{target.name}")
    tmp.write_text(yaml.safe_dump(data, sort_keys=True), encoding="utf-8")
    os.replace(tmp, target)
    return target


def launch_lines(config: Any, config_path: str | Path, command_line: list[str], cuda: bool) -> list[str]:
    """What Launch will run, for the wizard's Review step: the `ftui train` command and, for more than one
    process, the accelerate command it execs, then the accelerate-config message (never raises)."""
    from ftui.core.launch import ftui_command

    lines = ["$ " + " ".join(command_line)]
    try:
        plan = plan_launch(config)
        if plan.needs_launcher:
            merged = output_dir_of_config(config) / MERGED_FILE
            command = accelerate_command(
                config, config_path, plan=plan, entry=ftui_command()[1:], cuda=cuda, config_file=merged
            )
            lines.append("  which runs: " + " ".join(command[1:]))
        message = plan.message()
        if message:
            lines += message.splitlines()
    except UserError as err:
        lines.append(f"✗ {err.message}" + (f" ({err.hint})" if err.hint else ""))
    return lines
