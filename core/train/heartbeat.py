"""Per-rank liveness and the shared-storage check of multi-process runs.

Only rank 0 writes events and checkpoints; every rank writes a small heartbeat file,
`OUTPUT_DIR/ranks/rank-R.json` (rank, host, pid, step, status, time, and at the end a digest of its
trainable weights), replaced atomically at each step. A monitor reads them (`read_heartbeats`) and shows
each rank's liveness; a rank that stopped beating while the others go on is the one that hangs or died.

`check_shared_output` runs before any checkpoint is looked for: rank 0 writes a token into output_dir and
every rank must read it back, so a multi-node `--resume` never starts with nodes that see different files.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ftui.core.errors import UserError
from ftui.core.runs.layout import RANKS_DIR, SHARED_CHECK_FILE, heartbeat_name

STALE_SECONDS = 120.0  # no beat for this long while training: the rank is shown as not responding
DIGEST_MAX_PARAMS = 200_000_000  # trainable parameters hashed at the end (adapters; small full fine-tunes)


def heartbeat_path(output_dir: Path, rank: int) -> Path:
    return Path(output_dir) / RANKS_DIR / heartbeat_name(rank)


def write_heartbeat(output_dir: Path, rank: int, world_size: int, status: str, **fields: Any) -> None:
    """Replace this rank's heartbeat file (never raises: liveness must not break training). Single-process
    runs write none (their events say it all)."""
    if world_size <= 1:
        return
    path = heartbeat_path(output_dir, rank)
    if fields.pop("keep", False):  # the final status keeps what the last beat said (step, digest)
        try:
            fields = {**json.loads(path.read_text(encoding="utf-8")), **fields}
        except (OSError, ValueError):
            pass
    beat = {
        **fields,
        "rank": rank,
        "world_size": world_size,
        "host": socket.gethostname(),
        "pid": os.getpid(),
        "status": status,
        "time": time.time(),
    }
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".tmp-{socket.gethostname()}-{os.getpid()}-{path.name}")
        tmp.write_text(json.dumps(beat), encoding="utf-8")
        os.replace(tmp, path)
    except OSError:
        pass


@dataclass
class RankBeat:
    rank: int
    host: str
    pid: int
    status: str  # loading, training, finished, stopped, failed
    step: int | None
    age_s: float
    weights_sha256: str | None = None

    @property
    def alive(self) -> bool:
        """Beating recently, or ended on its own terms."""
        return self.status in ("finished", "stopped") or self.age_s < STALE_SECONDS

    def line(self) -> str:
        step = "-" if self.step is None else str(self.step)
        state = self.status if self.alive else f"{self.status}, silent {self.age_s:.0f} s"
        return f"rank {self.rank} {self.host}: step {step}, {state} ({self.age_s:.0f} s ago)"


def read_heartbeats(output_dir: str | Path, now: float | None = None) -> list[RankBeat]:
    """Every rank's last beat of the latest launch (ranks of an earlier, larger launch are left out)."""
    now = time.time() if now is None else now
    beats = []
    for path in sorted((Path(output_dir) / RANKS_DIR).glob(heartbeat_name("*"))):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        beats.append(data)
    if not beats:
        return []
    world = max(beats, key=lambda b: b.get("time", 0)).get("world_size", len(beats))
    out = [
        RankBeat(
            rank=int(b.get("rank", 0)),
            host=str(b.get("host", "?")),
            pid=int(b.get("pid", 0)),
            status=str(b.get("status", "?")),
            step=b.get("step"),
            age_s=max(0.0, now - float(b.get("time", now))),
            weights_sha256=b.get("weights_sha256"),
        )
        for b in beats
        if int(b.get("rank", 0)) < int(world)
    ]
    return sorted(out, key=lambda b: b.rank)


def weights_digest(model: Any) -> str | None:
    """sha256 of the trainable weights as this rank holds them (None for sharded or very large models)."""
    params = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    if not params or sum(p.numel() for _, p in params) > DIGEST_MAX_PARAMS:
        return None
    digest = hashlib.sha256()
    for name, param in sorted(params, key=lambda item: item[0]):
        if hasattr(param, "ds_id") or hasattr(param, "to_local"):  # ZeRO-3 / FSDP2 shards differ by rank
            return None
        digest.update(name.encode())
        digest.update(param.detach().float().cpu().numpy().tobytes())
    return digest.hexdigest()


def heartbeat_callback(output_dir: Path, rank: int, world_size: int) -> Any:
    """A TrainerCallback beating at each step and writing the final status and weights digest."""
    from transformers import TrainerCallback

    class HeartbeatCallback(TrainerCallback):
        def on_train_begin(self, args, state, control, **kwargs):
            write_heartbeat(output_dir, rank, world_size, "training", step=state.global_step)

        def on_step_end(self, args, state, control, **kwargs):
            write_heartbeat(output_dir, rank, world_size, "training", step=state.global_step)

        def on_train_end(self, args, state, control, model=None, **kwargs):
            digest = weights_digest(model) if model is not None else None
            write_heartbeat(
                output_dir, rank, world_size, "trained", step=state.global_step, weights_sha256=digest
            )

    return HeartbeatCallback()


def check_shared_output(output_dir: Path, rank: int, world_size: int, cpu: bool) -> None:
    """Every rank must see the file rank 0 writes into output_dir; else one clear error on every rank."""
    import torch.distributed as dist

    if not dist.is_initialized():  # the trainer's accelerate state reuses this group
        if not cpu:
            import torch

            torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", 0)))
        dist.init_process_group(backend="gloo" if cpu else "cuda:nccl,cpu:gloo")
    token = [f"{socket.gethostname()}-{os.getpid()}-{time.time_ns()}" if rank == 0 else None]
    marker = Path(output_dir) / SHARED_CHECK_FILE
    if rank == 0:
        marker.write_text(token[0] or "", encoding="utf-8")
    dist.broadcast_object_list(token, src=0, device=_cpu())
    seen = _read_back(marker, token[0])
    results: list[Any] = [None] * world_size
    dist.all_gather_object(results, (rank, socket.gethostname(), seen))
    blind = [r for r in results if not r[2]]
    if blind:
        names = ", ".join(f"rank {r} on {host}" for r, host, _ in blind)
        raise UserError(
            f"output_dir {output_dir} is not on storage every node sees: {names} cannot read the file "
            f"rank 0 wrote there ({SHARED_CHECK_FILE})",
            hint="put output_dir on a shared filesystem (NFS, Lustre, ...) mounted at the same path on every "
            "node: rank 0 writes the checkpoints there and --resume reads them on every node",
        )


def _cpu() -> Any:
    import torch

    return torch.device("cpu")


def multi_node() -> bool:
    """More ranks in the run than on this machine (torchrun sets LOCAL_WORLD_SIZE)."""
    world = int(os.environ.get("WORLD_SIZE", 1))
    return world > int(os.environ.get("LOCAL_WORLD_SIZE", world))


def _read_back(marker: Path, token: str | None, tries: int = 20) -> bool:
    """Shared filesystems may show a new file a moment late: retry for about two seconds."""
    for _ in range(tries):
        try:
            if marker.read_text(encoding="utf-8") == token:
                return True
        except OSError:
            pass
        time.sleep(0.1)
    return False
