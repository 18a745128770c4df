"""A fake trainer that writes the events.jsonl contract (docs/events.md) on a schedule, for monitor tests.

    python tests/fake_trainer.py RUN_DIR [--steps N] [--interval S] [--fail-at K] [--pause-at K]
                                         [--partial-at K] [--resume]

It behaves like `ftui train` where a monitor can see it: `run_started` with its pid, `step` events with a
smooth falling loss, `eval` every 5 steps (with assertion pass rate and samples), a `checkpoint` every 10, a
watchdog `warning` at step 7; SIGTERM -> `checkpoint` + `stopped`, exit 0; `--fail-at` -> `failed` with a
traceback tail and hint, exit 1; else `finished`. `--pause-at K` idles after step K until SIGTERM or the
file RUN_DIR/continue appears; `--partial-at K` writes half of step K's line, waits for RUN_DIR/continue, then
completes it. `write_history()` writes the same events synchronously with fixed times for snapshot tests.

Every event is made and written by core's strict `EventWriter` (core/events.py): a change to the event schema
breaks this fake, and so the monitor tests, until the fake writes what `ftui train` writes.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import signal
import sys
import time
from pathlib import Path
from typing import Any

from ftui.core.events import EventWriter
from ftui.core.runs.liveness import process_identity

T0 = 1_767_225_600.0  # 2026-01-01 00:00 UTC: fixed times for deterministic pictures
SECONDS_PER_STEP = 0.8
MIB = 1 << 20


def make_event(now: float, event_type: str, **fields: Any) -> dict[str, Any]:
    """An event as core's EventWriter makes it (type, schema version, time; fields checked), at `now`."""
    return EventWriter(".", enabled=False, strict=True, clock=lambda: now).event(event_type, **fields)


