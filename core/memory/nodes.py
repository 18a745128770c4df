"""Per node: per-GPU memory of a layout (nodes x GPUs x sharding), the bytes each node sends to the others
per optimizer step, and the cheapest layout that fits a GPU (docs/memory.md, "Several nodes").

Traffic follows the hierarchical collectives NCCL approximates: inside a node GPUs talk over NVLink/PCIe,
across M nodes each node sends (M-1)/M of a tensor for an all-gather or a reduce-scatter and 2(M-1)/M for
an all-reduce. Per optimizer step:
- DDP: all-reduce of the gradients once (accumulation steps run without sync);
- ZeRO-1/2: reduce-scatter of the gradients + all-gather of the updated trainable weights;
- FSDP full shard / ZeRO-3: every micro-batch gathers all weights twice (forward, backward) and
  reduce-scatters the gradients, frozen base weights included (LoRA on FSDP moves the whole model);
- hybrid shard: sharded inside the node, so only the gradient all-reduce crosses nodes.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from ftui.core.memory.advice import GpuTarget, verdict
from ftui.core.memory.estimate import breakdown
from ftui.core.memory.inputs import EstimateInput
from ftui.core.memory.static import static_memory
from ftui.core.models.facts import ModelFacts

STRATEGIES = ("ddp", "zero1", "zero2", "hybrid", "fsdp", "zero3")
GPU_COUNTS = (1, 2, 4, 8)
LABELS = {
    "ddp": "DDP",
    "zero1": "ZeRO-1",
    "zero2": "ZeRO-2 / FSDP shard_grad_op",
    "zero3": "ZeRO-3",
    "fsdp": "FSDP full shard",
    "hybrid": "FSDP hybrid shard",
}


@dataclass
class Layout:
    nodes: int
    gpus_per_node: int
    sharding: str
    per_gpu_bytes: int
    inter_node_bytes: int  # sent by each node to the others per optimizer step
    status: str | None = None  # fits / tight / does_not_fit on the target GPU

    @property
    def gpus(self) -> int:
        return self.nodes * self.gpus_per_node

    def title(self) -> str:
        return (
            f"{self.nodes} node(s) x {self.gpus_per_node} GPU(s), {LABELS.get(self.sharding, self.sharding)}"
        )

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "gpus": self.gpus, "title": self.title()}


def inter_node_bytes(facts: ModelFacts, inp: EstimateInput) -> int:
    """Bytes each node sends to the other nodes per optimizer step (0 on one node)."""
    nodes = max(inp.num_nodes, 1)
    if nodes <= 1 or inp.num_gpus <= 1:
        return 0
    static = static_memory(facts, inp.with_changes(num_gpus=1, sharding="ddp"))
    grads = static.gradients
    trainable = static.adapters if inp.is_lora else static.weights
    weights = static.weights + static.quantized_weights + static.adapters
    gather = (nodes - 1) / nodes
    accum = max(inp.gradient_accumulation_steps, 1)
    if inp.sharding in ("ddp", "hybrid"):
        sent = 2 * gather * grads
    elif inp.sharding in ("zero1", "zero2"):
        sent = gather * (grads + trainable)
    else:
        sent = gather * accum * (2 * weights + grads)
    return int(sent)


def layout(facts: ModelFacts, inp: EstimateInput, nodes: int, gpus_per_node: int, sharding: str) -> Layout:
    changed = inp.with_changes(num_gpus=nodes * gpus_per_node, num_nodes=nodes, sharding=sharding)
    if changed.num_gpus == 1:
        changed = changed.with_changes(sharding="ddp")
    return Layout(
        nodes=nodes,
        gpus_per_node=gpus_per_node,
        sharding=changed.sharding,
        per_gpu_bytes=breakdown(facts, changed).total_bytes,
        inter_node_bytes=inter_node_bytes(facts, changed),
    )


def cheapest_layout(
    facts: ModelFacts, inp: EstimateInput, gpu: GpuTarget, max_nodes: int = 8, max_gpus_per_node: int = 8
) -> Layout | None:
    """Fewest GPUs that fit (under 90% of `gpu`), then fewest nodes, then least inter-node traffic, then the
    simplest strategy; None when nothing up to max_nodes x max_gpus_per_node fits."""
    best: tuple[tuple[int, int, int, int], Layout] | None = None
    for nodes in range(1, max_nodes + 1):
        for gpus in (g for g in GPU_COUNTS if g <= max_gpus_per_node):
            for rank, sharding in enumerate(STRATEGIES):
                if (sharding == "hybrid" and nodes == 1) or (nodes * gpus == 1 and rank > 0):
                    continue
                candidate = layout(facts, inp, nodes, gpus, sharding)
                candidate.status = verdict(candidate.per_gpu_bytes, gpu).status
                if candidate.status != "fits":
                    continue
                key = (candidate.gpus, nodes, candidate.inter_node_bytes, rank)
                if best is None or key < best[0]:
                    best = (key, candidate)
        if best is not None:
            break  # memory depends on the GPU count, which one node already tried: more nodes only cost more
    return best[1] if best else None
