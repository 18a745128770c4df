"""Speed of the light paths, measured here instead of in tests/ (a busy machine must not fail the suite).

    python bench/inspection_speed.py

Prints, each the median of several runs in this one process or fresh interpreters:
  estimate   one memory estimate with its suggestions for Llama-3.1-8B LoRA (target < 20 ms)
  downsample min/max downsampling of a 100,000-point series to 240 columns (target < 0.5 s)
  help       `ftui --help` in a fresh interpreter, start to exit (target < 2 s)
  catalog    importing the model catalog and counting a model's parameters in a fresh interpreter (target < 0.5 s; tests check it imports no torch)
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time


def _median_call(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _median_process(code: str, runs: int = 5) -> float:
    return _median_call(lambda: subprocess.run([sys.executable, "-c", code], check=True, capture_output=True), runs)


def main() -> int:
    from ftui.core.memory import EstimateInput, GpuTarget, estimate_memory
    from ftui.core.metrics import downsample_minmax
    from ftui.core.models import catalog

    facts = catalog()["meta-llama/Llama-3.1-8B"]
    gpu = GpuTarget("A100 40G", 40960 * 1024**2)
    inp = EstimateInput(model=facts.name, sequence_len=2048, micro_batch_size=8, adapter="lora")
    estimate_memory(inp, facts=facts, gpus=[gpu])
    seqs = iter(range(1000, 2000))
    rows = [
        ("estimate", _median_call(lambda: estimate_memory(inp.with_changes(sequence_len=next(seqs)), facts=facts, gpus=[gpu]), 20), 0.020),
        ("downsample", _median_call(lambda: downsample_minmax(list(range(100_000)), [1.0] * 100_000, 240), 5), 0.5),
        ("help", _median_process("from ftui.tui.cli import main\ntry:\n    main(['--help'])\nexcept SystemExit:\n    pass"), 2.0),
        ("catalog", _median_process("from ftui.core.models import get_model_facts, count_parameters\n"
                                    "count_parameters(get_model_facts('Qwen/Qwen2.5-7B-Instruct'))"), 0.5),
    ]
    ok = True
    for name, seconds, target in rows:
        ok = ok and seconds < target
        print(f"{name:<11} {seconds * 1000:9.1f} ms   target < {target * 1000:.0f} ms   {'ok' if seconds < target else 'SLOW'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
