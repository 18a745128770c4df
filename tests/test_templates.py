"""Prompt templates: shipped data, Axolotl-identical alpaca strings, rendering of each chat format with
real tokenizers (Mistral v1 sentencepiece, SmolLM2 ChatML), sandboxing, config resolution, load_tokenizer."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from ftui.core.data.model import Example, Message, RowOrigin
from ftui.core.errors import UserError
from ftui.core.templates import (
    MaskSettings,
    TemplateRenderError,
    list_templates,
    load_template,
    suggest_template,
    template_for,
    tokenize_example,
)
from ftui.core.templates.library import template_from_config

ORIGIN = RowOrigin("data.jsonl", line=7)


@pytest.fixture(scope="module")
def mistral(mistral_tokenizer_dir: Path):
    from ftui.core.tokenizer import load_tokenizer

    return load_tokenizer(str(mistral_tokenizer_dir))


@pytest.fixture(scope="module")
def smollm(smollm_dir: Path):
    from ftui.core.tokenizer import load_tokenizer

    return load_tokenizer(str(smollm_dir))


def chat(*turns: tuple[str, str], tools=None) -> Example:
    return Example(
        kind="chat",
        source=ORIGIN,
        messages=[Message(role=r, content=c, original_role=r) for r, c in turns],
        tools=tools,
    )


def alpaca(instruction: str, input_text: str, output: str) -> Example:
    return Example(kind="alpaca", source=ORIGIN, instruction=instruction, input=input_text, output=output)


TWO_TURNS = chat(("user", "Hi there"), ("assistant", "Hello!"), ("user", "Add 2+2"), ("assistant", "4"))


def test_all_templates_ship_as_data() -> None:
    from ftui.core.config.choices import axolotl_chat_templates

    own = {"alpaca", "alpaca_chat", "chatml", "gemma", "llama3", "mistral", "phi3", "tokenizer"}
    # every Axolotl chat template name has a file (mistral_v1 is ftui's mistral, phi_3 its phi3, ...)
    axolotl = set(axolotl_chat_templates()) - {"alpaca", "jinja", "tokenizer_default", "mistral_v1", "phi_3"}
    assert set(list_templates()) == own | axolotl
    for name in list_templates():
        template = load_template(name)
        assert template.description
        if template.kind == "chat":
            assert template.jinja and Path(template.path).with_suffix(".jinja").is_file()


def test_alpaca_strings_are_axolotls() -> None:
    # Axolotl's AlpacaPrompter (prompters.py, prompt_style "instruct"), byte for byte.
    f = load_template("alpaca").formats
    assert f["system_prompt"] == (
        "Below is an instruction that describes a task, paired with an input that provides further context. "
        "Write a response that appropriately completes the request."
    )
    assert f["system_no_input_prompt"] == (
        "Below is an instruction that describes a task. Write a response that appropriately completes the request."
    )
    assert f["system_format"] == "{system}\n\n"
    assert f["turn_format"] == "### Instruction:\n{instruction}\n\n### Input:\n{input}\n\n### Response:\n"
    assert f["turn_no_input_format"] == "### Instruction:\n{instruction}\n\n### Response:\n"


def test_alpaca_text(smollm) -> None:
    with_input = tokenize_example(alpaca("Sum these", "2, 3", "5"), "alpaca", smollm)
    assert with_input.text == (
        "Below is an instruction that describes a task, paired with an input that provides further context. "
        "Write a response that appropriately completes the request.\n\n"
        "### Instruction:\nSum these\n\n### Input:\n2, 3\n\n### Response:\n5<|im_end|>"
    )
    no_input = tokenize_example(alpaca("Say hi", "", "hi"), "alpaca", smollm)
    assert no_input.text.endswith(
        "completes the request.\n\n### Instruction:\nSay hi\n\n### Response:\nhi<|im_end|>"
    )


def test_alpaca_response_space_for_sentencepiece(mistral) -> None:
    # Axolotl tokenizes the response on its own; sentencepiece then starts it with "▁": ftui shows that space.
    result = tokenize_example(alpaca("Say hi", "", "hi"), "alpaca", mistral)
    assert result.text.endswith("### Response:\n hi</s>")
    assert result.input_ids[0] == mistral.bos_token_id
    assert result.input_ids == mistral(result.text).input_ids


EXPECTED_TEXT = {
    "chatml": "<|im_start|>user\nHi there<|im_end|>\n<|im_start|>assistant\nHello!<|im_end|>\n"
    "<|im_start|>user\nAdd 2+2<|im_end|>\n<|im_start|>assistant\n4<|im_end|>\n",
    "llama3": "<s><|start_header_id|>user<|end_header_id|>\n\nHi there<|eot_id|>"
    "<|start_header_id|>assistant<|end_header_id|>\n\nHello!<|eot_id|>"
    "<|start_header_id|>user<|end_header_id|>\n\nAdd 2+2<|eot_id|>"
    "<|start_header_id|>assistant<|end_header_id|>\n\n4<|eot_id|>",
    "mistral": "<s> [INST] Hi there [/INST] Hello!</s> [INST] Add 2+2 [/INST] 4</s>",
    "gemma": "<s><start_of_turn>user\nHi there<end_of_turn>\n<start_of_turn>model\nHello!<end_of_turn>\n"
    "<start_of_turn>user\nAdd 2+2<end_of_turn>\n<start_of_turn>model\n4<end_of_turn>\n",
    "phi3": "<s><|user|>\nHi there<|end|>\n<|assistant|>\nHello!<|end|>\n<|user|>\nAdd 2+2<|end|>\n<|assistant|>\n4<|end|>\n",
}


@pytest.mark.parametrize("name", sorted(EXPECTED_TEXT))
def test_chat_template_text_and_whole_text_tokens(name: str, mistral, smollm) -> None:
    result = tokenize_example(TWO_TURNS, name, mistral)
    assert result.text == EXPECTED_TEXT[name]
    # token boundaries are those of tokenizing the whole rendered text once
    assert result.input_ids == mistral(result.text, add_special_tokens=False).input_ids
    on_smollm = tokenize_example(TWO_TURNS, name, smollm)
    assert on_smollm.input_ids == smollm(on_smollm.text, add_special_tokens=False).input_ids
    trained_text = "".join(t.text for t in result.tokens if t.trained and t.part == "assistant")
    assert trained_text.replace(" ", "") == "Hello!4"


def test_mistral_system_goes_into_first_inst(mistral) -> None:
    example = chat(("system", "Be brief."), ("user", "Hi"), ("assistant", "Yo"))
    result = tokenize_example(example, "mistral", mistral)
    assert result.text == "<s> [INST] Be brief.\n\nHi [/INST] Yo</s>"
    parts = {t.text.strip(): t.part for t in result.tokens if t.text.strip()}
    assert parts["Be"] == "system" and parts["Hi"] == "user"


def test_tokenizer_template_matches_transformers(smollm, shared_datasets: Path) -> None:
    rows = json.loads((shared_datasets / "glaive_toolcall_en_demo.json").read_text())[:5]
    roles = {"human": "user", "gpt": "assistant", "function_call": "assistant", "observation": "tool"}
    for row in rows:
        turns = [(roles[t["from"]], t["value"]) for t in row["conversations"]]
        result = tokenize_example(chat(*turns), "tokenizer", smollm, MaskSettings(sequence_len=8192))
        messages = [{"role": r, "content": c} for r, c in turns]
        assert result.text == smollm.apply_chat_template(messages, tokenize=False)
        assert result.input_ids == smollm.apply_chat_template(messages, tokenize=True, return_dict=False)


def test_tokenizer_without_chat_template(mistral) -> None:
    with pytest.raises(UserError, match="no chat template"):
        tokenize_example(TWO_TURNS, "tokenizer_default", mistral)
    fallback = template_for("chat_template", "tokenizer_default_fallback_chatml")
    assert tokenize_example(TWO_TURNS, fallback, mistral).text == EXPECTED_TEXT["chatml"]


def test_template_refusal_names_the_row(mistral) -> None:
    with pytest.raises(TemplateRenderError, match=r"data.jsonl:7.*System role not supported"):
        tokenize_example(chat(("system", "x"), ("user", "Hi"), ("assistant", "Yo")), "gemma", mistral)
    with pytest.raises(TemplateRenderError, match="alternate user/assistant"):
        tokenize_example(chat(("user", "Hi"), ("assistant", "call"), ("tool", "42")), "mistral", mistral)


def test_custom_jinja_runs_sandboxed(smollm) -> None:
    evil = template_for(None, "jinja", "{{ ''.__class__.__mro__[1].__subclasses__() }}")
    with pytest.raises(TemplateRenderError):
        tokenize_example(TWO_TURNS, evil, smollm)
    ok = template_for(None, "jinja", "{% for m in messages %}{{ m.role }}: {{ m.content }}\n{% endfor %}")
    assert tokenize_example(TWO_TURNS, ok, smollm).text.startswith("user: Hi there\nassistant: Hello!\n")


def test_unknown_template_and_aliases() -> None:
    with pytest.raises(UserError) as info:
        load_template("vicuna")
    assert "chatml" in (info.value.hint or "")
    assert load_template("tokenizer_default").name == "tokenizer"
    assert load_template("mistral_v1").name == "mistral"
    assert load_template("phi_3").name == "phi3"


def test_template_from_config() -> None:
    config = {"chat_template": "chatml"}
    assert template_from_config(config, {"type": "alpaca"}).name == "alpaca"
    assert template_from_config(config, {"type": "chat_template"}).name == "chatml"
    assert template_from_config(config, {"type": "chat_template", "chat_template": "llama3"}).name == "llama3"
    assert template_from_config({}, {"type": "chat_template"}).name == "tokenizer"


def test_suggest_template() -> None:
    assert suggest_template("mistralai/Mistral-7B-Instruct-v0.1") == "mistral"
    assert suggest_template("meta-llama/Meta-Llama-3-8B-Instruct") == "llama3"
    assert suggest_template("Qwen/Qwen2.5-0.5B-Instruct") == "chatml"
    assert suggest_template("google/gemma-2-2b-it") == "gemma"
    assert suggest_template("unknown/thing") is None


def test_load_tokenizer(mistral_tokenizer_dir: Path, smollm_dir: Path) -> None:
    from ftui.core.tokenizer import load_tokenizer

    tok = load_tokenizer({"base_model": str(mistral_tokenizer_dir)})
    assert tok.pad_token == tok.eos_token == "</s>"  # pad falls back to EOS (Axolotl)
    tok = load_tokenizer(
        {
            "base_model": str(smollm_dir),
            "special_tokens": {"pad_token": "<|endoftext|>"},
            "tokens": ["<tool>"],
        }
    )
    assert tok.pad_token == "<|endoftext|>"
    assert tok.convert_ids_to_tokens(tok.encode("a<tool>b")) == ["a", "<tool>", "b"]


def test_load_tokenizer_offline_error(monkeypatch) -> None:
    from ftui.core.tokenizer import load_tokenizer

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(UserError, match="not available offline"):
        load_tokenizer("nobody-here/no-such-model-xyz")
