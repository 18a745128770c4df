"""Planning a launch: how many processes on how many machines, and DDP, FSDP or DeepSpeed.

Flags, then the ftui config, then the user's accelerate config file (core/train/accelerate_config.py) decide;
one message (`LaunchPlan.message`) says where they disagreed. The command that runs the plan is
core/train/accelerate_command.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ftui.core.errors import UserError
from ftui.core.runs.layout import INLINE_DEEPSPEED_FILE
from ftui.core.train import accelerate_config as accel
from ftui.core.train.deepspeed import DeepSpeedChoice, check_deepspeed, resolve_deepspeed
from ftui.core.train.fsdp import FsdpPlan, fsdp_plan

NODE_KEYS = ("num_processes", "num_machines", "machine_rank", "main_process_ip", "main_process_port")
INLINE_DEEPSPEED = INLINE_DEEPSPEED_FILE  # in output_dir: an inline `deepspeed:` mapping as a file


@dataclass
class LaunchFlags:
    """`ftui train` flags that override the config (None: not given)."""

    num_processes: int | None = None
    num_machines: int | None = None
    machine_rank: int | None = None
    main_process_ip: str | None = None
    main_process_port: int | None = None
    accelerate_config: str | None = None  # a file; None: accelerate's default file if it exists


@dataclass
class LaunchPlan:
    num_processes: int = 1  # total, across machines (as accelerate counts)
    num_machines: int = 1
    machine_rank: int = 0
    main_process_ip: str | None = None
    main_process_port: int | None = None
    mode: str = "single"  # "single", "ddp", "fsdp", "deepspeed"
    fsdp: FsdpPlan | None = None
    deepspeed: DeepSpeedChoice | None = None
    extra: dict[str, Any] = field(default_factory=dict)  # gpu_ids, rdzv_backend, same_network (user file)
    user_file: Path | None = None
    disagreements: list[str] = field(default_factory=list)
    from_user_file: list[str] = field(default_factory=list)

    @property
    def needs_launcher(self) -> bool:
        return self.num_processes > 1 or self.num_machines > 1

    @property
    def processes_per_machine(self) -> int:
        return self.num_processes // self.num_machines

    def message(self) -> str | None:
        """The one message `ftui train` prints before anything starts (None: nothing to say)."""
        if not self.disagreements and not self.from_user_file:
            return None
        lines = []
        if self.disagreements:
            lines.append(
                f"accelerate config {self.user_file} disagrees with the ftui config; the ftui config wins "
                "(ftui owns the launch settings, so the two cannot disagree at run time):"
            )
            lines += [f"  - {line}" for line in self.disagreements]
        if self.from_user_file:
            lines.append(f"taken from accelerate config {self.user_file} (the ftui config leaves them open):")
            lines += [f"  - {line}" for line in self.from_user_file]
        return "\n".join(lines)

    def accelerate_config(self) -> dict[str, Any]:
        """The merged accelerate config file ftui launches with (accelerate's ClusterConfig keys)."""
        kind = {"single": "NO", "ddp": "MULTI_GPU", "fsdp": "FSDP", "deepspeed": "DEEPSPEED"}[self.mode]
        data: dict[str, Any] = {
            "compute_environment": "LOCAL_MACHINE",
            "distributed_type": kind,
            "mixed_precision": "no",  # the trainer sets precision from the ftui config
            "num_processes": self.num_processes,
            "num_machines": self.num_machines,
            "machine_rank": self.machine_rank,
            "dynamo_config": {},
            "use_cpu": False,
            "debug": False,
        }
        for key in ("main_process_ip", "main_process_port"):
            if getattr(self, key) is not None:
                data[key] = getattr(self, key)
        data.update(self.extra)
        if self.fsdp is not None:
            data["fsdp_config"] = dict(self.fsdp.config)
        if self.deepspeed is not None:
            ds: dict[str, Any] = {"deepspeed_config_file": str(self.deepspeed.path or "")}
            if self.deepspeed.stage == 3:
                ds["zero3_init_flag"] = True
            data["deepspeed_config"] = ds
        return data


def plan_launch(config: Any, flags: LaunchFlags | None = None, *, read_user_file: bool = True) -> LaunchPlan:
    """Decide the launch: flags > ftui config > the user's accelerate config > defaults."""
    flags = flags or LaunchFlags()
    found = accel.read_accelerate_config(flags.accelerate_config) if read_user_file else None
    user, user_file = found if found else ({}, None)
    plan = LaunchPlan(user_file=user_file)
    set_in_config = getattr(config, "model_fields_set", set())
    for key in NODE_KEYS:
        flag_value = getattr(flags, key)
        config_value = getattr(config, key, None) if key in set_in_config else None
        ours = flag_value if flag_value is not None else config_value
        theirs = user.get(key)
        if theirs is not None and key == "num_processes" and int(theirs) < 1:
            theirs = None  # accelerate's "-1: pass --num_processes" (SLURM templates)
        if ours is not None:
            setattr(plan, key, ours)
            if theirs is not None and str(theirs) != str(ours):
                origin = f"--{key.replace('_', '-')}" if flag_value is not None else f"{key} (ftui config)"
                plan.disagreements.append(f"{key}: {theirs} (accelerate) vs {ours} from {origin} -> {ours}")
        elif theirs is not None:
            setattr(plan, key, str(theirs) if key == "main_process_ip" else int(theirs))
            plan.from_user_file.append(f"{key}: {theirs}")
        elif key == "num_processes":
            plan.num_processes = int(getattr(config, "num_processes", 1) or 1)
    for key in ("gpu_ids", "rdzv_backend", "same_network"):
        if user.get(key) is not None:
            plan.extra[key] = user[key]
    _check_nodes(plan)
    _choose_mode(plan, config, user)
    mismatch = accel.precision_disagreement(user, config) if user else None
    if mismatch:
        plan.disagreements.append(mismatch)
    return plan


def _check_nodes(plan: LaunchPlan) -> None:
    if plan.num_processes < 1 or plan.num_machines < 1:
        raise UserError(
            f"--num-processes ({plan.num_processes}) and --num-machines ({plan.num_machines}) must be >= 1",
            hint="--num-processes is the total across machines, as in accelerate",
        )
    if plan.num_processes % plan.num_machines:
        raise UserError(
            f"--num-processes {plan.num_processes} is not a multiple of --num-machines {plan.num_machines}",
            hint="--num-processes counts every process on every machine (as accelerate): machines x GPUs each",
        )
    if not 0 <= plan.machine_rank < plan.num_machines:
        raise UserError(
            f"--machine-rank {plan.machine_rank} is outside 0..{plan.num_machines - 1}",
            hint="machine 0 is the main one; give each machine its own rank",
        )
    if plan.num_machines > 1 and not plan.main_process_ip:
        raise UserError(
            f"{plan.num_machines} machines need --main-process-ip (the address of machine 0)",
            hint="pass --main-process-ip IP (and --main-process-port PORT) on every machine",
        )


def _choose_mode(plan: LaunchPlan, config: Any, user: dict[str, Any]) -> None:
    base_dir = getattr(config, "base_dir", None)
    plan.deepspeed = resolve_deepspeed(getattr(config, "deepspeed", None), base_dir)
    plan.fsdp = fsdp_plan(
        getattr(config, "fsdp", None),
        getattr(config, "fsdp_config", None),
        getattr(config, "fsdp_version", None),
    )
    if plan.deepspeed is not None:
        check_deepspeed(plan.deepspeed, config)
        if plan.deepspeed.path is None:  # an inline mapping: written next to the merged accelerate config
            plan.deepspeed.path = output_dir_of_config(config) / INLINE_DEEPSPEED
        plan.mode = "deepspeed"
    elif plan.fsdp is not None:
        plan.mode = "fsdp"
    else:
        plan.mode = "ddp" if plan.needs_launcher else "single"
    if not user:
        return
    theirs = accel.accelerate_mode(user)
    ours = {"deepspeed": "DeepSpeed", "fsdp": "FSDP"}.get(
        plan.mode, "DDP (no fsdp:/deepspeed: in the config)"
    )
    if theirs in ("fsdp", "deepspeed") and theirs != plan.mode:
        plan.disagreements.append(
            f"distributed_type: {user.get('distributed_type')} (accelerate) vs {ours} (ftui config) -> {ours}: "
            "sharding is a training setting; write fsdp_version/fsdp_config or deepspeed: in the config to shard"
        )
    elif theirs not in accel.DISTRIBUTED.values():
        plan.disagreements.append(f"distributed_type: {theirs} (accelerate) is not run by ftui -> {ours}")
    elif theirs in ("single", "ddp") and plan.mode in ("fsdp", "deepspeed"):
        plan.disagreements.append(f"distributed_type: {user.get('distributed_type')} (accelerate) -> {ours}")
    elif theirs == "fsdp" and plan.fsdp is not None:
        _fsdp_keys_disagree(plan, user.get("fsdp_config") or {})


def _fsdp_keys_disagree(plan: LaunchPlan, theirs: dict[str, Any]) -> None:
    assert plan.fsdp is not None
    for key, value in theirs.items():
        ours = plan.fsdp.config.get(key)
        if ours is not None and str(ours).lower() != str(value).lower():
            plan.disagreements.append(
                f"fsdp_config.{key}: {value} (accelerate) vs {ours} (ftui config) -> {ours}"
            )


def output_dir_of_config(config: Any) -> Path:
    """The config's output_dir as the trainer resolves it (TrainSettings.output_path)."""
    from ftui.core.train.settings import TrainSettings

    return TrainSettings.from_config(config).output_path
