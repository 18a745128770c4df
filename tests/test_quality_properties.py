"""Property tests: whatever rows a file holds, the audit finishes (no exception but a DataError for a file
with no usable rows), every problem line is a row of the file, and the curated copy is made of source rows."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from ftui.core.config import FtuiConfig
from ftui.core.data import DataError
from ftui.core.quality import KINDS, audit_config
from ftui.core.quality.clean import clean_dataset
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

KEYS = ["instruction", "input", "output", "system", "text", "conversations", "messages", "from", "value",
        "role", "content", "human", "gpt", "user", "assistant", "tools", "train", "segments", "label"]  # fmt: skip
texts = st.text(max_size=60) | st.sampled_from(["", " ", "<|im_end|>", "[INST] x", "a" * 300, "重复" * 40])
scalars = st.none() | st.booleans() | st.integers(-5, 5) | st.floats(allow_nan=True) | texts
values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.sampled_from(KEYS), children, max_size=4)
    ),
    max_leaves=12,
)
alpaca_rows = st.fixed_dictionaries(
    {"instruction": texts, "output": texts | st.none()}, optional={"input": texts, "system": texts}
)
turn = st.fixed_dictionaries(
    {"from": st.sampled_from(["human", "gpt", "system", "narrator"]), "value": texts}
)
chat_rows = st.fixed_dictionaries({"conversations": st.lists(turn, max_size=4)})
rows = st.lists(alpaca_rows | chat_rows | st.dictionaries(st.sampled_from(KEYS), values, max_size=4) | values,
                min_size=1, max_size=12)  # fmt: skip
lines = st.lists(
    rows.map(lambda r: [json.dumps(x, ensure_ascii=False) for x in r]) | st.just(["{broken", "", "[1,"]),
    min_size=1,
    max_size=2,
).map(lambda groups: [line for group in groups for line in group])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lines, st.sampled_from(["alpaca", "chat_template", None]))
def test_random_rows_never_crash_the_audit(file_lines, dataset_type):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "d.jsonl"
        path.write_text("\n".join(file_lines) + "\n", encoding="utf-8")
        entry = {"path": str(path)}
        if dataset_type:
            entry["type"] = dataset_type
        config = FtuiConfig(base_model="embedded", datasets=[entry])
        try:
            report = audit_config(config, use_tokens=False)
        except DataError:
            return  # the whole file is unusable (no rows, or a format nothing can detect): said so clearly
        data = report.to_json()
        real = [i + 1 for i, line in enumerate(file_lines) if line.strip()]
        assert set(data["problems"]) == set(KINDS)
        for found in data["problems"].values():
            assert set(found) <= set(real) and found == sorted(found)
        out = Path(tmp) / "out.jsonl"
        clean_dataset(report, list(KINDS), out)
        source = path.read_bytes().splitlines(keepends=True)
        kept = out.read_bytes().splitlines(keepends=True)
        assert all(line in source for line in kept)
        assert len(kept) == len(real) - len(report.drop_set(KINDS))
