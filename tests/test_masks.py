"""Masks: which tokens are trained, per turn and per setting, with real tokenizers; the part of every
token; over-length drop/truncate; completion, segments and pre-tokenized rows."""

from __future__ import annotations

from pathlib import Path

import pytest
from ftui.core.data.model import Example, Message, RowOrigin, Segment
from ftui.core.templates import IGNORE_INDEX, PARTS, MaskSettings, tokenize_batch, tokenize_example
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

ORIGIN = RowOrigin("rows.jsonl", line=1)


@pytest.fixture(scope="module")
def mistral(mistral_tokenizer_dir: Path):
    from ftui.core.tokenizer import load_tokenizer

    return load_tokenizer(str(mistral_tokenizer_dir))


@pytest.fixture(scope="module")
def smollm(smollm_dir: Path):
    from ftui.core.tokenizer import load_tokenizer

    return load_tokenizer(str(smollm_dir))


def chat(*turns, train: dict[int, bool] | None = None) -> Example:
    train = train or {}
    return Example(
        kind="chat",
        source=ORIGIN,
        messages=[
            Message(role=r, content=c, original_role=r, train=train.get(i)) for i, (r, c) in enumerate(turns)
        ],
    )


CONVERSATION = chat(
    ("system", "You are terse."),
    ("user", "Name a colour."),
    ("assistant", "Blue."),
    ("user", "Another one?"),
    ("assistant", "Green."),
    ("user", "And a third?"),
    ("assistant", "Red."),
)


def trained_text(result, part: str | None = None) -> list[str]:
    """Trained runs of text, one string per run of consecutive trained tokens (optionally of one part)."""
    runs, current = [], ""
    for token in result.tokens:
        if token.trained and (part is None or token.part == part):
            current += token.text
        elif current:
            runs.append(current)
            current = ""
    if current:
        runs.append(current)
    return runs


def eos_flags(result, eos_id: int) -> list[bool]:
    return [
        lab != IGNORE_INDEX for tid, lab in zip(result.input_ids, result.labels, strict=True) if tid == eos_id
    ]


def test_every_assistant_turn_is_trained(smollm) -> None:
    result = tokenize_example(CONVERSATION, "tokenizer", smollm)
    assert trained_text(result, "assistant") == ["Blue.", "Green.", "Red."]
    for token in result.tokens:
        if token.part in ("system", "user", "template"):
            assert not token.trained, token
    # the assistant header of every turn (the generation prompt) stays masked
    scaffolding = "".join(t.text for t in result.tokens if t.part == "template")
    assert scaffolding.count("assistant\n") == 3
    assert result.stats.trained_tokens == sum(1 for lab in result.labels if lab != IGNORE_INDEX)


def test_train_on_eos_variants(smollm) -> None:
    eos = smollm.eos_token_id  # <|im_end|>; one per turn: system, 3 x user, 3 x assistant
    flags = {
        mode: eos_flags(
            tokenize_example(CONVERSATION, "tokenizer", smollm, MaskSettings(train_on_eos=mode)), eos
        )
        for mode in ("turn", "all", "last", "none")
    }
    assert flags["turn"] == [False, False, True, False, True, False, True]
    assert flags["all"] == [True] * 7
    assert flags["last"] == [False, False, False, False, False, False, True]
    assert flags["none"] == [False] * 7


def test_train_on_inputs_trains_every_message(smollm) -> None:
    result = tokenize_example(CONVERSATION, "tokenizer", smollm, MaskSettings(train_on_inputs=True))
    for token in result.tokens:
        if token.part in ("system", "user", "assistant"):
            assert token.trained, token
    assert trained_text(result, "user") == ["Name a colour.", "Another one?", "And a third?"]


def test_roles_to_train(smollm) -> None:
    result = tokenize_example(CONVERSATION, "tokenizer", smollm, MaskSettings(roles_to_train=("user",)))
    assert trained_text(result, "user") == ["Name a colour.", "Another one?", "And a third?"]
    assert trained_text(result, "assistant") == []
    # Axolotl's role names work too (gpt -> assistant)
    gpt = tokenize_example(CONVERSATION, "tokenizer", smollm, MaskSettings(roles_to_train=("gpt",)))
    assert trained_text(gpt, "assistant") == ["Blue.", "Green.", "Red."]


def test_per_message_train_flag(smollm) -> None:
    example = chat(
        ("user", "Hi"),
        ("assistant", "Bad answer"),
        ("user", "Again"),
        ("assistant", "Good"),
        train={1: False, 2: True},
    )
    result = tokenize_example(example, "chatml", smollm)
    assert trained_text(result, "assistant") == ["Good"]
    assert trained_text(result, "user") == ["Again"]


