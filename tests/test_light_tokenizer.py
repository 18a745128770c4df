"""The light tokenizer (core/light_tokenizer.py) stands in exactly for the transformers one it was cached from.

For SmolLM2's tokenizer (ChatML chat template, byte-level BPE) and Mistral v1's (sentencepiece, BOS added):
ids with and without special tokens, the token pieces of every id, special tokens and their ids, the chat
template's rendered text, and whole examples through ftui's template engine are identical. Then the cache:
a second load reads the light form back, a changed setting misses it, and `ftui debug` with a filled cache
does not import transformers.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from ftui.core.light_tokenizer import LightTokenizer, light_from, load_light_tokenizer
from ftui.core.templates.jinja_env import render_chat
from ftui.core.templates.tokenizer_info import tokenizer_info
from ftui.core.tokenizer import load_tokenizer
from tui_helpers import ALPACA_ROWS, write_jsonl

TEXTS = [
    "",
    "a",
    " leading space",
    "Hello, world! How are you?",
    "  two  spaces\tand a tab\nnew line\n\n\nthree",
    "Ünïcödé — em dash, “quotes”, 中文字符, 日本語, emoji 🙂👍🏽, Ω≈ç√",
    "<s> looks special </s> and <unk> and <|im_start|>user\nhi<|im_end|>",
    "<|im_start|>assistant\nYes.<|im_end|>\n<|endoftext|>",
    "### Instruction:\nSum 2+2.\n\n### Response:\n4",
    "def f(x):\n    return x ** 2  # code\r\n",
    "1234567890 3.14159 1e-9 0xFF",
    "   ",
    "\n",
    "word" * 50,
]
MESSAGES = [
    [{"role": "user", "content": "Hi there"}, {"role": "assistant", "content": "Hello! How can I help?"}],
    [
        {"role": "system", "content": "You are terse."},
        {"role": "user", "content": "2+2?"},
        {"role": "assistant", "content": "4"},
        {"role": "user", "content": "and 3+3 ünï 中文?"},
    ],
]


@pytest.fixture(params=["smollm", "mistral"])
def tokenizer_dir(request, smollm_dir: Path, mistral_tokenizer_dir: Path) -> Path:
    return smollm_dir if request.param == "smollm" else mistral_tokenizer_dir


@pytest.fixture
def pair(tokenizer_dir: Path):
    full = load_tokenizer(str(tokenizer_dir))
    return full, light_from(full)


def test_ids_are_identical(pair):
    full, light = pair
    assert isinstance(light, LightTokenizer)
    for special in (True, False):
        got = [e.ids for e in light.backend_tokenizer.encode_batch(TEXTS, add_special_tokens=special)]
        want = [full(t, add_special_tokens=special)["input_ids"] for t in TEXTS]
        assert got == want
        offsets = [e.offsets for e in light.backend_tokenizer.encode_batch(TEXTS, add_special_tokens=special)]
        assert offsets == [
            e.offsets for e in full.backend_tokenizer.encode_batch(TEXTS, add_special_tokens=special)
        ]


def test_pieces_and_special_tokens_are_identical(pair):
    full, light = pair
    ids = list(range(len(full)))
    assert light.convert_ids_to_tokens(ids) == full.convert_ids_to_tokens(ids)
    assert len(light) == len(full)
    for name in ("bos_token", "eos_token", "unk_token", "pad_token"):
        assert getattr(light, name) == (None if getattr(full, name) is None else str(getattr(full, name)))
        assert getattr(light, f"{name}_id") == getattr(full, f"{name}_id")
    assert light.all_special_ids == list(full.all_special_ids)
    assert light.all_special_tokens == [str(t) for t in full.all_special_tokens]
    assert {i: t.content for i, t in light.added_tokens_decoder.items()} == {
        i: t.content for i, t in full.added_tokens_decoder.items()
    }
    a, b = tokenizer_info(full), tokenizer_info(light)
    for field in (
        "eos_token",
        "eos_id",
        "bos_id",
        "special_ids",
        "context",
        "chat_template",
        "prefixes_space",
    ):
        assert getattr(a, field) == getattr(b, field), field


def test_chat_template_text_is_identical(pair):
    full, light = pair
    assert light.chat_template == full.chat_template
    if full.chat_template is None:
        return
    info = tokenizer_info(light)
    for messages in MESSAGES:
        for generation in (False, True):
            want = full.apply_chat_template(messages, tokenize=False, add_generation_prompt=generation)
            got = render_chat(info.chat_template, messages, info.context, add_generation_prompt=generation)
            assert got == want


def test_examples_through_the_engine_are_identical(pair):
    from ftui.core.data.model import Example, Message, RowOrigin
    from ftui.core.templates.engine import Tokenizing

    full, light = pair
    origin = RowOrigin(file="t.jsonl", line=1)
    alpaca = [Example(kind="alpaca", source=origin, **row) for row in ALPACA_ROWS]
    chats = [
        Example(
            kind="chat",
            source=origin,
            messages=[Message(role=m["role"], content=m["content"], original_role=m["role"]) for m in turn],
        )
        for turn in MESSAGES
    ]
    cases = [("alpaca", alpaca), ("chatml", chats)]
    if full.chat_template is not None:
        cases.append(("tokenizer", chats))
    for template, examples in cases:
        a = Tokenizing(template, full).run(examples)
        b = Tokenizing(template, light).run(examples)
        assert [(x.input_ids, x.labels) for x in a] == [(x.input_ids, x.labels) for x in b], template


def test_the_cache_is_read_back_and_keyed_on_settings(tmp_path, monkeypatch, mistral_tokenizer_dir: Path):
    monkeypatch.setenv("FTUI_CACHE", str(tmp_path / "cache"))
    config = {"base_model": str(mistral_tokenizer_dir)}
    first = load_light_tokenizer(config)
    assert not isinstance(first, LightTokenizer)  # the exact load, then cached
    second = load_light_tokenizer(config)
    assert isinstance(second, LightTokenizer)
    assert second.backend_tokenizer.to_str() == first.backend_tokenizer.to_str()
    added = {**config, "tokens": ["<my_token>"]}
    changed = load_light_tokenizer(added)
    assert not isinstance(changed, LightTokenizer)  # a new key: loaded exactly again
    assert len(load_light_tokenizer(added)) == len(first) + 1
    assert not isinstance(load_light_tokenizer({**config, "trust_remote_code": True}), LightTokenizer)


RUN_CLI = """\
import sys
from ftui.tui.cli import main
code = main(sys.argv[1:])
print("TRANSFORMERS", "transformers" in sys.modules, file=sys.stderr)
sys.exit(code)
"""


def test_debug_with_a_filled_cache_does_not_import_transformers(tmp_path: Path, tiny_mistral_model_dir: Path):
    write_jsonl(tmp_path / "alpaca.jsonl", ALPACA_ROWS)
    config = tmp_path / "c.yml"
    config.write_text(
        f"base_model: {tiny_mistral_model_dir}\ndatasets:\n  - path: alpaca.jsonl\n    type: alpaca\n"
        "sequence_len: 128\noutput_dir: ./out\n",
        encoding="utf-8",
    )
    env_cache = {"FTUI_CACHE": str(tmp_path / "cache")}
    outputs, flags = [], []
    for _ in range(2):
        proc = subprocess.run(
            [sys.executable, "-c", RUN_CLI, "debug", str(config), "-n", "2", "--json"],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=600,
            env={**os.environ, **env_cache},
        )
        assert proc.returncode == 0, proc.stderr[-2000:]
        outputs.append(proc.stdout)
        flags.append([ln for ln in proc.stderr.splitlines() if ln.startswith("TRANSFORMERS ")][-1])
    assert flags == ["TRANSFORMERS True", "TRANSFORMERS False"]
    assert outputs[0] == outputs[1]
