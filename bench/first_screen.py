"""How long `ftui` takes from process start to the wizard's first screen on the terminal.

    python bench/first_screen.py [--runs 5] [--config CONFIG.yml] [--json OUT]

Starts `ftui` (the wizard) in a pseudo-terminal of 120x40, as a user's shell would, and times from just
before the process is spawned until the first screen's text (the Model step's field label) has been
written to the terminal; then quits it. Reports every run and the median. Target: median < 1 s.
Also reports whether importing the app and the wizard screen pulls torch in.
"""

from __future__ import annotations

import argparse
import json
import os
import pty
import select
import shutil
import signal
import statistics
import struct
import subprocess
import sys
import termios
import time
from fcntl import ioctl
from pathlib import Path

MARKER = b"catalog id, local folder"  # the Model step's field label: drawn in the first frame


def ftui_command() -> list[str]:
    here = Path(sys.executable).parent / "ftui"
    return [str(here)] if here.exists() else [shutil.which("ftui") or "ftui"]


def one_run(command: list[str], timeout: float = 30.0) -> float:
    """Seconds from spawn until MARKER appears on the pseudo-terminal."""
    master, slave = pty.openpty()
    ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    env = dict(os.environ, TERM="xterm-256color", COLUMNS="120", LINES="40")
    start = time.perf_counter()
    proc = subprocess.Popen(command, stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True)
    os.close(slave)
    seen = b""
    elapsed = None
    try:
        while time.perf_counter() - start < timeout:
            ready, _, _ = select.select([master], [], [], 0.05)
            if not ready:
                if proc.poll() is not None:
                    break
                continue
            try:
                chunk = os.read(master, 65536)
            except OSError:
                break
            seen = (seen + chunk)[-65536:]
            if MARKER in seen:
                elapsed = time.perf_counter() - start
                break
    finally:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        os.close(master)
    if elapsed is None:
        tail = seen[-400:].decode("utf-8", "replace")
        raise SystemExit(f"the first screen did not appear within {timeout:.0f} s; last output: {tail!r}")
    return elapsed


def imports_torch(command: list[str]) -> bool:
    """Whether the wizard's imports (the app module and the first screen's) pull torch in."""
    code = (
        "import sys\nfrom ftui.tui.app import FtuiApp\nfrom ftui.tui.wizard.screen import WizardScreen\n"
        "print('torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return out.stdout.strip() == "True"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--config", help="open the wizard on this config (default: no config)")
    parser.add_argument("--json", help="write the numbers to this file")
    args = parser.parse_args(argv)
    command = ftui_command() + ([args.config] if args.config else [])
    one_run(command)  # warm-up: file cache, .pyc files
    times = [one_run(command) for _ in range(args.runs)]
    load = os.getloadavg()[0]
    result = {
        "command": " ".join(command),
        "runs_s": [round(t, 3) for t in times],
        "median_s": round(statistics.median(times), 3),
        "load_1min": round(load, 2),
        "cpus": os.cpu_count(),
        "imports_torch": imports_torch(command),
        "target_s": 1.0,
    }
    print(
        f"ftui first screen: {', '.join(f'{t:.2f}' for t in times)} s; median {result['median_s']:.2f} s "
        f"(target < 1 s; load {load:.1f} on {os.cpu_count()} CPUs; torch imported: {result['imports_torch']})"
    )
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0 if result["median_s"] < 1.0 else 1


if __name__ == "__main__":
    sys.exit(main())