def test_tool_turns_masked_and_tool_calls_trained(smollm) -> None:
    example = chat(
        ("user", "Weather in Oslo?"),
        ("assistant", '{"name": "weather", "arguments": {"city": "Oslo"}}'),
        ("tool", '{"temp": 3}'),
        ("assistant", "It is 3 degrees."),
    )
    result = tokenize_example(example, "chatml", smollm)
    assert trained_text(result, "tool") == []
    assert "".join(t.text for t in result.tokens if t.part == "tool") == '{"temp": 3}'
    assert trained_text(result, "assistant") == [
        '{"name": "weather", "arguments": {"city": "Oslo"}}',
        "It is 3 degrees.",
    ]


def test_mistral_inst_masked(mistral) -> None:
    result = tokenize_example(
        chat(("user", "Hi"), ("assistant", "Hello there"), ("user", "Bye"), ("assistant", "Ciao")),
        "mistral",
        mistral,
    )
    trained = [(t.text, t.part) for t in result.tokens if t.trained]
    assert trained == [
        (" Hello", "assistant"),
        (" there", "assistant"),
        ("</s>", "special"),
        (" C", "assistant"),
        ("iao", "assistant"),
        ("</s>", "special"),
    ]
    assert not any(t.trained for t in result.tokens if "INST" in t.text)


def test_parts_of_alpaca_tokens(mistral) -> None:
    example = Example(kind="alpaca", source=ORIGIN, instruction="Add", input="2 and 3", output="5")
    result = tokenize_example(example, "alpaca", mistral)
    parts = [t.part for t in result.tokens]
    assert set(parts) <= set(PARTS)
    assert result.tokens[0].part == "special" and result.tokens[-1].part == "special"  # <s> ... </s>
    assert "".join(t.text for t in result.tokens if t.part == "user") == "Add2 and 3"
    assert "".join(t.text for t in result.tokens if t.part == "assistant") == " 5"
    assert "### Instruction" in "".join(t.text for t in result.tokens if t.part == "prompt")
    assert [t.trained for t in result.tokens if t.trained] and all(
        t.part in ("assistant", "special") for t in result.tokens if t.trained
    )
    everything = tokenize_example(example, "alpaca", mistral, MaskSettings(train_on_inputs=True))
    assert all(t.trained for t in everything.tokens)


def test_completion_and_segments(smollm) -> None:
    completion = tokenize_example(
        Example(kind="completion", source=ORIGIN, text="Once upon a time"), "chatml", smollm
    )
    assert all(t.trained for t in completion.tokens)
    assert completion.input_ids[-1] == smollm.eos_token_id
    segments = Example(
        kind="segments",
        source=ORIGIN,
        segments=[Segment("Question: 2+2?", False), Segment(" Answer: 4", True)],
    )
    result = tokenize_example(segments, "chatml", smollm)
    assert "".join(t.text for t in result.tokens if t.trained) == " Answer: 4"
    assert {t.part for t in result.tokens} == {"input", "output"}


def test_pretokenized_passthrough(smollm) -> None:
    example = Example(
        kind="tokenized", source=ORIGIN, input_ids=[100, 200, 300, 400], labels=[-100, -100, 300, 400]
    )
    result = tokenize_example(example, "chatml", smollm)
    assert result.input_ids == [100, 200, 300, 400] and result.labels == [-100, -100, 300, 400]
    assert result.attention_mask == [1, 1, 1, 1]
    assert [t.part for t in result.tokens] == ["pretokenized"] * 4
    assert [t.trained for t in result.tokens] == [False, False, True, True]
    assert result.tokens[2].text == smollm.convert_ids_to_tokens(300)
    no_labels = tokenize_example(Example(kind="tokenized", source=ORIGIN, input_ids=[5, 6]), "chatml", smollm)
    assert no_labels.labels == [5, 6]


def test_over_length_drop_and_truncate(smollm) -> None:
    short = chat(("user", "Hi"), ("assistant", "Yo"))
    long = chat(("user", "word " * 200), ("assistant", "answer " * 200))
    rows = [short, long, short, long]
    dropped = tokenize_batch(rows, "chatml", smollm, MaskSettings(sequence_len=64))
    assert (dropped.dropped, dropped.truncated) == (2, 0)
    assert dropped.dropped_indices == [1, 3] and dropped.kept_indices == [0, 2]
    truncated = tokenize_batch(
        rows, "chatml", smollm, MaskSettings(sequence_len=64, excess_length_strategy="truncate")
    )
    assert (truncated.dropped, truncated.truncated) == (0, 2)
    assert [len(e.input_ids) for e in truncated.examples][1] == 64
    cut = truncated.examples[1]
    assert len(cut.labels) == len(cut.attention_mask) == len(cut.tokens) == 64 and cut.stats.truncated
    # a single example (the preview) is kept and marked even under "drop"
    preview = tokenize_example(long, "chatml", smollm, MaskSettings(sequence_len=64))
    assert preview.stats.over_length and len(preview.input_ids) > 64


