"""Start, stop, kill and resume ftui's subprocesses: the trainer and the TUI's merge, with one entry point.

Every child runs as `python -m ftui.tui.cli COMMAND` with this interpreter (`ftui_command`), so it is the same
installation whatever PATH says. The trainer (`ftui train CONFIG`; with `--num-processes N` it builds its own
`accelerate launch` command, core/train/accelerate_command.py) runs in its own session, so the TUI's terminal
signals never reach it and one signal to its process group reaches every rank. stdin is detached (a child that
inherits it steals keystrokes); stdout/stderr go to `RUN_DIR/launch.log` (a merge's to `RUN_DIR/merge.log`);
`RUN_DIR/launch.json` records the trainer's pid so any later monitor (another terminal, a restarted TUI) can
find, watch and stop it. File names: core/runs/layout.py.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ftui.core.errors import UserError
from ftui.core.runs.layout import CONFIG_COPIES, LAUNCH_FILE, LAUNCH_LOG, MERGE_LOG, read_launch_info
from ftui.core.runs.liveness import live_run_pids, process_identity

CLI_MODULE = "ftui.tui.cli"  # the entry point of every ftui subprocess (pyproject: ftui = ftui.tui.cli:main)


@dataclass
class LaunchedRun:
    """A trainer (or merge) this process started: the handle that reaps it (no zombies) and signals its group."""

    run_dir: Path
    command: list[str]
    log_path: Path
    process: subprocess.Popen

    @property
    def pid(self) -> int:
        return self.process.pid

    def poll(self) -> int | None:
        """Exit code once it ended (and reap it), else None."""
        return self.process.poll()

    @property
    def running(self) -> bool:
        return self.poll() is None

    def stop(self) -> None:
        """Graceful stop: SIGTERM to the whole group; the trainer finishes its step, checkpoints, exits."""
        self._signal(signal.SIGTERM)

    def kill(self) -> None:
        """Immediate stop: SIGKILL to the whole group (the last complete checkpoint stays loadable)."""
        self._signal(signal.SIGKILL)

    def wait(self, timeout: float | None = None) -> int | None:
        """Wait for the exit (reaping it); None if still running after `timeout`."""
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def _signal(self, sig: int) -> None:
        if self.poll() is not None:
            return
        try:
            os.killpg(self.process.pid, sig)
        except (ProcessLookupError, PermissionError):
            pass


def output_dir_of(config_path: str | Path) -> Path:
    """The config's `output_dir` (where the trainer writes events), read with a safe YAML loader."""
    from ftui.core.config.schema import default_of
    from ruamel.yaml import YAML

    path = Path(config_path)
    try:
        data = YAML(typ="safe").load(path.read_text(encoding="utf-8")) or {}
    except OSError as err:
        raise UserError(f"cannot read config {path}: {err.strerror}", "check the path") from err
    except Exception as err:  # ruamel raises several YAMLError subclasses
        raise UserError(f"{path}: not valid YAML ({err})", "fix the YAML or open it in the wizard") from err
    if not isinstance(data, dict):
        raise UserError(f"{path}: expected a mapping of settings", "see docs/config.md")
    return Path(str(data.get("output_dir") or default_of("output_dir"))).expanduser()


def ftui_command() -> list[str]:
    """How every ftui subprocess is started: this interpreter running the CLI module (works in any venv)."""
    return [sys.executable, "-m", CLI_MODULE]


def train_command(
    config_path: str | Path,
    *,
    resume: bool = False,
    num_processes: int = 1,
    extra_args: Sequence[str] = (),
) -> list[str]:
    """The `ftui train` command line."""
    command = [*ftui_command(), "train", str(config_path)]
    if resume:
        command.append("--resume")
    if num_processes > 1:
        command += ["--num-processes", str(num_processes)]
    return command + list(extra_args)


def launch_training(
    config_path: str | Path,
    run_dir: str | Path | None = None,
    *,
    resume: bool = False,
    num_processes: int = 1,
    command: Sequence[str] | None = None,
    env: dict[str, str] | None = None,
    cwd: str | Path | None = None,
) -> LaunchedRun:
    """Start a trainer in its own session and record it in `run_dir` (default: the config's output_dir).

    `command` replaces the `ftui train` command line (tests use a fake trainer).
    """
    base = Path(cwd) if cwd else Path.cwd()
    run_path = Path(run_dir) if run_dir is not None else output_dir_of(config_path)
    if not run_path.is_absolute():
        run_path = base / run_path
    run_path.mkdir(parents=True, exist_ok=True)
    argv = (
        list(command) if command else train_command(config_path, resume=resume, num_processes=num_processes)
    )
    process = _start(argv, run_path / LAUNCH_LOG, cwd=base, env=env)
    info = {
        **process_identity(process.pid),
        "command": argv,
        "config": str(Path(config_path).resolve()) if config_path else None,
        "started": time.time(),
        "resume": resume,
        "cwd": str(base),
        "log": LAUNCH_LOG,
    }
    tmp = run_path / f".{LAUNCH_FILE}.tmp"
    tmp.write_text(json.dumps(info, indent=2), encoding="utf-8")
    os.replace(tmp, run_path / LAUNCH_FILE)
    return LaunchedRun(run_dir=run_path, command=argv, log_path=run_path / LAUNCH_LOG, process=process)


