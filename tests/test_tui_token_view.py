"""The token-mask view: layout, annotations, warnings, and re-render speed on a 2,048-token example."""

from __future__ import annotations

import pytest
from ftui.tui.widgets.token_view import TokenRecord, TokenView, records_from, split_cells, visible_text
from ftui.tui.wizard.previews import mask_warnings
from textual.app import App, ComposeResult


def tok(text: str, trained: bool = False, part: str = "user", tid: int = 7) -> TokenRecord:
    return TokenRecord(text=text, id=tid, label=tid if trained else -100, part=part, trained=trained)


def test_visible_text_marks_control_characters():
    assert visible_text("a\tb") == ("a→b", False)
    assert visible_text("end\n") == ("end↵", True)
    assert visible_text("") == ("∅", False)


def test_split_cells_counts_wide_characters_as_two():
    assert split_cells("abcdef", 4) == ("abcd", "ef", 4)
    assert split_cells("日本語", 5) == ("日本", "語", 4)


def test_layout_breaks_at_newlines_and_wraps_at_width():
    view = TokenView()
    view.set_tokens([tok("Hello"), tok(" world\n"), tok("x" * 25, trained=True)])
    lines = view.layout_lines(10, {})
    text = ["".join(seg.text for seg in line) for line in lines]
    assert text == ["Hello worl", "d↵", "xxxxxxxxxx", "xxxxxxxxxx", "xxxxx"]


def test_annotations_add_ids_or_label_id_pairs():
    view = TokenView()
    view.set_tokens([tok("Hi", trained=False, tid=5), tok("!", trained=True, tid=9)])
    view.set_annotations(show_ids=True)
    assert view.plain_lines() == ["Hi·5!·9"]
    view.set_annotations(show_pairs=True)
    assert view.plain_lines() == ["Hi(-100, 5)!(9, 9)"]


def test_records_from_dicts_and_objects():
    records = records_from([{"text": "a", "id": 1, "label": -100, "part": "special"}, tok("b", trained=True)])
    assert records[0].special and not records[0].trained
    assert records[1].trained and records[1].label == 7


def test_mask_warnings_zero_trained_and_only_last_turn():
    assert "no token" in mask_warnings([tok("a"), tok("b")])[0]
    only_last = [
        tok("q1", part="user"),
        tok("a1", part="assistant"),
        tok("q2", part="user"),
        tok("a2", trained=True, part="assistant"),
    ]
    assert "only the last of 2 assistant turns" in mask_warnings(only_last)[0]
    every_turn = [*only_last[:1], tok("a1", trained=True, part="assistant"), *only_last[2:]]
    assert mask_warnings(every_turn) == []


def test_dataset_line_shows_core_stats_and_a_histogram():
    from ftui.core.preprocess.sample import SampleStats
    from ftui.core.preprocess.stats import StatsCollector
    from ftui.tui.wizard.mask_panel import dataset_stats_text
    from ftui.tui.wizard.previews import stats_view

    collector = StatsCollector(sequence_len=8)
    for ids, labels in (([1, 2, 3], [-100, 2, 3]), ([1, 2, 3], [-100, 2, 3]), ([4, 5], [-100, 5])):
        collector.add(ids, labels)
    collector.drop("too_long")
    collector.drop("no_trainable")
    stats = collector.result(train_rows=3, val_rows=0, source_rows=5)
    view = stats_view(SampleStats(stats=stats, lengths=collector.lengths), config=None, sampled=True)
    assert view.min_length == 2 and view.max_length == 3 and sum(view.histogram) == 3
    text = dataset_stats_text(view).plain
    assert "3 rows from 5 examples, 8 tokens, 62% trained" in text
    assert "1 too long, 1 with nothing trained (dropped), 0 truncated, 1 duplicates (first 5 rows)" in text


class ViewApp(App):
    def compose(self) -> ComposeResult:
        yield TokenView()


def many_tokens(n: int, flip: bool) -> list[TokenRecord]:
    return [
        tok(f" w{i}" + ("\n" if i % 40 == 39 else ""), trained=(i % 3 == 0) ^ flip, tid=i) for i in range(n)
    ]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.mark.anyio
async def test_rerender_of_2048_tokens_swaps_every_visible_line():
    """Swapping a 2,048-token example (as a template/mask change does) and rendering the visible lines."""
    app = ViewApp()
    async with app.run_test(size=(120, 40)) as pilot:
        view = app.query_one(TokenView)
        view.set_tokens(many_tokens(2048, False))
        await pilot.pause()
        for flip in (True, False, True):
            view.set_tokens(many_tokens(2048, flip))
            strips = [view.render_line(y) for y in range(view.size.height)]
        assert len(strips) == view.size.height and view.line_count > 40


@pytest.mark.slow
def test_real_preview_of_a_2048_token_example_follows_train_on_inputs(smollm_dir):
    """Template + mask + tokenize of a long chat with the real SmolLM2 tokenizer, then the view layout."""
    from ftui.core.data.model import Example, Message, RowOrigin
    from ftui.core.tokenizer import load_tokenizer
    from ftui.tui.wizard.data_info import ScanView, preview
    from ftui.tui.wizard.state import WizardState

    tokenizer = load_tokenizer(str(smollm_dir))
    turns = []
    for i in range(24):
        turns.append(Message("user", f"Question {i}: " + "tell me about the weather " * 6, "user"))
        turns.append(Message("assistant", f"Answer {i}: " + "it is sunny and warm today " * 6, "assistant"))
    example = Example(kind="chat", source=RowOrigin("chat.jsonl", 1), messages=turns)
    state = WizardState()
    state.values.update(base_model=str(smollm_dir), sequence_len=4096)
    state.values["datasets"] = [{"path": "chat.jsonl", "type": "chat_template"}]
    scan = ScanView(format="messages", row_count=1, examples=[example])
    view = TokenView()
    first = preview(state, tokenizer, scan, 0)
    assert len(first.tokens) >= 2000, len(first.tokens)
    trained = {}
    for train_on_inputs in (True, False, True):
        state.values["train_on_inputs"] = train_on_inputs
        shown = preview(state, tokenizer, scan, 0)
        view.set_tokens(shown.tokens)
        view.layout_lines(100, {})
        trained[train_on_inputs] = sum(t.trained for t in shown.tokens)
    assert trained[True] > 1.5 * trained[False] > 0  # the user turns join the trained tokens