def test_batch_equals_one_by_one(smollm) -> None:
    rows = [
        CONVERSATION,
        chat(("user", "a"), ("assistant", "b")),
        Example(kind="completion", source=ORIGIN, text="xyz"),
    ]
    batch = tokenize_batch(rows, "chatml", smollm).examples
    single = [tokenize_example(r, "chatml", smollm) for r in rows]
    assert [b.input_ids for b in batch] == [s.input_ids for s in single]
    assert [b.labels for b in batch] == [s.labels for s in single]


_TEXT = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=40
).filter(str.strip)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    contents=st.lists(_TEXT, min_size=2, max_size=6), template=st.sampled_from(["chatml", "llama3", "phi3"])
)
def test_random_conversations_keep_invariants(smollm, contents: list[str], template: str) -> None:
    turns = [("user" if i % 2 == 0 else "assistant", c) for i, c in enumerate(contents)]
    result = tokenize_example(chat(*turns), template, smollm, MaskSettings(sequence_len=100_000))
    assert result.input_ids == smollm(result.text, add_special_tokens=False).input_ids
    assert all(lab in (IGNORE_INDEX, tid) for lab, tid in zip(result.labels, result.input_ids, strict=True))
    for token in result.tokens:
        if token.trained:
            assert token.part in ("assistant", "special"), token
        if token.part == "user":
            assert not token.trained


@pytest.mark.parametrize("template_name", ["chatml", "llama3", "mistral", "gemma", "phi3", "tokenizer"])
def test_one_render_spans_equal_placeholder_spans(smollm, template_name: str) -> None:
    from ftui.core.templates import load_template
    from ftui.core.templates.chat_spans import _marked_ranges, _message_dict, _placeholder_range, chat_source
    from ftui.core.templates.jinja_env import render_chat
    from ftui.core.templates.tokenizer_info import tokenizer_info

    info = tokenizer_info(smollm)
    source = chat_source(load_template(template_name), info)
    dicts = [
        _message_dict(m) for m in CONVERSATION.messages if template_name != "gemma" or m.role != "system"
    ]
    text = render_chat(source, dicts, info.context)
    fast = _marked_ranges(source, dicts, text, info, None, "")
    assert fast is not None
    assert fast == [_placeholder_range(source, dicts, i, text, info, None, "") for i in range(len(dicts))]


def test_trimming_template_falls_back_to_placeholder_spans(smollm) -> None:
    # llama3 trims contents, so the one-render markers do not survive verbatim; the spans still fit exactly
    example = chat(("user", "  padded question \n"), ("assistant", "\n answer  "))
    result = tokenize_example(example, "llama3", smollm)
    assert "".join(t.text for t in result.tokens if t.part == "user") == "padded question"
    assert trained_text(result, "assistant") == ["answer"]


def test_settings_from_a_real_config() -> None:
    from ftui.core.config import parse_config
    from ftui.core.templates.library import template_from_config

    text = (
        "base_model: embedded\nsequence_len: 1024\ntrain_on_inputs: true\nchat_template: chatml\n"
        "excess_length_strategy: truncate\n"
        "datasets:\n  - path: x.json\n    type: chat_template\n    roles_to_train: [gpt, human]\n"
        "    train_on_eos: last\n"
    )
    config = parse_config(text, "cfg.yml").config
    settings = MaskSettings.from_config(config, config.datasets[0])
    assert settings == MaskSettings(
        train_on_inputs=True,
        roles_to_train=("gpt", "human"),
        train_on_eos="last",
        sequence_len=1024,
        excess_length_strategy="truncate",
    )
    assert template_from_config(config, config.datasets[0]).name == "chatml"
    defaults = MaskSettings.from_config(
        parse_config("base_model: embedded\ndatasets:\n  - path: x.json\n", "c").config
    )
    assert (defaults.roles_to_train, defaults.train_on_eos, defaults.sequence_len) == (
        ("assistant",),
        "turn",
        512,
    )


def test_tool_calls_rendered_by_the_template_are_trained(smollm) -> None:
    from ftui.core.templates import template_for

    template = template_for(
        None,
        "jinja",
        "{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}"
        "{% for call in m.tool_calls or [] %}<tool_call>{{ call.function.name }}</tool_call>{% endfor %}"
        "<|im_end|>\n{% endfor %}",
    )
    call = {"type": "function", "function": {"name": "weather", "arguments": {"city": "Oslo"}}}
    example = Example(
        kind="chat",
        source=ORIGIN,
        messages=[
            Message(role="user", content="Weather?", original_role="user"),
            Message(role="assistant", content="", original_role="assistant", tool_calls=[call]),
            Message(role="tool", content="3C", original_role="tool"),
            Message(role="assistant", content="It is 3C.", original_role="assistant"),
        ],
    )
    result = tokenize_example(example, template, smollm)
    assert trained_text(result, "assistant") == ["<tool_call>weather</tool_call>", "It is 3C."]
