"""Token dump rendering (Axolotl's --debug format), the text view, and the JSON shape."""

from __future__ import annotations

import pytest
from ftui.core.debug_dump import GREEN, RED, example_view, render_all, render_text, render_tokens


@pytest.fixture
def view():
    return example_view(
        index=0,
        origin="data.jsonl:1",
        input_ids=[1, 10, 11, 12, 2],
        labels=[-100, -100, 11, 12, 2],
        texts=["<s>", "Hi\n", " there", "!", "</s>"],
        parts=["special", "user", "assistant", "assistant", "special"],
    )


def test_token_dump_axolotl_format(view):
    out = render_tokens(view)
    assert "<s>(-100, 1) Hi\\n(-100, 10)  there(11, 11) !(12, 12) </s>(2, 2)" in out
    assert out.endswith("Total input len: 5\nCount of labels: 3")
    assert "\x1b[" not in out


def test_token_dump_colors(view):
    out = render_tokens(view, color=True)
    assert f"{RED}<s>" in out
    assert f"{GREEN} there" in out
    assert "Count of labels: 3" in out


def test_text_view_marks_trained_runs(view):
    out = render_text(view)
    body = out.split("\n", 1)[1]
    assert body == "<s>Hi\n[[ there!</s>]]"
    assert "(" not in body


def test_json_shape(view):
    data = view.to_dict()
    assert data["num_tokens"] == 5 and data["num_trained"] == 3
    assert data["tokens"][2] == {
        "text": " there",
        "id": 11,
        "label": 11,
        "part": "assistant",
        "trained": True,
    }
    assert [t["trained"] for t in data["tokens"]] == [False, False, True, True, True]


def test_render_all_has_legend(view):
    out = render_all([view, view], text_only=True)
    assert out.startswith("trained text is between [[ and ]]")
    assert out.count("--- example 0") == 2


def test_mismatched_lengths_rejected():
    with pytest.raises(ValueError):
        example_view(0, "x", [1, 2], [1], ["a", "b"])
