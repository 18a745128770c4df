"""The estimator per node: per-GPU memory with the shipped DeepSpeed configs and FSDP2 keys, inter-node
traffic per step, the cheapest layout that fits, and `ftui estimate --gpus N --nodes M` (no torch)."""

from __future__ import annotations

import json

import pytest
from ftui.core.config import load_config
from ftui.core.memory import EstimateInput, breakdown
from ftui.core.memory.advice import GpuTarget
from ftui.core.memory.nodes import cheapest_layout, inter_node_bytes, layout
from ftui.core.memory.static import static_memory
from ftui.core.models.lookup import get_model_facts
from test_train_support import run_cli

MODEL = "meta-llama/Llama-3.1-8B"
GIB = 1024**3


@pytest.fixture(scope="module")
def facts():
    return get_model_facts(MODEL)


def full(**changes) -> EstimateInput:
    return EstimateInput(model=MODEL, adapter=None, sequence_len=2048, **changes)


def config_input(tmp_path, text: str) -> EstimateInput:
    path = tmp_path / "c.yml"
    path.write_text(
        f"base_model: {MODEL}\ndatasets:\n  - path: d.jsonl\n    type: alpaca\nbf16: true\n{text}"
    )
    return EstimateInput.from_config(load_config(path).config)


@pytest.mark.parametrize(
    "deepspeed, sharding, offload",
    [
        ("zero1", "zero1", (False, False)),
        ("deepspeed_configs/zero2.json", "zero2", (True, False)),  # Axolotl's zero2 offloads the optimizer
        ("zero3_bf16", "zero3", (False, False)),
        ("zero3_bf16_cpuoffload_params", "zero3", (False, True)),
        ("zero3_bf16_cpuoffload_all.json", "zero3", (True, True)),
    ],
)
def test_shipped_deepspeed_configs_reach_the_estimator(tmp_path, deepspeed, sharding, offload):
    inp = config_input(tmp_path, f"deepspeed: {deepspeed}\nnum_processes: 8\n")
    assert (inp.sharding, (inp.offload_optimizer, inp.offload_params)) == (sharding, offload)


def test_per_gpu_numbers_of_zero_stages_and_offload(facts):
    static = static_memory(facts, full())
    n = 8
    ddp, z1, z2, z3 = (
        breakdown(facts, full(num_gpus=n, sharding=s)) for s in ("ddp", "zero1", "zero2", "zero3")
    )
    assert ddp.components["optimizer_states"] == static.optimizer_states
    assert z1.components["optimizer_states"] == static.optimizer_states // n
    assert (
        z2.components["base_weights"] == static.weights
        and z3.components["base_weights"] == static.weights // n
    )
    assert ddp.total_bytes > z1.total_bytes > z2.total_bytes > z3.total_bytes
    z2_off = breakdown(facts, full(num_gpus=n, sharding="zero2", offload_optimizer=True))
    assert z2_off.components["optimizer_states"] == 0 and z2_off.components["optimizer_step_temp"] == 0
    assert z2_off.offloaded["optimizer_states"] == static.optimizer_states // n
    z3_all = breakdown(facts, full(num_gpus=n, sharding="zero3", offload_optimizer=True, offload_params=True))
    assert z3_all.components["base_weights"] == 0 and z3_all.offloaded["base_weights"] == static.weights // n
    assert any("offloaded to CPU RAM" in note for note in z3_all.notes)


def test_fsdp2_keys_and_hybrid_shard(tmp_path, facts):
    inp = config_input(
        tmp_path,
        "fsdp_version: 2\nfsdp_config:\n  reshard_after_forward: true\n  offload_params: false\nnum_processes: 8\n",
    )
    assert inp.sharding == "fsdp" and not inp.offload_params
    grad_op = config_input(tmp_path, "fsdp_version: 2\nfsdp_config:\n  reshard_after_forward: false\n")
    assert grad_op.sharding == "zero2"
    hybrid = config_input(tmp_path, "fsdp: [hybrid_shard, auto_wrap]\nnum_processes: 16\nnum_machines: 2\n")
    assert (hybrid.sharding, hybrid.num_nodes, hybrid.shard_count) == ("hybrid", 2, 8)
    # hybrid on 2 nodes x 8 GPUs shards like full shard on one node of 8
    same = breakdown(facts, full(num_gpus=8, sharding="fsdp")).components["base_weights"]
    assert (
        breakdown(facts, full(num_gpus=16, num_nodes=2, sharding="hybrid")).components["base_weights"] == same
    )


