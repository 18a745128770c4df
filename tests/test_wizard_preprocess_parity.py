"""The wizard's Data step and `ftui preprocess` take one path from config to tokens: every dataset format in
tests/data x every template the wizard offers (plus per-dataset `chat_template: jinja`, mask and field
settings) gives the same input_ids and labels per row, the same stats, or the same error."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

DATA = Path(__file__).parent / "data" / "datasets"
JINJA = (
    "{% for m in messages %}<|{{ m['role'] }}|>{{ m['content'] }}"
    "{% if m['role'] == 'assistant' %}{{ eos_token }}{% endif %}{% endfor %}"
)
FORMATS = {
    "alpaca_json": {"path": "alpaca.json"},
    "alpaca_csv": {"path": "alpaca.csv", "type": "alpaca"},
    "messages": {"path": "messages.jsonl"},
    "sharegpt_tools": {"path": "sharegpt_tools.json"},
    "segments": {"path": "input_output.jsonl"},
    "completion": {"path": "completion.jsonl"},
    "pretokenized": {"path": "pretokenized.jsonl"},
    "folder": {"path": "folder"},
}
# (top-level keys, keys of the datasets[] entry): the wizard's template picker, then the per-dataset rules.
TEMPLATES = {
    "tokenizer_default": ({}, {}),
    "chatml": ({"chat_template": "chatml"}, {}),
    "llama3": ({"chat_template": "llama3"}, {}),
    "mistral": ({"chat_template": "mistral"}, {}),
    "gemma": ({"chat_template": "gemma"}, {}),
    "phi3": ({"chat_template": "phi3"}, {}),
    "alpaca": ({}, {"type": "alpaca"}),
    "alpaca_chat": ({"chat_template": "alpaca"}, {}),
    "entry_jinja": ({"chat_template": "chatml"}, {"chat_template": "jinja", "chat_template_jinja": JINJA}),
    "entry_jinja_file": ({}, {"chat_template": "jinja", "chat_template_jinja": "my.jinja"}),
    "top_jinja_alone": ({"chat_template_jinja": JINJA}, {}),
    "roles_eos": (
        {"chat_template": "chatml"},
        {"roles_to_train": ["user", "assistant"], "train_on_eos": "all"},
    ),
    "train_on_inputs": ({"chat_template": "chatml", "train_on_inputs": True}, {}),
    "truncate_16": (
        {"chat_template": "chatml", "sequence_len": 16, "excess_length_strategy": "truncate"},
        {},
    ),
    "drop_16_dedupe": (
        {"chat_template": "chatml", "sequence_len": 16, "dataset_exact_deduplication": True},
        {},
    ),
}
CASES = [(f, t) for f in FORMATS for t in TEMPLATES]
# A field mapping (Axolotl's field_messages + message_property_mappings) over its own file.
MAPPED = [{"dialog": [{"who": "user", "text": "Hi"}, {"who": "assistant", "text": "Hello!"}]}] * 2 + [
    {"dialog": [{"who": "user", "text": "Bye"}, {"who": "assistant", "text": "Ciao"}]}
]


LOADED: dict[str, object] = {}


@pytest.fixture(autouse=True)
def tokenizers_loaded_once(monkeypatch):
    """Both paths still call core's load_tokenizer; a repeat call with the same model folder and tokenizer
    settings gets the tokenizer already loaded (loading was 80% of this module's time)."""
    from ftui.core import tokenizer as module

    original = module.load_tokenizer
    keys = (
        "tokenizer_config",
        "base_model",
        "tokenizer_type",
        "tokenizer_use_fast",
        "tokenizer_legacy",
        "tokens",
    )

    def cached(config, base_dir=None):
        settings = [module._get(config, k) for k in keys]
        key = json.dumps([module._special_tokens(config), settings], default=str)
        if not Path(str(settings[1])).is_absolute():  # a relative model name: not shared across configs
            return original(config, base_dir)
        if key not in LOADED:
            LOADED[key] = original(config, base_dir)
        return LOADED[key]

    monkeypatch.setattr(module, "load_tokenizer", cached)


def write_config(folder: Path, model_dir: Path, fmt: dict, template: tuple[dict, dict]) -> Path:
    for item in DATA.iterdir():
        target = folder / item.name
        shutil.copytree(item, target) if item.is_dir() else shutil.copy(item, target)
    (folder / "my.jinja").write_text(JINJA)
    (folder / "mapped.jsonl").write_text("".join(json.dumps(row) + "\n" for row in MAPPED))
    top, entry = template
    config = {"base_model": str(model_dir), "sequence_len": 512, **top, "datasets": [{**fmt, **entry}]}
    path = folder / "config.yml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def run_preprocess(path: Path, capsys) -> tuple[list | None, dict | str]:
    """`ftui preprocess CONFIG --json` in process: (rows as (input_ids, labels), stats) or (None, error)."""
    from ftui.core.preprocess.store import load_stored
    from ftui.tui.cli import main

    capsys.readouterr()
    code = main(["preprocess", str(path), "--json", "--force"])
    out, err = capsys.readouterr()
    if code != 0:
        return None, err
    summary = json.loads(out)
    stored = load_stored(Path(summary["path"]), summary["fingerprint"])
    rows = [(list(r["input_ids"]), list(r["labels"])) for r in stored.train]
    return rows, summary


def run_wizard(path: Path) -> tuple[object, list, list | None, object]:
    """The Data step's calls: scan, one preview per row, dataset stats (and the rows they counted)."""
    from ftui.core.preprocess.sample import first_job, sample_stats
    from ftui.tui.wizard import data_info
    from ftui.tui.wizard.config_io import load_state

    state = load_state(path)
    scan = data_info.scan_dataset(state)
    if scan.error is not None:
        return scan, [], None, None
    assert scan.row_count == len(scan.examples)  # small files: the wizard saw every row
    tokenizer = data_info.load_tokenizer(state)
    previews = [data_info.preview(state, tokenizer, scan, i) for i in range(len(scan.examples))]
    view = data_info.dataset_stats(state, tokenizer, scan, cancelled=lambda: False)
    rows = None
    if view.error is None:  # the rows behind the numbers the wizard shows
        config = data_info.draft(state)
        rows = sample_stats(config, first_job(config, tokenizer), scan.examples).rows
    return scan, previews, rows, view


def expected_rows(previews: list, kinds: list[str], sequence_len: int, dedupe: bool) -> list:
    """The rows preprocess keeps, read off the wizard's previews (which show every example whole): too long
    or nothing trained is dropped, a long completion text becomes windows, duplicates go when asked."""
    rows: list = []
    for preview, kind in zip(previews, kinds, strict=True):
        ids, labels = [t.id for t in preview.tokens], [t.label for t in preview.tokens]
        if kind == "completion" and len(ids) > sequence_len:
            starts = range(0, len(ids), sequence_len)
            windows = [(ids[i : i + sequence_len], labels[i : i + sequence_len]) for i in starts]
            candidates = [w for w in windows if len(w[0]) > 1 and any(x != -100 for x in w[1])]
        elif len(ids) > sequence_len or all(label == -100 for label in labels):
            candidates = []
        else:
            candidates = [(ids, labels)]
        rows += [row for row in candidates if not (dedupe and row in rows)]
    return rows


def check_case(tmp_path: Path, model_dir: Path, fmt: dict, template: tuple[dict, dict], capsys) -> None:
    from ftui.tui.wizard import data_info
    from ftui.tui.wizard.config_io import load_state

    path = write_config(tmp_path, model_dir, fmt, template)
    rows, summary = run_preprocess(path, capsys)
    scan, previews, wizard_rows, view = run_wizard(path)
    if rows is None:  # preprocess refuses: the wizard says the same, on the Data step and on the row
        reason = summary.strip().splitlines()[0].removeprefix("error: ")
        if not scan.error and scan.row_count == 0:  # every row bad: the Data step lists the same rows
            assert scan.bad_count and all(bad in summary for bad in scan.bad_rows), (summary, scan.bad_rows)
            return
        shown = scan.error or view.error
        assert shown is not None and shown.startswith(reason), (summary, shown)
        where = reason.split(": ")[0]
        if not scan.error and where.rsplit(":", 1)[-1].isdigit():  # a row's error: that row shows it
            assert any(p.source == where and p.warnings[0].startswith(reason) for p in previews)
        return
    assert view.error is None, view.error
    assert not [
        p.warnings for p in previews if not p.tokens
    ]  # preprocess read every row: so does the preview
    assert wizard_rows == rows
    stats = view.stats.to_dict()
    assert {k: summary[k] for k in stats if k in summary} == {k: v for k, v in stats.items() if k in summary}
    config = data_info.draft(load_state(path))
    kinds = [example.kind for example in scan.examples]
    assert expected_rows(previews, kinds, config.sequence_len, config.dataset_exact_deduplication) == rows
    assert debug_rows(path, len(previews)) == [
        ([t.id for t in p.tokens], [t.label for t in p.tokens]) for p in previews
    ]


def debug_rows(path: Path, count: int) -> list:
    """What `ftui debug CONFIG` shows for the first `count` examples (core's preview_examples)."""
    from ftui.core.config import load_config
    from ftui.core.preprocess import preview_examples

    items = preview_examples(load_config(path).config, count)
    return [(list(i.tokenized.input_ids), list(i.tokenized.labels)) for i in items]


@pytest.mark.parametrize(("fmt", "template"), CASES)
def test_wizard_and_preprocess_give_the_same_tokens_smollm(
    tmp_path, tiny_chatml_model_dir, fmt, template, capsys
):
    check_case(tmp_path, tiny_chatml_model_dir, FORMATS[fmt], TEMPLATES[template], capsys)


@pytest.mark.parametrize(
    "template", ["tokenizer_default", "mistral", "alpaca", "entry_jinja_file", "roles_eos"]
)
@pytest.mark.parametrize("fmt", ["messages", "alpaca_json", "segments", "completion"])
def test_wizard_and_preprocess_give_the_same_tokens_mistral(
    tmp_path, tiny_mistral_model_dir, fmt, template, capsys
):
    check_case(tmp_path, tiny_mistral_model_dir, FORMATS[fmt], TEMPLATES[template], capsys)


def test_field_mappings_take_the_same_path(tmp_path, tiny_chatml_model_dir, capsys):
    fmt = {"path": "mapped.jsonl", "type": "chat_template", "field_messages": "dialog",
           "message_property_mappings": {"role": "who", "content": "text"}}  # fmt: skip
    check_case(tmp_path, tiny_chatml_model_dir, fmt, TEMPLATES["chatml"], capsys)
    _, _, rows, view = run_wizard(tmp_path / "config.yml")
    assert view.stats.rows == 3 and view.stats.duplicates == 1 and len(rows) == 3


def test_entry_jinja_is_what_the_wizard_shows(tmp_path, tiny_chatml_model_dir):
    """The issue's case: a per-dataset `chat_template: jinja` over a top-level chatml."""
    from ftui.tui.wizard import data_info, data_template
    from ftui.tui.wizard.config_io import load_state

    path = write_config(tmp_path, tiny_chatml_model_dir, FORMATS["messages"], TEMPLATES["entry_jinja"])
    state = load_state(path)
    assert data_template.template_value(state, None) == "jinja"
    scan = data_info.scan_dataset(state)
    text = "".join(t.text for t in data_info.preview(state, data_info.load_tokenizer(state), scan, 0).tokens)
    assert text.startswith("<|system|>Be brief.<|user|>2+2?") and "<|im_start|>" not in text
    data_template.set_template(state, "llama3")  # picking another template changes the entry that decides
    assert state.dataset["chat_template"] == "llama3" and "chat_template_jinja" not in state.dataset
    assert data_template.template_value(state, None) == "llama3"


def test_jinja_file_missing_is_one_message(tmp_path, tiny_chatml_model_dir, capsys):
    path = write_config(tmp_path, tiny_chatml_model_dir, FORMATS["messages"], TEMPLATES["entry_jinja_file"])
    (tmp_path / "my.jinja").unlink()
    rows, err = run_preprocess(path, capsys)
    assert rows is None and "chat_template_jinja: file not found" in err and "Traceback" not in err


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def shown_text(pilot, before: str = "") -> str:
    """The token view's text once a (new) preview is drawn: the tokenizer loads in a worker."""
    from ftui.tui.widgets.token_view import TokenView

    view = pilot.app.screen.query_one(TokenView)
    for _ in range(200):
        text = "".join(t.text for t in view.tokens)
        if text and text != before:
            return text
        await pilot.pause(0.05)
    return text


async def shown_stats(pilot) -> str:
    """The dataset line once its (debounced, then threaded) count has replaced 'computing…'."""
    from textual.widgets import Static

    widget = pilot.app.screen.query_one("#dataset-stats", Static)
    for _ in range(600):
        stats = str(widget.render())
        if "computing" not in stats:
            return stats
        await pilot.pause(0.05)
    return stats


@pytest.mark.anyio
async def test_data_step_shows_and_changes_the_entry_template(tmp_path, tiny_chatml_model_dir, monkeypatch):
    """On screen: the picker names the entry's custom Jinja template, the token view renders it, the dataset
    line has preprocess's numbers; picking chatml there re-renders with chatml. (With the tokenizer already
    loaded, the same object comes back after the screen resets it: the preview must still be drawn.)"""
    from ftui.tui.app import FtuiApp
    from ftui.tui.wizard import backend
    from ftui.tui.wizard.config_io import load_state
    from textual.widgets import Select
    from tui_helpers import FIXED_HARDWARE, settle

    monkeypatch.setattr(backend.Backend, "detect_hardware", lambda self: FIXED_HARDWARE)
    path = write_config(tmp_path, tiny_chatml_model_dir, FORMATS["messages"], TEMPLATES["entry_jinja_file"])
    app = FtuiApp(load_state(path), start_step="data")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        select = app.screen.query_one("#template", Select)
        assert select.value == "jinja"
        text = await shown_text(pilot)
        assert text.startswith("<|system|>Be brief.") and "<|im_start|>" not in text
        stats = await shown_stats(pilot)
        assert "rows from 3 examples" in stats
        select.value = "chatml"
        await settle(pilot)
        assert (
            app.state.dataset["chat_template"] == "chatml" and "chat_template_jinja" not in app.state.dataset
        )
        assert "<|im_start|>" in await shown_text(pilot, before=text)
