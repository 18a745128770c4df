"""The Ollama Modelfile: its TEMPLATE, put together from the chat template's pieces, gives the Jinja text.

There is no Go here to run the template, so `_as_ollama` below follows the Go template's rules (head or
system head, the piece before each turn, the generation prompt after a last user turn) and is checked
against the Jinja rendering of several conversations for each shipped chat template; the Go text itself
is checked to hold those pieces in that order.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from ftui.core.export.modelfile import TemplatePieces, go_template, stop_tokens, template_pieces

PROMPTS_DIR = Path(__file__).resolve().parent.parent / "templates" / "prompts"
TEMPLATES = ["chatml", "llama3", "mistral", "gemma", "gemma3", "qwen_25", "qwen3", "phi3", "phi_4"]
CONVERSATIONS = [
    [("user", "Hi there")],
    [("user", "What is 2+2?"), ("assistant", "It is 4."), ("user", "And 3+3?")],
    [("user", "a"), ("assistant", "b"), ("user", "c"), ("assistant", "d"), ("user", "e")],
]


def _as_ollama(p: TemplatePieces, system: str | None, messages: list[tuple[str, str]]) -> str:
    """What Ollama renders from go_template(p): the same rules, in Python."""
    out = p.system_head + system + p.system_to_user if system and p.system_head is not None else p.head
    seen = False
    for i, (role, content) in enumerate(messages):
        last = i == len(messages) - 1
        if role == "user":
            out += (p.assistant_to_user if seen else "") + content + (p.tail if last else "")
            seen = True
        else:
            out += p.user_to_assistant + content
    return out


def _tokenizer(template: str):
    from conftest import smollm_model_path
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(smollm_model_path())
    tok.chat_template = (PROMPTS_DIR / f"{template}.jinja").read_text(encoding="utf-8")
    return tok


def _jinja(tok, system: str | None, messages: list[tuple[str, str]]) -> str:
    chat = ([{"role": "system", "content": system}] if system else []) + [
        {"role": r, "content": c} for r, c in messages
    ]
    return tok.apply_chat_template(chat, tokenize=False, add_generation_prompt=True)


@pytest.mark.parametrize("template", TEMPLATES)
def test_template_pieces_rebuild_the_jinja_text(template):
    tok = _tokenizer(template)
    pieces = template_pieces(tok, strip_bos=False)
    for messages in CONVERSATIONS:
        assert _as_ollama(pieces, None, messages) == _jinja(tok, None, messages)
        if pieces.system_head is not None:
            assert _as_ollama(pieces, "Be brief.", messages) == _jinja(tok, "Be brief.", messages)
    text = go_template(pieces)
    for piece in (pieces.head, pieces.user_to_assistant, pieces.assistant_to_user, pieces.tail):
        assert piece in text
    assert len(re.findall(r"\{\{-? (?:if|range) ", text)) == len(re.findall(r"\{\{-? end \}\}", text))


def test_templates_without_a_system_turn_say_so():
    pieces = template_pieces(_tokenizer("gemma"), strip_bos=False)  # Gemma's template refuses system turns
    assert pieces.system_head is None and "{{ .System }}" not in go_template(pieces)
    assert template_pieces(_tokenizer("chatml"), strip_bos=False).system_head is not None


def test_bos_is_left_to_llama_cpp_when_it_adds_one(mistral_tokenizer_dir):
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(mistral_tokenizer_dir)
    tok.chat_template = (PROMPTS_DIR / "mistral.jinja").read_text(encoding="utf-8")
    assert _jinja(tok, None, [("user", "hi")]).startswith("<s>")
    assert not template_pieces(tok, strip_bos=True).head.startswith("<s>")
    assert template_pieces(tok, strip_bos=False).head.startswith("<s>")


def test_go_template_escapes_braces():
    pieces = TemplatePieces(head="{{x}}", user_to_assistant="", assistant_to_user="", tail="")
    assert '{{ "{{" }}x}}' in go_template(pieces)


def test_stop_tokens_are_eos_and_the_generation_config_eos_ids(tiny_chatml_model_dir):
    from transformers import AutoTokenizer, GenerationConfig

    tok = AutoTokenizer.from_pretrained(tiny_chatml_model_dir)

    class Model:
        generation_config = GenerationConfig(eos_token_id=[tok.eos_token_id, 0])

    assert stop_tokens(tok, Model()) == [tok.eos_token, tok.convert_ids_to_tokens(0)]
