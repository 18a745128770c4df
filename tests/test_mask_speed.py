"""Speed of tokenize + mask: close to the raw fast tokenizer in bulk, and fast enough for the live preview.

Both use the best of a few runs, so a busy machine does not make them flaky; the bounds leave several times
the measured headroom (measured: ~0.9x raw on 1000 alpaca rows, ~10 ms for a 2,000-token preview).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
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


@pytest.mark.slow
def test_bulk_speed_vs_raw_tokenizer(smollm_dir: Path, shared_datasets: Path) -> None:
    from ftui.core.tokenizer import load_tokenizer

    tokenizer = load_tokenizer(str(smollm_dir))
    examples = _examples(shared_datasets / "alpaca_en_demo.json", "alpaca")
    job = Tokenizing("alpaca", tokenizer)
    texts = [job.render(e).text for e in examples]
    raw = _best(lambda: tokenizer(texts))
    ours = _best(lambda: tokenize_batch(examples, "alpaca", tokenizer))
    assert raw / ours >= 0.5, f"ftui {len(examples) / ours:.0f} ex/s vs raw {len(examples) / raw:.0f} ex/s"


def test_preview_of_a_long_conversation_is_fast(smollm_dir: Path, shared_datasets: Path) -> None:
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
    assert best < 0.05, f"preview of {len(result.input_ids)} tokens took {best * 1000:.1f} ms"