def started_event(total: int, pid: int, now: float, resumed_from: int = 0) -> dict[str, Any]:
    return make_event(
        now,
        "run_started",
        run_id="fake-run",
        config={"base_model": "HuggingFaceTB/SmolLM2-135M-Instruct", "adapter": "lora", "lora_r": 16},
        estimate={"total_bytes": 3 * (1 << 30)},
        world_size=1,
        device="cpu",
        device_name="CPU (2 cores)",
        precision="fp32",
        loss_impl="plain",
        total_steps=total,
        num_epochs=2,
        steps_per_epoch=max(1, total // 2),
        resumed_from_step=resumed_from,
        **process_identity(pid),
        train_examples=400,
        eval_examples=20,
        packed=False,
        trainable_params=4_884_480,
        total_params=139_400_000,
        trackers=[],
        hub=None,
    )


def loss_at(step: int) -> float:
    return 2.4 * math.exp(-step / 25.0) + 0.35 + 0.06 * math.sin(step * 1.7)


def lr_at(step: int, total: int) -> float:
    warmup = max(1, total // 10)
    if step <= warmup:
        return 2e-4 * step / warmup
    return 2e-4 * 0.5 * (1 + math.cos(math.pi * (step - warmup) / max(1, total - warmup)))


def step_event(step: int, total: int, now: float) -> dict[str, Any]:
    steps_per_epoch = max(1, total // 2)
    tokens_per_s = 1500.0 + 120.0 * math.sin(step / 3.0)
    trained_per_s = 900.0 + 80.0 * math.sin(step / 3.0)
    return make_event(
        now,
        "step",
        step=step,
        total_steps=total,
        epoch=round(step / steps_per_epoch, 4),
        loss=round(loss_at(step), 6),
        lr=lr_at(step, total),
        grad_norm=1.0 + 0.1 * math.cos(step),
        tokens_per_s=tokens_per_s,
        trained_tokens_per_s=trained_per_s,
        samples_per_s=3.2,
        tokens=round(tokens_per_s * SECONDS_PER_STEP),
        trained_tokens=round(trained_per_s * SECONDS_PER_STEP),
        elapsed_s=step * SECONDS_PER_STEP,
        eta_s=(total - step) * SECONDS_PER_STEP,
        mem_allocated=None,
        mem_reserved=None,
        mem_peak=None,
        rss=700 * MIB + step * MIB,
    )


def eval_event(step: int, total: int, now: float) -> dict[str, Any]:
    passed = min(1.0, 0.2 + step / max(1, total))
    return make_event(
        now,
        "eval",
        step=step,
        epoch=round(step / max(1, total // 2), 4),
        eval_loss=round(loss_at(step) + 0.08, 6),
        assertion_pass_rate=round(passed, 3),
        assertion_total=10,
        samples=[
            {
                "prompt": "errors in checkout over the last hour [count by service]",
                "expected": '{"filter": "level=error", "service": "checkout", "range": "1h"}',
                "generated": '{"filter": "level=error", "service": "checkout", "range": "1h"}',
                "passed": True,
            },
            {
                "prompt": "p99 latency of api",
                "expected": '{"metric": "latency", "agg": "p99", "service": "api"}',
                "generated": '{"metric": "latency", "agg": "avg"}',
                "passed": False,
            },
        ],
    )


def events_for_step(step: int, total: int, now: float, run_dir: Path) -> list[dict[str, Any]]:
    events = [step_event(step, total, now)]
    if step % 5 == 0:
        events.append(eval_event(step, total, now))
    if step % 10 == 0:
        events.append(make_event(now, "checkpoint", step=step, path=str(run_dir / f"checkpoint-{step}")))
    if step == 7:
        message = "loss rose above 2x its running minimum for 3 steps (threshold 5.0, patience 3)"
        events.append(make_event(now, "warning", step=step, kind="loss_watchdog", message=message))
    return events


def failed_event(step: int, now: float) -> dict[str, Any]:
    tail = [  # a string of lines, as core/train/endings.py writes it
        'File "core/train/loop.py", line 212, in training_step',
        "    loss = model(**batch).loss",
        'File "torch/nn/modules/module.py", line 1775, in _call_impl',
        "    return forward_call(*args, **kwargs)",
        "torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB",
    ]
    return make_event(
        now,
        "failed",
        step=step,
        error_class="OutOfMemoryError",
        message="CUDA out of memory. Tried to allocate 2.00 GiB (GPU 0; 23.65 GiB total capacity)",
        traceback_tail="\n".join(tail),
        hint="the estimate was 21.8 GiB for 24 GiB: lower micro_batch_size or sequence_len",
        suggestions=[
            "micro_batch_size 4 -> 2 (saves ~6.1 GiB)",
            "enable gradient_checkpointing (saves ~4.0 GiB)",
        ],
    )


def finished_event(step: int, total: int, now: float, run_dir: Path) -> dict[str, Any]:
    evals = [round(loss_at(s) + 0.08, 6) for s in range(5, total + 1, 5)]
    return make_event(
        now,
        "finished",
        step=step,
        final_loss=round(loss_at(step), 6),
        best_eval_loss=min(evals) if evals else None,
        output_dir=str(run_dir),
        adapter_dir=str(run_dir),  # ftui saves the adapter into the run folder itself
        elapsed_s=step * SECONDS_PER_STEP,
    )


def stopped_event(step: int, now: float, checkpoint: str | None) -> dict[str, Any]:
    return make_event(now, "stopped", step=step, reason="signal", checkpoint=checkpoint)


def write_history(
    run_dir: str | Path,
    steps: int,
    total: int,
    *,
    end: str | None = None,
    pid: int | None = None,
    partial: bool = False,
    t0: float = T0,
) -> Path:
    """Write a deterministic events.jsonl (fixed times) up to `steps`, optionally ending with `end`
    ('finished', 'failed', 'stopped') and a partial last line. A live run (our pid) needs `t0=time.time()`:
    a process created after its run started is taken for a recycled pid."""
    run_path = Path(run_dir)
    run_path.mkdir(parents=True, exist_ok=True)
    events = [started_event(total, os.getpid() if pid is None else pid, t0)]
    for step in range(1, steps + 1):
        events += events_for_step(step, total, t0 + 5 + step * SECONDS_PER_STEP, run_path)
    now = t0 + 5 + steps * SECONDS_PER_STEP + 1
    if end == "failed":
        events.append(failed_event(steps, now))
    elif end == "finished":
        events.append(finished_event(steps, total, now, run_path))
    elif end == "stopped":
        events.append(stopped_event(steps, now, None))
    (run_path / "events.jsonl").unlink(missing_ok=True)
    writer = EventWriter(run_path, strict=True)
    for event in events:
        writer.write(event)
    writer.close()
    if partial:  # a line cut short, as a reader sees one being written
        with open(run_path / "events.jsonl", "a", encoding="utf-8") as f:
            f.write(writer.line(step_event(steps + 1, total, now))[:40])
    return run_path


def write_partial(writer: EventWriter, event: dict[str, Any], part: slice) -> None:
    """Write part of an event's line (the rest follows later), beside the writer's own appends."""
    with open(writer.path, "a", encoding="utf-8") as f:
        f.write(writer.line(event)[part])


MAX_WAIT_S = 120.0  # a test that failed before releasing us must not leave this process behind for ever


def _wait_for_continue(run_dir: Path, stop_requested) -> None:
    marker = run_dir / "continue"
    deadline = time.monotonic() + MAX_WAIT_S
    while not marker.exists() and not stop_requested():
        if time.monotonic() > deadline:
            sys.exit(3)
        time.sleep(0.02)
    marker.unlink(missing_ok=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("run_dir")
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--interval", type=float, default=0.05)
    parser.add_argument("--fail-at", type=int, default=None)
    parser.add_argument("--pause-at", type=int, default=None)
    parser.add_argument("--partial-at", type=int, default=None)
    parser.add_argument("--resume", action="store_true")
    args = parser.parse_args(argv)
    run_dir = Path(args.run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    stop = {"requested": False}
    signal.signal(signal.SIGTERM, lambda *_: stop.__setitem__("requested", True))
    writer = EventWriter(run_dir, strict=True)
    start_step = 0
    if args.resume:
        done = [
            json.loads(line) for line in (run_dir / "events.jsonl").read_text().splitlines() if line.strip()
        ]
        start_step = max((e["step"] for e in done if e.get("type") == "step"), default=0)
    writer.write(started_event(args.steps, os.getpid(), time.time(), start_step))
    print(f"fake trainer: {args.steps} steps from {start_step}", flush=True)
    for step in range(start_step + 1, args.steps + 1):
        time.sleep(args.interval)
        now = time.time()
        if args.fail_at is not None and step == args.fail_at:
            print(
                "Traceback (most recent call last):\ntorch.OutOfMemoryError: CUDA out of memory",
                file=sys.stderr,
            )
            writer.write(failed_event(step, now))
            return 1
        events = events_for_step(step, args.steps, now, run_dir)
        if args.partial_at == step:
            half = len(writer.line(events[0])) // 2
            write_partial(writer, events[0], slice(None, half))
            _wait_for_continue(run_dir, lambda: False)
            write_partial(writer, events[0], slice(half, None))
            events = events[1:]
        for event in events:
            writer.write(event)
        print(f"step {step}/{args.steps} loss {loss_at(step):.4f}", flush=True)
        if args.pause_at == step:
            _wait_for_continue(run_dir, lambda: stop["requested"])
        if stop["requested"]:
            path = str(run_dir / f"checkpoint-{step}")
            writer.emit("checkpoint", step=step, path=path)
            writer.write(stopped_event(step, time.time(), path))
            print("stopped on SIGTERM", flush=True)
            return 0
    writer.write(finished_event(args.steps, args.steps, time.time(), run_dir))
    print("finished", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
