"""Acceptance bench: does `ftui check` open the configs Axolotl's own examples/ holds?

    .venv/bin/python bench/axolotl/check_examples.py [EXAMPLES_DIR] \
        [--axolotl-python /work/venvs/axolotl-0.19/bin/python | --oracle axolotl_verdicts.json]

EXAMPLES_DIR defaults to /work/ref/axolotl/examples (a checkout of axolotl-ai-cloud/axolotl). With an Axolotl
venv (or a verdict file written by validate_with_axolotl.py) it also compares with Axolotl's validate_config:
every config Axolotl accepts must open in ftui. Prints the numbers and the files ftui refuses, with why;
exits 1 when a config Axolotl accepts does not open or fewer than 95% of all open.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

DEFAULT = Path("/work/ref/axolotl/examples")


def axolotl_verdicts(args: argparse.Namespace, root: Path) -> dict[str, dict] | None:
    if args.oracle:
        return json.loads(Path(args.oracle).read_text())["results"]
    if not args.axolotl_python:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "verdicts.json"
        script = Path(__file__).with_name("validate_with_axolotl.py")
        subprocess.run([args.axolotl_python, str(script), str(root), str(out)], check=True)
        return json.loads(out.read_text())["results"]


def main() -> int:
    from ftui.core.config import check_config

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("examples", nargs="?", default=str(DEFAULT))
    parser.add_argument("--axolotl-python", help="python of a venv with Axolotl installed")
    parser.add_argument("--oracle", help="a verdict file from validate_with_axolotl.py")
    parser.add_argument("--json", help="write every file's report here")
    args = parser.parse_args()
    root = Path(args.examples)
    if not root.is_dir():
        print(f"no examples folder at {root}; pass the path of axolotl's examples/", file=sys.stderr)
        return 2
    verdicts = axolotl_verdicts(args, root)
    reports = {str(p.relative_to(root)): check_config(p) for p in sorted(root.rglob("*.y*ml"))}
    opened = [name for name, r in reports.items() if r.ok]
    unsupported = Counter(u.feature.split(" (")[0] for r in reports.values() for u in r.unsupported)
    total = len(reports)
    print(f"ftui check opens {len(opened)} of {total} configs ({100 * len(opened) / total:.1f}%)")
    print(f"  of those, {sum(1 for n in opened if reports[n].unsupported)} list unsupported features")
    for name, report in reports.items():
        if not report.ok:
            print(f"  refused: {name}: {report.errors[0].key}: {report.errors[0].message[:160]}")
    failed = 100 * len(opened) / total < 95
    if verdicts is not None:
        accepted = [n for n, v in verdicts.items() if v["ok"]]
        missed = [n for n in accepted if n in reports and not reports[n].ok]
        print(f"Axolotl's validate_config accepts {len(accepted)} of {len(verdicts)}")
        print(f"  accepted by Axolotl but refused by ftui: {len(missed)}")
        for name in missed:
            print(f"    {name}")
        extra = [n for n in opened if n in verdicts and not verdicts[n]["ok"]]
        print(f"  refused by Axolotl but opened by ftui: {len(extra)}")
        for name in extra:
            print(f"    {name}: Axolotl says {verdicts[name]['error'][:140]!r}")
        failed = failed or bool(missed)
    print(
        "unsupported features named, by count: " + ", ".join(f"{k} {v}" for k, v in unsupported.most_common())
    )
    if args.json:
        Path(args.json).write_text(json.dumps({n: r.as_json() for n, r in reports.items()}, indent=1))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