def test_inter_node_traffic_per_step(facts):
    static = static_memory(facts, full())
    grads, weights = static.gradients, static.weights
    two = {"num_gpus": 16, "num_nodes": 2}
    assert inter_node_bytes(facts, full(num_gpus=8, sharding="fsdp")) == 0  # one node
    assert inter_node_bytes(facts, full(sharding="ddp", **two)) == int(2 * 0.5 * grads)
    assert inter_node_bytes(facts, full(sharding="zero2", **two)) == int(0.5 * (grads + weights))
    assert inter_node_bytes(facts, full(sharding="fsdp", **two)) == int(0.5 * (2 * weights + grads))
    assert inter_node_bytes(facts, full(sharding="fsdp", gradient_accumulation_steps=4, **two)) == int(
        0.5 * 4 * (2 * weights + grads)
    )
    assert inter_node_bytes(facts, full(sharding="hybrid", **two)) == int(grads)
    # LoRA on FSDP still gathers the frozen base weights: far more than LoRA's gradients under DDP
    lora = EstimateInput(model=MODEL, adapter="lora", sequence_len=2048, **two)
    assert inter_node_bytes(facts, lora.with_changes(sharding="fsdp")) > 100 * inter_node_bytes(facts, lora)
    eight_nodes = inter_node_bytes(facts, full(sharding="ddp", num_gpus=64, num_nodes=8))
    assert eight_nodes == int(2 * 7 / 8 * grads)


def test_cheapest_layout_that_fits(facts):
    a100 = GpuTarget("A100 80G", 80 * GIB)
    best = cheapest_layout(facts, full(), a100)
    assert best is not None and best.nodes == 1 and best.status == "fits"
    smaller = [layout(facts, full(), 1, g, s) for g in (1, 2, 4) for s in ("ddp", "zero1", "zero2", "fsdp")]
    assert all(c.per_gpu_bytes > 0.9 * a100.memory_bytes for c in smaller if c.gpus < best.gpus)
    assert best.per_gpu_bytes <= 0.9 * a100.memory_bytes
    t4 = GpuTarget("T4 16G", 15 * GIB)
    on_t4 = cheapest_layout(facts, full(gradient_checkpointing=True), t4, max_gpus_per_node=4)
    assert on_t4 is not None and (on_t4.nodes, on_t4.gpus_per_node, on_t4.sharding) == (2, 4, "fsdp")
    assert on_t4.inter_node_bytes == inter_node_bytes(facts, full(num_gpus=8, num_nodes=2, sharding="fsdp"))
    assert cheapest_layout(facts, full(), GpuTarget("tiny", GIB), max_nodes=2) is None


def test_cli_gpus_per_node_and_nodes(tmp_path):
    args = ["estimate", "--model", MODEL, "--adapter", "none", "--seq", "2048", "--gpus", "4", "--nodes", "2"]
    proc = run_cli([*args, "--sharding", "fsdp", "--gpu", "A100 80G", "--json"], cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["input"]["num_gpus"] == 8 and data["input"]["num_nodes"] == 2
    asked = data["nodes"]["layout"]
    assert (asked["nodes"], asked["gpus_per_node"], asked["sharding"]) == (2, 4, "fsdp")
    assert asked["per_gpu_bytes"] == data["total_bytes"] and asked["inter_node_bytes"] > 0
    assert data["nodes"]["cheapest"]["nodes"] == 1
    text = run_cli([*args, "--sharding", "fsdp", "--gpu", "A100 80G"], cwd=tmp_path).stdout
    assert "each node sends" in text and "cheapest  layout that fits A100 80G" in text
    assert (
        "torch"
        not in run_cli(
            ["estimate", "--model", MODEL, "--nodes", "2", "--gpus", "2", "--json"],
            cwd=tmp_path,
            prelude="import atexit, sys\natexit.register(lambda: print('torch' if 'torch' in sys.modules else '', file=sys.stderr))",
        ).stderr
    )


def test_cli_gpus_and_nodes_keep_the_configs_deepspeed_sharding(tmp_path):
    """`--gpus 8 --nodes 2` on a ZeRO-3 config estimates ZeRO-3 (the flags once reset it to DDP)."""
    config = tmp_path / "c.yml"
    config.write_text(
        f"base_model: {MODEL}\ndatasets:\n  - path: d.jsonl\n    type: alpaca\nbf16: true\n"
        "deepspeed: deepspeed_configs/zero3_bf16.json\n"
    )
    proc = run_cli(["estimate", str(config), "--gpus", "8", "--nodes", "2", "--json"], cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["input"]["sharding"] == "zero3" and data["nodes"]["layout"]["sharding"] == "zero3"
    single = json.loads(run_cli(["estimate", str(config), "--json"], cwd=tmp_path).stdout)
    assert data["total_bytes"] < single["total_bytes"]  # the weights are split over 16 GPUs
