"""Speed of tokenize + mask, side by side in one run: bulk vs the raw fast tokenizer, and the live preview.

    python bench/mask_speed.py

Prints ftui/raw examples per second on the 1000 shared alpaca rows (target >= 0.5) and the best-of-5 time of
one ~2,000-token chat preview (target < 50 ms). Speed lives here, not in tests/: a busy machine must not fail
the suite.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from ftui.core.data.formats import resolve_format
from ftui.core.data.model import Example, RowOrigin
from ftui.core.data.rows import normalize_row
from ftui.core.data.settings import dataset_settings
from ftui.core.templates import MaskSettings, Tokenizing, preview_example, tokenize_batch


def _examples(path: Path, type_: str) -> list:
    rows = json.loads(path.read_text())
    spec = resolve_format(dataset_settings({"path": str(path), "type": type_}), rows[:5], str(path))
    return [normalize_row(r, spec, RowOrigin(str(path), index=i)) for i, r in enumerate(rows)]


def _best(fn, runs: int = 3) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def bulk_ratio(smollm_dir: Path, shared_datasets: Path) -> float:
    from ftui.core.tokenizer import load_tokenizer

    tokenizer = load_tokenizer(str(smollm_dir))
    examples = _examples(shared_datasets / "alpaca_en_demo.json", "alpaca")
    job = Tokenizing("alpaca", tokenizer)
    texts = [job.render(e).text for e in examples]
    raw = _best(lambda: tokenizer(texts))
    ours = _best(lambda: tokenize_batch(examples, "alpaca", tokenizer))
    print(f"bulk: ftui {len(examples) / ours:.0f} ex/s vs raw {len(examples) / raw:.0f} ex/s, ratio {raw / ours:.2f} (target >= 0.5)")
    return raw / ours


def preview_seconds(smollm_dir: Path, shared_datasets: Path) -> float:
    from ftui.core.tokenizer import load_tokenizer

    tokenizer = load_tokenizer(str(smollm_dir))
    rows = _examples(shared_datasets / "glaive_toolcall_en_demo.json", "sharegpt")
    settings = MaskSettings(sequence_len=8192)
    messages: list = []
    for row in rows:  # grow one conversation to about 2,048 tokens
        messages += row.messages
        example = Example(kind="chat", source=rows[0].source, messages=messages)
        result = preview_example(example, "tokenizer", tokenizer, settings)
        if len(result.input_ids) >= 2000:
            break
    assert 2000 <= len(result.input_ids) <= 3000
    best = _best(lambda: preview_example(example, "tokenizer", tokenizer, settings).tokens, runs=5)
    print(f"preview of {len(result.input_ids)} tokens: {best * 1000:.1f} ms (target < 50 ms)")
    return best


def main() -> int:
    from ftui.core.models.embedded import embedded_model_dir

    model = embedded_model_dir(progress=False)
    shared = Path(__file__).resolve().parents[2] / "shared" / "datasets"
    if not shared.exists():
        print(f"shared datasets not found at {shared}", file=sys.stderr)
        return 2
    ok = bulk_ratio(model, shared) >= 0.5
    ok = preview_seconds(model, shared) < 0.05 and ok
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
