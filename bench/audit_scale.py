"""Audit speed and memory at scale: `ftui data audit` on 10k and 100k rows, each in a fresh process.

    python bench/audit_scale.py [--sizes 10000,100000] [--no-tokens] [--tokenizer embedded]

Rows are built from the shared alpaca demo: each one takes a random instruction (numbered, so it is unique)
and an answer of 2-6 sentences drawn at random from all alpaca answers, so lengths and vocabulary are real
and rows are distinct; 1% of rows are then planted problems (copies, one-character edits, empty answers).
For each size it prints wall seconds, rows/s, peak RSS, and side by side in the same run the time of only
reading the rows (`iter_examples`) and only tokenizing them (`Tokenizing.run`), as ratios. Targets (issue
14): 100k rows in <= 60 s on the project's 2-core machine; memory grows by a bounded amount per row (RSS at
100k over RSS at 10k is reported, and the bytes per row between them).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import subprocess
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "datasets" / "alpaca_en_demo.json"


def make_rows(count: int, seed: int = 0) -> list[dict]:
    rows = json.loads(DATA.read_text(encoding="utf-8"))
    sentences = [s for r in rows for s in re.split(r"(?<=[.!?])\s+", r["output"]) if len(s) > 20]
    rng = random.Random(seed)
    out = []
    for i in range(count):
        base = rng.choice(rows)
        answer = " ".join(rng.choice(sentences) for _ in range(rng.randint(2, 6)))
        out.append({"instruction": f"{base['instruction']} (#{i})", "input": base["input"], "output": answer})
    for _ in range(count // 100):  # 1% planted problems
        j = rng.randrange(count)
        kind = rng.choice(("copy", "edit", "empty"))
        row = dict(out[j])
        if kind == "edit" and not row["output"]:  # an earlier planted empty answer has nothing to edit
            kind = "copy"
        if kind == "edit":
            pos = rng.randrange(len(row["output"]))
            row["output"] = row["output"][:pos] + "x" + row["output"][pos + 1 :]
        elif kind == "empty":
            row["output"] = ""
        out.insert(rng.randrange(j + 1, len(out) + 1), row)
    return out


CHILD = r"""
import json, resource, sys, time
from pathlib import Path
what, config_path, no_tokens = sys.argv[1], sys.argv[2], sys.argv[3] == "1"
from ftui.core.config import load_config
config = load_config(config_path).config
start = time.perf_counter()
main_start = time.thread_time()
if what == "audit":
    from ftui.core.quality import audit_config
    report = audit_config(config, use_tokens=not no_tokens)
    extra = {"flagged": len(report.flags), "rows": len(report.rows)}
elif what == "read":
    from ftui.core.data import iter_examples
    extra = {"rows": sum(1 for _ in iter_examples(config.datasets[0], config.base_dir, skip_bad_rows=True))}
else:
    from ftui.core.data import iter_examples
    from ftui.core.quality.tokens import RowTokenizer
    from ftui.core.tokenizer import load_tokenizer
    tok = RowTokenizer(config, config.datasets[0], load_tokenizer(config))
    start = time.perf_counter()
    chunk, n = [], 0
    for ex in iter_examples(config.datasets[0], config.base_dir, skip_bad_rows=True):
        chunk.append(ex)
        if len(chunk) == 1000:
            n += len(tok.facts(chunk)); chunk = []
    n += len(tok.facts(chunk)) if chunk else 0
    extra = {"rows": n}
seconds = time.perf_counter() - start
usage = resource.getrusage(resource.RUSAGE_SELF)
main_cpu = time.thread_time() - main_start  # the audit's own thread; the tokenizer runs beside it
print(json.dumps({"seconds": seconds, "cpu": usage.ru_utime + usage.ru_stime, "main_cpu": main_cpu, "peak_rss": usage.ru_maxrss * 1024, **extra}))
"""


def child(what: str, config: Path, no_tokens: bool) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", CHILD, what, str(config), "1" if no_tokens else "0"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--no-tokens", action="store_true", help="audit without the tokenizer")
    parser.add_argument("--tokenizer", default="embedded", help="base_model whose tokenizer is used")
    parser.add_argument("--out", type=Path, help="also write the numbers to this JSON file")
    args = parser.parse_args(argv)
    if not DATA.is_file():
        print(f"shared data not found: {DATA}", file=sys.stderr)
        return 2
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for size in [int(s) for s in args.sizes.split(",")]:
            data = Path(tmp) / f"rows{size}.jsonl"
            rows = make_rows(size)
            data.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
            config = Path(tmp) / f"cfg{size}.yml"
            config.write_text(
                f"base_model: {args.tokenizer}\ndatasets:\n  - path: {data}\n    type: alpaca\nsequence_len: 512\n",
                encoding="utf-8",
            )
            load = os.getloadavg()[0]
            audit = child("audit", config, args.no_tokens)
            read = child("read", config, args.no_tokens)
            tokens = child("tokens", config, args.no_tokens) if not args.no_tokens else None
            results[size] = {
                **audit,
                "load_before": load,
                "load_after": os.getloadavg()[0],
                "rows": len(rows),
            }
            line = (
                f"{len(rows):>7,} rows  audit {audit['seconds']:6.1f} s ({len(rows) / audit['seconds']:,.0f} rows/s)"
                f" cpu {audit['cpu']:6.1f} s (audit thread {audit['main_cpu']:.1f} s)  load {load:.1f}  peak RSS {audit['peak_rss'] / 2**20:6.0f} MiB  flagged {audit['flagged']:,}"
                f"  | read only {read['seconds']:.1f} s (audit/read {audit['seconds'] / read['seconds']:.1f}x)"
            )
            if tokens:
                line += f"  tokenize only {tokens['seconds']:.1f} s (audit/tokenize {audit['seconds'] / tokens['seconds']:.2f}x)"
            print(line, flush=True)
    sizes = sorted(results)
    if len(sizes) >= 2:
        small, big = results[sizes[0]], results[sizes[-1]]
        per_row = (big["peak_rss"] - small["peak_rss"]) / (sizes[-1] - sizes[0])
        print(
            f"memory: peak RSS x{big['peak_rss'] / small['peak_rss']:.2f} for x{sizes[-1] / sizes[0]:.0f} rows "
            f"({per_row:,.0f} bytes per extra row); target 100k rows <= 60 s: "
            f"{'met' if results[sizes[-1]]['seconds'] <= 60 else 'NOT met'} ({results[sizes[-1]]['seconds']:.1f} s)"
        )
    if args.out:
        args.out.write_text(
            json.dumps({"command": " ".join(sys.argv), "cores": os.cpu_count(), "sizes": results}, indent=1)
            + "\n"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
