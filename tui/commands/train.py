"""`ftui train CONFIG [--resume] [--max-steps N] [--num-processes N]`: run one training from a config."""

from __future__ import annotations

import argparse
import os
import sys


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("config", help="the YAML config (Axolotl keys), or `demo` for the shipped demo")
    parser.add_argument("--resume", action="store_true", help="continue from the last complete checkpoint")
    parser.add_argument(
        "--max-steps", type=int, default=None, help="stop after N optimizer steps (overrides max_steps)"
    )
    parser.add_argument(
        "--num-processes",
        type=int,
        default=None,
        help="train with N processes in total, across machines (accelerate launch: DDP, FSDP or DeepSpeed)",
    )
    parser.add_argument(
        "--accelerate-config",
        metavar="FILE",
        help="your `accelerate config` file (default: accelerate's own default file, if it exists)",
    )
    parser.add_argument("--num-machines", "--nodes", type=int, default=None, help="machines in the run")
    parser.add_argument("--machine-rank", type=int, default=None, help="this machine's rank (0 = main)")
    parser.add_argument("--main-process-ip", default=None, help="address of machine 0")
    parser.add_argument("--main-process-port", type=int, default=None, help="port on machine 0")
    parser.add_argument(
        "--slurm", action="store_true", help="print a SLURM batch script (with --nodes, --gpus-per-node)"
    )
    parser.add_argument("--gpus-per-node", type=int, default=None, help="GPUs per node (--slurm)")
    parser.add_argument(
        "--quiet", action="store_true", help="no progress lines on stderr (events.jsonl only)"
    )
    parser.add_argument(
        "--print-launch-command",
        action="store_true",
        help="print the accelerate command for --num-processes and exit",
    )


def run(args: argparse.Namespace) -> int:
    import warnings

    warnings.filterwarnings("ignore", category=FutureWarning)  # library deprecation notices, not for users
    from ftui.core.config import load_config
    from ftui.core.config.train_gate import ignored_lines, unsupported_error

    loaded = load_config(args.config)
    refusal = unsupported_error(loaded.unsupported, args.config)
    if refusal is not None:
        raise refusal  # before anything is loaded or written
    from ftui.core.tracking import check_installed

    check_installed(loaded.config, args.config)  # a missing tracker stops here, before any launch
    for warning in loaded.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    for line in ignored_lines(loaded.ignored):
        print(f"ignored: {line}", file=sys.stderr)
    if loaded.config.report_targets or loaded.config.hub_model_id:
        from ftui.core.config.summary import tracking_lines

        for line in tracking_lines(loaded.config):  # where this run logs and pushes, as `ftui check` says
            print(line, file=sys.stderr)
    if args.slurm:
        return _print_slurm(args, loaded.config)
    if "LOCAL_RANK" not in os.environ:  # the launching process (each rank sees LOCAL_RANK)
        _launch_if_needed(args, loaded.config)
    from ftui.core.train.runner import run_training

    result = run_training(
        loaded.config,
        config_dir=loaded.path.resolve().parent if loaded.path else None,
        resume=args.resume,
        max_steps=args.max_steps,
        quiet=args.quiet,
    )
    return result.exit_code


def _flags(args: argparse.Namespace):
    from ftui.core.train.launch_plan import LaunchFlags

    return LaunchFlags(
        num_processes=args.num_processes,
        num_machines=args.num_machines,
        machine_rank=args.machine_rank,
        main_process_ip=args.main_process_ip,
        main_process_port=args.main_process_port,
        accelerate_config=args.accelerate_config,
    )


def _launch_if_needed(args: argparse.Namespace, config) -> None:
    """Plan the launch; one process on one machine trains here, anything more execs accelerate launch."""
    from ftui.core.launch import ftui_command
    from ftui.core.train.accelerate_command import MERGED_FILE, accelerate_command, write_merged_config
    from ftui.core.train.launch_plan import output_dir_of_config, plan_launch

    plan = plan_launch(config, _flags(args))
    message = plan.message()
    if message:
        print(message, file=sys.stderr)
    if not plan.needs_launcher:
        if args.print_launch_command:
            print(f"{' '.join(ftui_command())} train {args.config} (one process, no accelerate)")
            sys.exit(0)
        return
    output_dir = output_dir_of_config(config)
    merged = output_dir / MERGED_FILE
    if not args.print_launch_command:
        merged = write_merged_config(plan, output_dir)
    command = accelerate_command(
        config,
        args.config,
        plan=plan,
        resume=args.resume,
        max_steps=args.max_steps,
        entry=ftui_command()[1:],
        config_file=merged,
    )
    if args.print_launch_command:
        print(" ".join(command))
        sys.exit(0)
    from ftui.core.config.derived import effective_batch

    batch = effective_batch(config.micro_batch_size, config.gradient_accumulation_steps, plan.num_processes)
    print(
        f"launching {plan.num_processes} processes on {plan.num_machines} machine(s) ({plan.mode}), "
        f"this is machine {plan.machine_rank}; effective batch {batch} sequences per step",
        file=sys.stderr,
    )
    sys.stdout.flush()
    sys.stderr.flush()
    os.execvp(command[0], command)  # the launcher replaces this process: signals reach it directly


def _print_slurm(args: argparse.Namespace, config) -> int:
    from ftui.core.errors import UserError
    from ftui.core.train.launch_plan import output_dir_of_config
    from ftui.core.train.slurm import slurm_script

    if not args.num_machines or not args.gpus_per_node:
        raise UserError(
            "--slurm needs --nodes N and --gpus-per-node G", hint="e.g. --slurm --nodes 2 --gpus-per-node 8"
        )
    print(
        slurm_script(
            args.config,
            nodes=args.num_machines,
            gpus_per_node=args.gpus_per_node,
            output_dir=output_dir_of_config(config),
            job_name=f"ftui-{output_dir_of_config(config).name}",
            port=args.main_process_port or 29500,
            resume=args.resume,
            max_steps=args.max_steps,
            accelerate_config=args.accelerate_config,
        ),
        end="",
    )
    return 0
