"""Sources: JSON arrays (streamed in chunks), JSON Lines, CSV, parquet, folders, data_files, hub ids offline."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from ftui.core.data import DataError, iter_examples, jsonstream, load_dataset_rows, scan_dataset

FIXTURES = Path(__file__).parent / "data" / "datasets"


def test_csv_rows_keep_the_line_where_each_record_starts() -> None:
    examples = list(iter_examples({"path": "alpaca.csv"}, FIXTURES))
    assert [(e.source.line, e.instruction) for e in examples] == [
        (2, "Say hi"),
        (3, "Write a two-line poem"),
        (5, "Count to three"),
    ]
    assert examples[1].output == "Roses are red,\nviolets are blue"
    assert examples[0].input == ""


def test_csv_bad_cells(tmp_path: Path) -> None:
    (tmp_path / "t.csv").write_bytes(b"instruction,output\nok,fine\nmissing\na,b,c\nbad \xff,x\nok,again\n")
    with pytest.raises(DataError) as err:
        list(iter_examples({"path": "t.csv"}, tmp_path))
    assert [str(b) for b in err.value.bad_rows] == [
        "t.csv:3: missing field 'output'",
        "t.csv:4: 3 cells but the header has 2 columns",
        "t.csv:5: not valid UTF-8 (byte 0xff)",
    ]


def test_csv_cells_holding_json_lists(tmp_path: Path) -> None:
    conv = json.dumps([{"from": "human", "value": "q"}, {"from": "gpt", "value": "a"}]).replace('"', '""')
    (tmp_path / "t.csv").write_text(f'conversations\n"{conv}"\n')
    (ex,) = iter_examples({"path": "t.csv"}, tmp_path)
    assert [m.role for m in ex.messages] == ["user", "assistant"]


def test_parquet_in_batches_with_row_index(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = [
        {"instruction": f"i{n}", "input": "", "output": f"o{n}" if n != 1500 else ""} for n in range(2100)
    ]
    pq.write_table(pa.Table.from_pylist(rows), tmp_path / "t.parquet", row_group_size=700)
    scan = scan_dataset({"path": "t.parquet"}, tmp_path)
    assert (scan.format, scan.rows, scan.bad_count) == ("alpaca", 2099, 1)
    assert str(scan.bad_rows[0]) == "t.parquet:row 1501: field 'output' is empty"
    examples = list(iter_examples({"path": "t.parquet"}, tmp_path, skip_bad_rows=True))
    assert [e.instruction for e in examples[:3]] == ["i0", "i1", "i2"]
    assert examples[-1].instruction == "i2099" and examples[-1].source.index == 2099


def test_parquet_nested_conversations(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = [{"messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}]}]
    pq.write_table(pa.Table.from_pylist(rows), tmp_path / "t.parquet")
    (ex,) = iter_examples({"path": "t.parquet"}, tmp_path)
    assert [(m.role, m.content) for m in ex.messages] == [("user", "q"), ("assistant", "a")]


def test_folder_reads_files_sorted_each_in_order() -> None:
    examples = list(iter_examples({"path": "folder"}, FIXTURES))
    assert [(e.source.file, e.source.line, e.instruction) for e in examples] == [
        ("folder/a.json", 2, "a1"),
        ("folder/b.jsonl", 1, "b1"),
        ("folder/b.jsonl", 2, "b2"),
        ("folder/sub/c.csv", 2, "c1"),
    ]
    assert scan_dataset({"path": "folder"}, FIXTURES).files == [
        "folder/a.json",
        "folder/b.jsonl",
        "folder/sub/c.csv",
    ]


def test_folder_with_ds_type_and_data_files() -> None:
    csv_only = list(iter_examples({"path": "folder", "ds_type": "csv"}, FIXTURES))
    assert [e.instruction for e in csv_only] == ["c1"]
    picked = list(iter_examples({"path": "json", "data_files": ["folder/b.jsonl"]}, FIXTURES))
    assert [e.instruction for e in picked] == ["b1", "b2"]


def test_text_and_arrow_files(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("first line\n\nthird line\n")
    examples = list(iter_examples({"path": "notes.txt"}, tmp_path))
    assert [(e.kind, e.text, e.source.line) for e in examples] == [
        ("completion", "first line", 1),
        ("completion", "third line", 3),
    ]
    import pyarrow as pa

    table = pa.Table.from_pylist([{"text": "a"}, {"text": "b"}])
    with pa.ipc.new_stream(str(tmp_path / "data.arrow"), table.schema) as writer:
        writer.write_table(table)
    examples = list(iter_examples({"path": "data.arrow"}, tmp_path))
    assert [(e.text, str(e.source)) for e in examples] == [
        ("a", "data.arrow:row 1"),
        ("b", "data.arrow:row 2"),
    ]


def test_relative_paths_resolve_against_base_dir_and_absolute_paths_work(tmp_path: Path) -> None:
    absolute = str(FIXTURES / "alpaca.json")
    scan = scan_dataset({"path": absolute}, tmp_path)
    assert scan.rows == 3 and scan.files == [absolute]


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("missing.jsonl", "dataset file 'missing.jsonl' not found"),
        ("./nowhere/data", "dataset file './nowhere/data' not found"),
        ("folder/README.md", "unknown file type '.md'"),
    ],
)
def test_source_errors(path: str, message: str) -> None:
    with pytest.raises(DataError, match=message):
        scan_dataset({"path": path}, FIXTURES)


def test_empty_folder_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "d").mkdir()
    with pytest.raises(DataError, match="has no .json, .jsonl, .csv or .parquet files"):
        scan_dataset({"path": "d"}, tmp_path)


def test_hub_id_offline_is_one_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_CACHE", str(FIXTURES / "no-cache-here"))
    with pytest.raises(DataError) as err:
        scan_dataset({"path": "someone/not-cached-dataset"}, FIXTURES)
    assert err.value.message.startswith("dataset 'someone/not-cached-dataset' is not available offline")
    assert "HF_HUB_OFFLINE" in err.value.hint and "local" in err.value.hint


def test_hub_id_without_network_is_one_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("HF_DATASETS_OFFLINE", raising=False)
    for proxy in ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(proxy, raising=False)
    monkeypatch.setenv("HF_ENDPOINT", "https://nonexistent.invalid")
    with pytest.raises(DataError, match="is not available offline"):
        scan_dataset({"path": "someone/other-dataset"}, FIXTURES)


def test_jsonl_named_json_and_pretty_printed_objects(tmp_path: Path) -> None:
    (tmp_path / "lines.json").write_text('{"text": "a"}\n{"text": "b"}\n\n{"text": "c"}\n')
    assert [e.source.line for e in iter_examples({"path": "lines.json"}, tmp_path)] == [1, 2, 4]
    (tmp_path / "pretty.json").write_text('{\n  "text": "a"\n}\n{\n  "text": "b"\n}\n')
    assert [(e.text, e.source.line) for e in iter_examples({"path": "pretty.json"}, tmp_path)] == [
        ("a", 1),
        ("b", 4),
    ]


def test_byte_order_marks_are_ignored(tmp_path: Path) -> None:
    (tmp_path / "a.json").write_bytes(b'\xef\xbb\xbf[{"text": "a"}]')
    (tmp_path / "b.jsonl").write_bytes(b'\xef\xbb\xbf{"text": "b"}\n')
    (tmp_path / "c.csv").write_bytes(b"\xef\xbb\xbftext\nc\n")
    texts = [
        e.text for name in ("a.json", "b.jsonl", "c.csv") for e in iter_examples({"path": name}, tmp_path)
    ]
    assert texts == ["a", "b", "c"]


def test_json_array_stream_across_tiny_chunks(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Values split at every possible place (strings, escapes, numbers, multi-byte UTF-8) decode the same."""
    rows = [
        {"text": "naïve café ünïcødé ✓ 🎉", "n": 1234567890123, "f": -1.5e-7},
        {"text": 'esc "quotes" \\ back \u00e9 🎉 \n newline', "nested": {"a": [1, 2, {"b": None}]}},
        {"text": "x" * 300, "ok": True, "no": False},
    ]
    body = (
        "[\n"
        + ",\n".join(json.dumps(r, ensure_ascii=i % 2 == 0, indent=1) for i, r in enumerate(rows))
        + "\n]\n"
    )
    (tmp_path / "a.json").write_text(body, encoding="utf-8")
    starts = [n for n, line in enumerate(body.split("\n"), 1) if line.startswith("{")]
    assert len(starts) == 3
    for chunk in (1, 2, 3, 7, 64):
        monkeypatch.setattr(jsonstream, "CHUNK_BYTES", chunk)
        got = list(load_dataset_rows({"path": "a.json"}, tmp_path))
        assert [r.value for r in got] == rows, chunk
        assert [r.origin.line for r in got] == starts, chunk
        assert all(r.error is None for r in got)


