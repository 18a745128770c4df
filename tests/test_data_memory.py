"""Streaming: reading a ~100 MB dataset must not hold the file (let alone three copies of it) in memory."""

from __future__ import annotations

import gc
import json
from pathlib import Path

import psutil
import pytest
from ftui.core.data import iter_examples

TARGET_BYTES = 100 * 1024 * 1024
ROW = {
    "instruction": "Summarize the following text. " * 4,
    "input": "lorem ipsum dolor sit amet " * 30,
    "output": "",
}


def _write(path: Path, as_array: bool) -> int:
    rows = 0
    with open(path, "w", encoding="utf-8") as out:
        out.write("[\n" if as_array else "")
        written = 0
        while written < TARGET_BYTES:
            line = json.dumps(dict(ROW, output=f"answer number {rows} " * 10))
            if as_array:
                line = ("  " if rows == 0 else ",\n  ") + line
            else:
                line += "\n"
            out.write(line)
            written += len(line)
            rows += 1
        out.write("\n]\n" if as_array else "")
    return rows


@pytest.mark.slow
@pytest.mark.parametrize("as_array", [False, True], ids=["jsonl", "json-array"])
def test_reading_100mb_streams(tmp_path: Path, as_array: bool) -> None:
    path = tmp_path / ("big.json" if as_array else "big.jsonl")
    rows = _write(path, as_array)
    size = path.stat().st_size
    assert size >= TARGET_BYTES
    gc.collect()
    process = psutil.Process()
    baseline = peak = process.memory_info().rss
    count = 0
    last_line = 0
    for example in iter_examples({"path": path.name}, tmp_path):
        count += 1
        last_line = example.source.line
        if count % 2000 == 0:
            peak = max(peak, process.memory_info().rss)
    peak = max(peak, process.memory_info().rss)
    assert count == rows
    assert last_line == (rows + 1 if as_array else rows)
    growth = peak - baseline
    print(f"{path.name}: {size / 2**20:.0f} MiB, {rows} rows, peak RSS growth {growth / 2**20:.1f} MiB")
    assert growth < size / 5, (
        f"RSS grew by {growth / 2**20:.0f} MiB while reading a {size / 2**20:.0f} MiB file"
    )
