"""The launch plan: the user's accelerate config vs the ftui config, multi-node flags, the merged accelerate
config, FSDP1/FSDP2 keys, Axolotl's DeepSpeed configs and the SLURM script (no training here)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
import yaml
from ftui.core.config import load_config
from ftui.core.errors import UserError
from ftui.core.train.accelerate_command import accelerate_command, write_merged_config
from ftui.core.train.accelerate_config import default_config_path, read_accelerate_config
from ftui.core.train.deepspeed import resolve_deepspeed, shipped_names
from ftui.core.train.fsdp import fsdp_plan
from ftui.core.train.launch_plan import LaunchFlags, plan_launch
from ftui.core.train.slurm import slurm_script

CLI = ("-m", "ftui.tui.cli")
AXOLOTL_NAMES = [
    "zero1", "zero1_torch_compile", "zero2", "zero2_torch_compile", "zero3", "zero3_bf16",
    "zero3_bf16_cpuoffload_all", "zero3_bf16_cpuoffload_params",
]  # fmt: skip
USER_ACCELERATE = """compute_environment: LOCAL_MACHINE
distributed_type: FSDP
mixed_precision: fp16
num_processes: 8
num_machines: 1
machine_rank: 0
gpu_ids: all
rdzv_backend: static
same_network: true
fsdp_config:
  fsdp_version: 2
  fsdp_reshard_after_forward: true
