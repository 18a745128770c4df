"""Audit recall and wrong flags on problems planted into the shared datasets, over several seeds.

    python bench/quality_recall.py [--seeds 0,1,2]

Datasets: alpaca_en_demo (English alpaca, with its own 14 exact duplicates), glaive_toolcall_en_demo
(ShareGPT with tool calls), identity.json (English and Chinese, templated answers) and 600 Chinese rows from
Faker's zh_CN provider. Per kind: true rows (planted plus already there), found, recall, and wrongly flagged
rows as a share of all rows. `near_duplicate` is scored strictly (truth: exact 5-gram Jaccard >= threshold)
and banded (borderline pairs within 0.10 of the threshold, about two standard deviations of the estimate, left out): see tests/quality_planting.py.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from quality_planting import audit_case, chinese_rows  # noqa: E402

DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "datasets"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="0,1,2")
    args = parser.parse_args(argv)
    if not DATA.is_dir():
        print(f"shared datasets not found: {DATA}", file=sys.stderr)
        return 2
    cases = [
        ("alpaca_en", json.loads((DATA / "alpaca_en_demo.json").read_text()), True, False),
        (
            "glaive_sharegpt_tools",
            json.loads((DATA / "glaive_toolcall_en_demo.json").read_text()),
            True,
            False,
        ),
        ("identity_en_zh", json.loads((DATA / "identity.json").read_text()), False, True),
        ("faker_zh", chinese_rows(600), False, True),
    ]
    print(
        f"{'dataset':<22} {'seed':>4} {'kind':<22} {'true':>5} {'found':>5} {'recall':>7} {'wrong':>5} {'wrong %':>8}"
    )
    for name, rows, as_array, chinese in cases:
        for seed in [int(s) for s in args.seeds.split(",")]:
            with tempfile.TemporaryDirectory() as tmp:
                result = audit_case(Path(tmp), name, rows, as_array=as_array, chinese=chinese, seed=seed,
                                    per_kind=40 if len(rows) > 200 else 15)  # fmt: skip
            for kind, s in result["scores"].items():
                print(
                    f"{name:<22} {seed:>4} {kind:<22} {s['true']:>5} {s['found']:>5} {s['recall']:>7.1%} "
                    f"{s['wrong']:>5} {s['wrong_share']:>8.2%}"
                )
    return 0


if __name__ == "__main__":
    sys.exit(main())