def _start(
    argv: list[str], log_path: Path, *, cwd: Path | None, env: dict[str, str] | None
) -> subprocess.Popen:
    """Start `argv` in its own session, stdin detached, stdout and stderr appended to `log_path`."""
    child_env = {**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}
    with open(log_path, "ab") as log:
        log.write(f"\n$ {' '.join(argv)}\n".encode())
        log.flush()
        return subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            cwd=str(cwd) if cwd is not None else None,
            env=child_env,
        )


def merge_command(run_dir: Path) -> list[str]:
    """`ftui merge RUN_DIR` (tests replace it with a slow fake)."""
    return [*ftui_command(), "merge", str(run_dir)]


def launch_merge(run_dir: str | Path) -> LaunchedRun:
    """Start `ftui merge RUN_DIR` in its own session, its console in `RUN_DIR/merge.log`."""
    run_path = Path(run_dir)
    argv = merge_command(run_path)
    process = _start(argv, run_path / MERGE_LOG, cwd=None, env=None)
    return LaunchedRun(run_dir=run_path, command=argv, log_path=run_path / MERGE_LOG, process=process)


def signal_run(run_dir: str | Path, sig: int = signal.SIGTERM) -> int:
    """Signal a run started elsewhere (another terminal, an earlier TUI); returns the pid signalled.

    A process that leads its own group (ftui's launches, shell jobs) gets the signal group-wide so every
    rank of a multi-GPU run hears it; otherwise only that process does.
    """
    run_path = Path(run_dir)
    for pid in live_run_pids(run_path):
        try:
            if os.getpgid(pid) == pid and pid != os.getpgid(0):
                os.killpg(pid, sig)
            else:
                os.kill(pid, sig)
        except ProcessLookupError:
            continue
        except PermissionError as err:
            raise UserError(
                f"not allowed to signal pid {pid} of {run_path}", "it belongs to another user"
            ) from err
        return pid
    raise UserError(f"no live trainer process for {run_path}", "the run has already ended")


def stop_run(run_dir: str | Path) -> int:
    """Graceful stop (SIGTERM): the trainer checkpoints, writes `stopped` and exits."""
    return signal_run(run_dir, signal.SIGTERM)


def kill_run(run_dir: str | Path) -> int:
    """Immediate stop (SIGKILL); the monitor will show the run as `died`."""
    return signal_run(run_dir, signal.SIGKILL)


def resume_config_path(run_dir: str | Path) -> Path:
    """The config to resume a run with: the one it was launched with, else the copy the trainer saved."""
    run_path = Path(run_dir)
    info = read_launch_info(run_path) or {}
    candidates = [Path(info["config"])] if info.get("config") else []
    candidates += [run_path / name for name in CONFIG_COPIES]
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    raise UserError(
        f"cannot resume {run_path}: no config found (looked for {', '.join(str(c) for c in candidates)})",
        "run `ftui train CONFIG --resume` with the run's config",
    )


def resume_run(run_dir: str | Path, *, command: Sequence[str] | None = None) -> LaunchedRun:
    """Relaunch a stopped or died run with `--resume` into the same run directory, from the same folder.

    `command` replaces the `ftui train CONFIG --resume` command line (tests use a fake trainer).
    """
    run_path = Path(run_dir).resolve()
    info = read_launch_info(run_path) or {}
    config = resume_config_path(run_path) if command is None else Path(info.get("config") or run_path)
    cwd = info.get("cwd") or (resume_cwd(run_path, output_dir_of(config)) if command is None else None)
    return launch_training(config, run_path, resume=True, command=command, cwd=cwd)


def resume_cwd(run_dir: Path, output_dir: Path) -> Path:
    """The folder to start a resumed trainer in, so the config's `output_dir` points at `run_dir` again.

    A run started elsewhere (no launch.json) only left its config: a relative `output_dir` such as
    `./out/run1` must be resolved from the folder that holds `out/run1`, not from wherever the TUI runs.
    """
    run_dir = run_dir.resolve()
    if output_dir.is_absolute():
        if output_dir.resolve() != run_dir:
            raise UserError(
                f"the config of {run_dir} writes to {output_dir}",
                "resume with `ftui train CONFIG --resume` using the config of this run",
            )
        return run_dir
    parts = [p for p in output_dir.parts if p not in (".", "")]
    if any(p == ".." for p in parts) or tuple(run_dir.parts[-len(parts) :]) != tuple(parts):
        raise UserError(
            f"cannot tell where {run_dir} was started from (its config says output_dir: {output_dir})",
            f"cd to the folder it was started from and run `ftui train {run_dir / 'config.yml'} --resume`",
        )
    return Path(*run_dir.parts[: len(run_dir.parts) - len(parts)])