def test_progress_reaches_the_end(tmp_path: Path) -> None:
    (tmp_path / "t.jsonl").write_text("".join(f'{{"text": "row {i}"}}\n' for i in range(2500)))
    seen: list[tuple[int, float | None]] = []
    examples = list(iter_examples({"path": "t.jsonl"}, tmp_path, progress=lambda n, f: seen.append((n, f))))
    assert len(examples) == 2500
    assert [n for n, _ in seen] == [1000, 2000, 2500]
    assert 0.3 < seen[0][1] < 0.5 and seen[-1][1] == 1.0


def test_hub_rows_use_split_name_and_revision(monkeypatch: pytest.MonkeyPatch) -> None:
    """The hub path passes the entry's keys to `datasets.load_dataset` and numbers rows within the split."""
    import datasets
    from ftui.core.data import hub

    calls = []

    def fake_load(path, **kwargs):
        calls.append((path, kwargs))
        return [
            {"instruction": "q", "input": "", "output": "a"},
            {"instruction": "q2", "input": "", "output": ""},
        ]

    monkeypatch.setattr(datasets, "load_dataset", fake_load)
    monkeypatch.setattr(hub, "_hub_reachable", lambda timeout=2.0: True)
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("HF_DATASETS_OFFLINE", raising=False)
    entry = {"path": "org/data", "split": "validation", "name": "small", "revision": "v1"}
    scan = scan_dataset(entry, FIXTURES)
    assert calls == [("org/data", {"split": "validation", "name": "small", "revision": "v1"})]
    assert (scan.format, scan.rows, scan.files) == ("alpaca", 1, ["org/data"])
    assert [str(b) for b in scan.bad_rows] == ["org/data[validation]:row 2: field 'output' is empty"]


def test_relative_path_falls_back_to_the_working_directory(tmp_path, monkeypatch) -> None:
    """Axolotl resolves dataset paths against the working directory; ftui tries the config's folder first."""
    from ftui.core.data import scan_dataset

    workdir = tmp_path / "work"
    (workdir / "data").mkdir(parents=True)
    (workdir / "data" / "rows.jsonl").write_text('{"text": "hello"}\n')
    config_dir = tmp_path / "configs"
    config_dir.mkdir()
    monkeypatch.chdir(workdir)
    scan = scan_dataset({"path": "data/rows.jsonl"}, config_dir)
    assert scan.rows == 1
    assert scan.format == "completion"
