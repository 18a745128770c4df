"""`ftui monitor [RUN_DIR] [--list] [--workspace DIR]`: watch a run, browse runs, or print the runs table.

Without RUN_DIR the Runs screen opens on the workspace: `--workspace`, else $FTUI_RUNS, else ./runs, else
./outputs, else the current folder (runs are folders holding events.jsonl, up to three levels down).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ftui.core.errors import UserError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("run_dir", nargs="?", help="a run's output_dir (holds events.jsonl)")
    parser.add_argument("--list", action="store_true", help="print the runs under the workspace and exit")
    parser.add_argument(
        "--workspace",
        help="folder to look for runs in (default: $FTUI_RUNS, ./runs, ./outputs, else the current folder)",
    )


def format_runs_table(summaries) -> str:
    """Plain-text table of run summaries (for --list and scripts)."""
    from ftui.core.metrics import format_duration
    from ftui.core.runs.listing import format_started

    header = ("STATUS", "RUN", "MODEL", "BEST", "FINAL", "STEPS", "DURATION", "STARTED", "LOGGED", "PUSHED")
    rows = [header]
    for s in summaries:
        steps = f"{s.step}/{s.total_steps}" if s.total_steps else str(s.step)
        rows.append(
            (
                s.status,
                str(s.run_dir),
                s.model or "-",
                f"{s.best_loss:.4f}" if s.best_loss is not None else "-",
                f"{s.final_loss:.4f}" if s.final_loss is not None else "-",
                steps,
                format_duration(s.duration_s),
                format_started(s.started),
                ",".join(d.kind for d in s.destinations if d.kind != "hub") or "-",
                next((d.link or d.where for d in s.destinations if d.kind == "hub"), "-"),
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    return "\n".join(
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in rows
    )


def run(args: argparse.Namespace) -> int:
    from ftui.core.runs.layout import EVENTS_FILE, LAUNCH_FILE, is_run_dir
    from ftui.core.runs.listing import default_workspace, list_runs

    workspace = Path(args.workspace) if args.workspace else default_workspace()
    if args.list:
        if not workspace.is_dir():
            raise UserError(f"workspace folder not found: {workspace}", "pass --workspace DIR")
        summaries = list_runs(workspace)
        if not summaries:
            print(f"no runs under {workspace}", file=sys.stderr)
            return 0
        print(format_runs_table(summaries))
        return 0
    if args.run_dir:
        run_dir = Path(args.run_dir)
        if not run_dir.is_dir():
            raise UserError(
                f"run folder not found: {run_dir}", "pass a run's output_dir; `ftui monitor --list`"
            )
        if not is_run_dir(run_dir):
            raise UserError(
                f"{run_dir} is not a run folder (no {EVENTS_FILE} or {LAUNCH_FILE})",
                "pass the output_dir of a run, or a workspace with --workspace",
            )
    from ftui.tui.monitor import MonitorApp

    app = MonitorApp(run_dir=args.run_dir, workspace=workspace)
    return int(app.run() or 0)
