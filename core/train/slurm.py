"""`ftui train CONFIG --slurm --nodes N --gpus-per-node G`: a SLURM batch script for a cluster.

One SLURM task per node runs `ftui train` with that node's `--machine-rank` ($SLURM_NODEID); machine 0 is
the first host of the allocation. Each node's `ftui train` then starts `accelerate launch` for its GPUs.
"""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

from ftui.core.errors import UserError
from ftui.core.launch import CLI_MODULE


def slurm_script(
    config_path: str | Path,
    *,
    nodes: int,
    gpus_per_node: int,
    output_dir: str | Path,
    job_name: str = "ftui",
    port: int = 29500,
    resume: bool = False,
    max_steps: int | None = None,
    accelerate_config: str | None = None,
    python: str | None = None,
) -> str:
    """The script text (bash); `bash -n` accepts it (tests/test_multinode.py)."""
    if nodes < 1 or gpus_per_node < 1:
        raise UserError(
            f"--slurm needs --nodes >= 1 and --gpus-per-node >= 1 (got {nodes} and {gpus_per_node})",
            hint="e.g. ftui train cfg.yml --slurm --nodes 2 --gpus-per-node 8",
        )
    config = str(Path(config_path).resolve())
    out = Path(output_dir).resolve()
    train = [python or sys.executable, "-m", CLI_MODULE, "train", config]
    train += ["--num-processes", str(nodes * gpus_per_node), "--num-machines", str(nodes)]
    if resume:
        train.append("--resume")
    if max_steps is not None:
        train += ["--max-steps", str(max_steps)]
    if accelerate_config:
        train += ["--accelerate-config", str(Path(accelerate_config).resolve())]
    quoted = " ".join(shlex.quote(part) for part in train)
    inner = quoted.replace("'", "'\"'\"'")  # inside bash -c '...'
    name = "".join(c if c.isalnum() or c in "-_." else "-" for c in job_name) or "ftui"
    return f"""#!/bin/bash
#SBATCH --job-name={name}
#SBATCH --nodes={nodes}
#SBATCH --ntasks-per-node=1
#SBATCH --gpus-per-node={gpus_per_node}
#SBATCH --exclusive
#SBATCH --output={shlex.quote(str(out))}/slurm-%j.log
# Written by `ftui train --slurm`. output_dir ({out}) must be on storage every node sees (NFS, Lustre):
# rank 0 writes checkpoints there and --resume reads them on every node; ftui checks this at start.
set -euo pipefail
mkdir -p {shlex.quote(str(out))}
MAIN_PROCESS_IP="$(scontrol show hostnames "$SLURM_JOB_NODELIST" | head -n 1)"
MAIN_PROCESS_PORT="${{MAIN_PROCESS_PORT:-{port}}}"
export MAIN_PROCESS_IP MAIN_PROCESS_PORT
srun --kill-on-bad-exit=1 --ntasks-per-node=1 bash -c \\
  'exec {inner} --machine-rank "$SLURM_NODEID" --main-process-ip "$MAIN_PROCESS_IP" --main-process-port "$MAIN_PROCESS_PORT"'
"""
