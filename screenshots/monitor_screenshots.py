"""SVG screenshots of the run monitor, the runs list and the compare screen, taken of real runs.

    python screenshots/monitor_screenshots.py [OUT_DIR]

`save_monitor_screenshots(out_dir)` is what screenshots/make_screenshots.py calls. In a temporary workspace
it trains the shipped demo (the embedded SmolLM2-135M-Instruct, LoRA, the bundled demo data) with
`ftui train` on this machine, three times:

- `demo-lora-r16`: the demo as shipped; the monitor picture is taken while it runs, then it finishes;
- `demo-oom`: the same run, whose address space is capped (RLIMIT_AS, `prlimit`) to what it already uses
  once it has done a few steps, so its next large allocation fails: a real out-of-memory on this CPU;
- `demo-stopped`: stopped with SIGTERM after a few steps, as `ftui monitor`'s stop key does.

The monitor samples this machine for real (CPU, RAM, and GPUs when there are any), so the pictures show what
a user of this machine sees. Snapshot tests (tests/test_monitor_snapshots.py) keep synthetic, fixed runs.
A few minutes on 2 CPU cores.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SIZE = (120, 40)
MIB = 1 << 20


def ftui_command() -> list[str]:
    here = Path(sys.executable).parent / "ftui"
    return [str(here)] if here.exists() else [shutil.which("ftui") or "ftui"]


def demo_workspace(root: Path) -> Path:
    """The shipped demo config and data copied into `root` (configs/demo.yml reads ../demo/...)."""
    (root / "configs").mkdir(parents=True, exist_ok=True)
    shutil.copytree(REPO / "templates" / "demo", root / "demo", dirs_exist_ok=True)
    shutil.copy(REPO / "templates" / "configs" / "demo.yml", root / "configs" / "demo.yml")
    return root / "configs" / "demo.yml"


def config_for(config: Path, name: str) -> Path:
    """A copy of the demo config writing to runs/NAME (relative to the working directory)."""
    text = re.sub(r"(?m)^output_dir:.*$", f"output_dir: ./runs/{name}", config.read_text())
    path = config.with_name(f"{name}.yml")
    path.write_text(text)
    return path


def events(run_dir: Path) -> list[dict]:
    path = run_dir / "events.jsonl"
    if not path.exists():
        return []
    out = []
    for line in path.read_text().splitlines():
        try:
            out.append(json.loads(line))
        except json.JSONDecodeError:
            pass  # a line being written
    return out


def steps_done(run_dir: Path) -> int:
    return max((e.get("step", 0) for e in events(run_dir) if e.get("type") == "step"), default=0)


def start(config: Path, workspace: Path) -> subprocess.Popen:
    log = open(workspace / f"{config.stem}.console.log", "w")  # noqa: SIM115 - the child keeps it
    return subprocess.Popen(
        [*ftui_command(), "train", str(config)], cwd=workspace, stdout=log, stderr=subprocess.STDOUT
    )


def wait_for(predicate, proc: subprocess.Popen, timeout: float = 1800.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if proc.poll() is not None:
            raise RuntimeError(f"the run ended early (exit {proc.returncode})")
        if time.monotonic() > deadline:
            raise TimeoutError("the run did not get there in time")
        time.sleep(0.5)


def vm_size(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmSize:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmSize for pid {pid}")


async def _shoot(app, path: Path, keys: tuple[str, ...] = ()) -> Path:
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause(1.5)  # the first system sample and the event tail
        if keys:
            await pilot.press(*keys)
            await pilot.pause(0.8)
        app.save_screenshot(filename=path.name, path=str(path.parent))
    return path


def run_demos(workspace: Path, out: Path) -> dict[str, Path]:
    """Train the three runs; the running picture is taken of the first while it trains."""
    from ftui.tui.monitor import MonitorApp

    config = demo_workspace(workspace)
    runs = workspace / "runs"
    live_dir = runs / "demo-lora-r16"
    live = start(config_for(config, "demo-lora-r16"), workspace)
    wait_for(lambda: steps_done(live_dir) >= 12, live)
    asyncio.run(_shoot(MonitorApp(run_dir=live_dir), out / "monitor-running.svg"))
    if live.wait() != 0:
        raise RuntimeError(f"the demo run failed: see {workspace / 'demo-lora-r16.console.log'}")

    oom_dir = runs / "demo-oom"
    oom = start(config_for(config, "demo-oom"), workspace)
    wait_for(lambda: steps_done(oom_dir) >= 6, oom)
    cap = vm_size(oom.pid) + 16 * MIB
    resource.prlimit(oom.pid, resource.RLIMIT_AS, (cap, cap))
    oom.wait()

    stop_dir = runs / "demo-stopped"
    stopped = start(config_for(config, "demo-stopped"), workspace)
    wait_for(lambda: steps_done(stop_dir) >= 4, stopped)
    stopped.send_signal(signal.SIGTERM)
    stopped.wait()
    return {"live": live_dir, "oom": oom_dir, "stopped": stop_dir, "runs": runs}


def save_monitor_screenshots(out_dir: str | Path) -> list[Path]:
    """Write monitor-running.svg, monitor-failed.svg, runs.svg and compare.svg into `out_dir`."""
    from ftui.tui.monitor import MonitorApp

    out = Path(out_dir).resolve()
    out.mkdir(parents=True, exist_ok=True)
    previous = os.getcwd()
    with tempfile.TemporaryDirectory() as tmp:
        os.chdir(tmp)
        try:
            made = run_demos(Path(tmp), out)
            ended = events(made["oom"])[-1]
            if ended.get("type") != "failed":
                raise RuntimeError(f"the capped run did not fail: {ended}")
            saved = [out / "monitor-running.svg"]
            saved.append(asyncio.run(_shoot(MonitorApp(run_dir=made["oom"]), out / "monitor-failed.svg")))
            saved.append(asyncio.run(_shoot(MonitorApp(workspace=made["runs"]), out / "runs.svg")))
            compare = ("space", "down", "space", "c")
            saved.append(
                asyncio.run(_shoot(MonitorApp(workspace=made["runs"]), out / "compare.svg", compare))
            )
        finally:
            os.chdir(previous)
    return saved


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parent
    for written in save_monitor_screenshots(target):
        print(written)