"""


@pytest.fixture(autouse=True)
def no_default_accelerate_config(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))


def cfg(tmp_path: Path, text: str = "") -> Path:
    path = tmp_path / "c.yml"
    path.write_text("base_model: x\ndatasets:\n  - path: d.jsonl\n    type: alpaca\nbf16: true\n" + text)
    return path


def plan_for(tmp_path: Path, text: str = "", **flags):
    config = load_config(cfg(tmp_path, text)).config
    return config, plan_launch(config, LaunchFlags(**flags))


def test_default_accelerate_config_location_follows_hf_home(tmp_path, monkeypatch):
    assert default_config_path() == tmp_path / "hf-home" / "accelerate" / "default_config.yaml"
    monkeypatch.delenv("HF_HOME")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_config_path() == tmp_path / "xdg" / "huggingface" / "accelerate" / "default_config.yaml"
    assert read_accelerate_config(None) is None  # none written: nothing read
    with pytest.raises(UserError) as err:
        read_accelerate_config(tmp_path / "missing.yaml")
    assert "--accelerate-config" in err.value.message


def test_user_accelerate_config_disagreements_one_message(tmp_path):
    user = tmp_path / "acc.yaml"
    user.write_text(USER_ACCELERATE)
    config, plan = plan_for(tmp_path, "num_processes: 2\n", accelerate_config=str(user))
    assert plan.num_processes == 2 and plan.mode == "ddp"  # the ftui config wins
    message = plan.message()
    assert message is not None and message.count(str(user)) == 2
    assert "num_processes: 8 (accelerate) vs 2 from num_processes (ftui config) -> 2" in message
    assert "mixed_precision: fp16 (accelerate) vs bf16: true (ftui config) -> the ftui config wins" in message
    assert "distributed_type: FSDP (accelerate) vs DDP" in message
    assert "gpu_ids: all" not in message and plan.extra == {
        "gpu_ids": "all",
        "rdzv_backend": "static",
        "same_network": True,
    }
    merged = plan.accelerate_config()
    assert merged["distributed_type"] == "MULTI_GPU" and merged["mixed_precision"] == "no"
    assert merged["num_processes"] == 2 and "fsdp_config" not in merged


def test_default_file_fills_what_the_config_leaves_open(tmp_path):
    default = default_config_path()
    default.parent.mkdir(parents=True)
    default.write_text(USER_ACCELERATE.replace("distributed_type: FSDP", "distributed_type: MULTI_GPU"))
    _, plan = plan_for(tmp_path)
    assert plan.user_file == default and plan.num_processes == 8 and plan.mode == "ddp"
    assert "num_processes: 8" in "\n".join(plan.from_user_file)
    _, flagged = plan_for(tmp_path, num_processes=4)  # a flag beats the file
    assert flagged.num_processes == 4 and any("--num-processes" in d for d in flagged.disagreements)


def test_multi_node_flags_command_and_merged_file(tmp_path):
    config, plan = plan_for(
        tmp_path, num_processes=16, num_machines=2, machine_rank=1, main_process_ip="10.0.0.1"
    )
    assert plan.processes_per_machine == 8 and plan.mode == "ddp"
    command = accelerate_command(
        config, "c.yml", plan=plan, entry=CLI, cuda=True, config_file=tmp_path / "m.yaml"
    )
    joined = " ".join(command)
    assert "--num_processes 16 --num_machines 2 --machine_rank 1 --main_process_ip 10.0.0.1" in joined
    assert f"--config_file {tmp_path / 'm.yaml'}" in joined and "--multi_gpu" in command
    written = yaml.safe_load(write_merged_config(plan, tmp_path / "out").read_text())
    assert written["num_machines"] == 2 and written["main_process_ip"] == "10.0.0.1"
    assert "machine_rank" not in written  # per machine, on the command line
    from_keys = plan_for(tmp_path, "num_processes: 4\nnum_machines: 2\nmain_process_ip: h0\n")[1]
    assert (from_keys.num_machines, from_keys.processes_per_machine) == (2, 2)


@pytest.mark.parametrize(
    "flags, words",
    [
        ({"num_processes": 3, "num_machines": 2, "main_process_ip": "h"}, "not a multiple"),
        ({"num_processes": 4, "num_machines": 2}, "--main-process-ip"),
        ({"num_processes": 4, "num_machines": 2, "machine_rank": 2, "main_process_ip": "h"}, "outside 0..1"),
    ],
)
def test_multi_node_mistakes_are_one_clear_error(tmp_path, flags, words):
    with pytest.raises(UserError) as err:
        plan_for(tmp_path, **flags)
    assert words in err.value.message


def test_effective_batch_counts_processes_on_every_machine(tmp_path):
    config = load_config(
        cfg(
            tmp_path,
            "micro_batch_size: 2\ngradient_accumulation_steps: 4\nnum_processes: 16\nnum_machines: 2\n",
        )
    ).config
    assert config.effective_batch_size == 2 * 4 * 16


def test_fsdp1_and_fsdp2_keys_as_axolotl_writes_them():
    v1 = fsdp_plan(
        ["full_shard", "auto_wrap", "offload"],
        {
            "fsdp_transformer_layer_cls_to_wrap": "LlamaDecoderLayer",
            "fsdp_state_dict_type": "FULL_STATE_DICT",
        },
    )
    assert v1 is not None and v1.version == 1 and v1.strategy == "FULL_SHARD"
    assert v1.config == {
        "fsdp_version": 1,
        "fsdp_sharding_strategy": "FULL_SHARD",
        "fsdp_reshard_after_forward": "FULL_SHARD",
        "fsdp_offload_params": True,
        "fsdp_auto_wrap_policy": "TRANSFORMER_BASED_WRAP",
        "fsdp_transformer_layer_cls_to_wrap": "LlamaDecoderLayer",
        "fsdp_state_dict_type": "FULL_STATE_DICT",
    }
    # Axolotl's examples/alst/llama3-8b-fsdp2-alst.yaml
    v2 = fsdp_plan(
        None,
        {
            "offload_params": False,
            "state_dict_type": "SHARDED_STATE_DICT",
            "auto_wrap_policy": "TRANSFORMER_BASED_WRAP",
            "transformer_layer_cls_to_wrap": "LlamaDecoderLayer",
            "reshard_after_forward": True,
        },
        2,
    )
    assert v2 is not None and v2.version == 2 and v2.sharding == "fsdp"
    assert v2.config["fsdp_reshard_after_forward"] is True and v2.config["fsdp_version"] == 2
    assert fsdp_plan(None, {"fsdp_version": 2, "reshard_after_forward": False}).sharding == "zero2"
    assert fsdp_plan(["shard_grad_op"], None).strategy == "SHARD_GRAD_OP"
    with pytest.raises(UserError):
        fsdp_plan(["hybrid_shard"], {"fsdp_version": 2})


def test_fsdp2_command_on_gpu(tmp_path):
    text = "fsdp_version: 2\nfsdp_config:\n  reshard_after_forward: true\n  offload_params: true\n"
    config, plan = plan_for(tmp_path, text, num_processes=8)
    command = accelerate_command(config, "c.yml", plan=plan, entry=CLI, cuda=True)
    joined = " ".join(command)
    assert (
        "--use_fsdp --fsdp_version 2 --fsdp_reshard_after_forward true --fsdp_offload_params true" in joined
    )
    assert plan.accelerate_config()["fsdp_config"]["fsdp_version"] == 2
    with pytest.raises(UserError):  # CPU: accelerate would silently train DDP
        accelerate_command(config, "c.yml", plan=plan, entry=CLI, cuda=False)


def test_every_axolotl_deepspeed_config_ships():
    assert shipped_names() == AXOLOTL_NAMES
    for name in AXOLOTL_NAMES:
        for spelling in (name, f"{name}.json", f"deepspeed_configs/{name}.json"):
            choice = resolve_deepspeed(spelling, Path("/nonexistent"))
            assert choice is not None and choice.shipped and choice.path.name == f"{name}.json"
    with pytest.raises(UserError) as err:
        resolve_deepspeed("zero3_torch_compile", Path("/nonexistent"))
    assert "zero3_bf16" in (err.value.hint or "")


@pytest.mark.parametrize("name", AXOLOTL_NAMES)
def test_zero3_needs_explicit_precision_zero12_may_use_auto(tmp_path, name):
    config, _ = plan_for(tmp_path)
    text = f"deepspeed: deepspeed_configs/{name}.json\n"
    if name == "zero3":
        with pytest.raises(UserError) as err:
            plan_for(tmp_path, text, num_processes=2)
        assert "ZeRO-3 needs bf16.enabled set to true or false" in err.value.message
        assert "zero3_bf16" in (err.value.hint or "")
        return
    config, plan = plan_for(tmp_path, text, num_processes=2)
    assert plan.mode == "deepspeed" and plan.deepspeed.stage == int(name[4])
    command = accelerate_command(config, "c.yml", plan=plan, entry=CLI, cuda=True)
    assert command[command.index("--deepspeed_config_file") + 1].endswith(f"templates/deepspeed/{name}.json")
    assert ("--zero3_init_flag" in command) == (plan.deepspeed.stage == 3)
    merged = plan.accelerate_config()
    assert merged["distributed_type"] == "DEEPSPEED"
    assert merged["deepspeed_config"]["deepspeed_config_file"] == str(plan.deepspeed.path)


def test_deepspeed_json_must_agree_with_the_config(tmp_path):
    (tmp_path / "ds.json").write_text(
        json.dumps({"zero_optimization": {"stage": 3}, "fp16": {"enabled": True}})
    )
    with pytest.raises(UserError) as err:
        plan_for(tmp_path, "deepspeed: ds.json\n", num_processes=2)  # the config says bf16: true
    assert "trains in fp16 but the config says bf16" in err.value.message
    (tmp_path / "mb.json").write_text(
        json.dumps({"zero_optimization": {"stage": 2}, "train_micro_batch_size_per_gpu": 4})
    )
    with pytest.raises(UserError) as err:
        plan_for(tmp_path, "deepspeed: mb.json\n", num_processes=2)
    assert "micro_batch_size: 1" in err.value.message
    (tmp_path / "bad.json").write_text("{")
    with pytest.raises(UserError):
        plan_for(tmp_path, "deepspeed: bad.json\n", num_processes=2)


def test_inline_deepspeed_mapping_is_written_next_to_the_merged_config(tmp_path):
    text = "output_dir: ./run\ndeepspeed:\n  zero_optimization:\n    stage: 2\n  bf16:\n    enabled: auto\n"
    config, plan = plan_for(tmp_path, text, num_processes=2)
    out = tmp_path / "run"
    merged = yaml.safe_load(write_merged_config(plan, out).read_text())
    assert json.loads((out / "deepspeed_config.json").read_text())["zero_optimization"]["stage"] == 2
    assert merged["deepspeed_config"]["deepspeed_config_file"] == str(out / "deepspeed_config.json")


def test_slurm_script_passes_bash_syntax_check(tmp_path):
    script = slurm_script(
        tmp_path / "c.yml", nodes=4, gpus_per_node=8, output_dir=tmp_path / "it's out", resume=True
    )
    assert "#SBATCH --nodes=4" in script and "#SBATCH --gpus-per-node=8" in script
    assert "--num-processes 32 --num-machines 4" in script and '--machine-rank "$SLURM_NODEID"' in script
    path = tmp_path / "job.sh"
    path.write_text(script)
    check = subprocess.run(["bash", "-n", str(path)], capture_output=True, text=True)
    assert check.returncode == 0, check.stderr


def test_cli_slurm_and_launch_command_print(tmp_path):
    from test_train_support import run_cli

    path = cfg(tmp_path, f"output_dir: {tmp_path / 'out'}\n")
    proc = run_cli(["train", str(path), "--slurm", "--nodes", "2", "--gpus-per-node", "4"], cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    (tmp_path / "job.sh").write_text(proc.stdout)
    assert subprocess.run(["bash", "-n", str(tmp_path / "job.sh")]).returncode == 0
    user = tmp_path / "acc.yaml"
    user.write_text(USER_ACCELERATE)
    proc = run_cli(
        ["train", str(path), "--accelerate-config", str(user), "--nodes", "2", "--num-processes", "2"]
        + ["--machine-rank", "0", "--main-process-ip", "127.0.0.1", "--print-launch-command"],
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    assert "--num_machines 2 --machine_rank 0 --main_process_ip 127.0.0.1" in proc.stdout
    assert "--multi_gpu" in proc.stdout and "--use_fsdp" not in proc.stdout
    assert "mixed_precision: fp16 (accelerate) vs bf16: true (ftui config)" in proc.stderr
    assert not (tmp_path / "out").exists()  # printing writes nothing


def test_review_step_lines_show_the_accelerate_command_and_the_message(tmp_path):
    from ftui.core.train.accelerate_command import launch_lines

    user = default_config_path()
    user.parent.mkdir(parents=True)
    user.write_text(USER_ACCELERATE)
    config = load_config(cfg(tmp_path, "num_processes: 2\n")).config
    lines = launch_lines(config, tmp_path / "c.yml", ["ftui", "train", "c.yml"], cuda=True)
    assert lines[0] == "$ ftui train c.yml"
    assert lines[1].startswith(
        "  which runs: -m accelerate.commands.launch --num_processes 2 --num_machines 1"
    )
    assert "--config_file" in lines[1] and "--multi_gpu" in lines[1]
    assert any("mixed_precision: fp16 (accelerate)" in line for line in lines)
    broken = load_config(cfg(tmp_path, "num_processes: 2\ndeepspeed: zero3\n")).config
    assert launch_lines(broken, "c.yml", ["ftui"], cuda=True)[-1].startswith("✗ deepspeed:")
