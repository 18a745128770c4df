"""ftui's inspection loop against Axolotl's, whole processes side by side on the same config.

    python bench/axolotl/inspection_ratio.py --axolotl /work/venvs/axolotl-0.19/bin/axolotl [--runs 2] [--json OUT]

Runs in ftui's venv (Axolotl in its own: `pip install torch==2.13.0 axolotl==0.19.0`). The config: a tiny
random Llama with the Mistral v1 sentencepiece tokenizer (tests/conftest.py builds it), the shared
`alpaca_en_demo.json` (999 rows, LLaMA-Factory's demo data), `type: alpaca`, sequence_len 512. Two pairs:

- `ftui debug CONFIG -n 3`           vs `axolotl preprocess CONFIG --debug --debug-num-examples 3`
- `ftui preprocess CONFIG --force`   vs `axolotl preprocess CONFIG`

Every run gets a fresh `dataset_prepared_path`, so nothing is read back from an earlier run's saved copy;
caches outside it (compiled Python, the tokenizer files, the HF datasets cache of the raw JSON) are warm,
filled by one untimed run of each command first. Reported: the minimum of `--runs` runs of each command,
wall seconds and CPU seconds (user + sys of the process and its children, which a busy machine disturbs
less), and the ratios ftui / Axolotl. Targets (issue 11): debug <= 1/20, preprocess <= 1/8.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DATA = REPO.parent / "shared" / "datasets" / "alpaca_en_demo.json"
TARGETS = {"debug": 1 / 20, "preprocess": 1 / 8}


def config_text(model_dir: Path, prepared: Path) -> str:
    return (
        f"base_model: {model_dir}\n"
        f"datasets:\n  - path: {DATA}\n    ds_type: json\n    type: alpaca\n"
        f"sequence_len: 512\ndataset_prepared_path: {prepared}\noutput_dir: ./out\n"
        "micro_batch_size: 1\ngradient_accumulation_steps: 1\nnum_epochs: 1\n"
        "learning_rate: 0.0001\noptimizer: adamw_torch\n"
    )


def timed(command: list[str], cwd: Path) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the children) of one whole process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(
        command, cwd=cwd, capture_output=True, text=True, env=dict(os.environ, HF_HUB_OFFLINE="1")
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{(proc.stdout + proc.stderr)[-3000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def commands(ftui: str, axolotl: str, config: Path) -> dict[str, dict[str, list[str]]]:
    return {
        "debug": {
            "ftui": [ftui, "debug", str(config), "-n", "3"],
            "axolotl": [axolotl, "preprocess", str(config), "--debug", "--debug-num-examples", "3"],
        },
        "preprocess": {
            "ftui": [ftui, "preprocess", str(config), "--force"],
            "axolotl": [axolotl, "preprocess", str(config)],
        },
    }


def measure(axolotl: str, runs: int) -> dict:
    sys.path.insert(0, str(REPO / "tests"))
    from conftest import mistral_tokenizer_path, tiny_model_path

    if not DATA.exists():
        raise SystemExit(f"missing {DATA}: this bench reads ../shared/datasets next to the checkout")
    model_dir = tiny_model_path(mistral_tokenizer_path(), "tiny-llama-mistral")
    ftui = str(Path(sys.executable).parent / "ftui")
    results: dict = {"runs": runs, "rows": len(json.loads(DATA.read_text())), "pairs": {}}
    results["load_average_start"] = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        counter = 0

        def fresh_config() -> Path:
            nonlocal counter
            counter += 1
            path = work / f"cfg{counter}.yml"
            path.write_text(config_text(model_dir, work / f"prepared{counter}"))
            return path

        for pair in ("debug", "preprocess"):
            row: dict = {}
            for tool in ("ftui", "axolotl"):
                timed(commands(ftui, axolotl, fresh_config())[pair][tool], work)  # warm the caches
                samples = [
                    timed(commands(ftui, axolotl, fresh_config())[pair][tool], work) for _ in range(runs)
                ]
                row[tool] = {"wall_s": min(s[0] for s in samples), "cpu_s": min(s[1] for s in samples)}
                print(
                    f"{pair:10} {tool:8} wall {row[tool]['wall_s']:7.2f} s  cpu {row[tool]['cpu_s']:7.2f} s"
                )
            row["ratio_wall"] = row["ftui"]["wall_s"] / row["axolotl"]["wall_s"]
            row["ratio_cpu"] = row["ftui"]["cpu_s"] / row["axolotl"]["cpu_s"]
            row["target"] = TARGETS[pair]
            print(
                f"{pair:10} ftui/axolotl wall {row['ratio_wall']:.3f}  cpu {row['ratio_cpu']:.3f}"
                f"  (target <= {TARGETS[pair]:.3f})"
            )
            results["pairs"][pair] = row
    results["load_average"] = os.getloadavg()  # at the end
    results["cpus"] = os.cpu_count()
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--axolotl", required=True, help="the axolotl executable of Axolotl's own venv")
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    results = measure(args.axolotl, args.runs)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    met = all(row["ratio_wall"] <= row["target"] for row in results["pairs"].values())
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
