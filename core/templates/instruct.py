"""Axolotl's instruction-style dataset types (`alpaca_chat.load_qa`, `oasst`, `context_qa.load_v2`,
`alpaca_w_system.load_open_orca`, a `type:` mapping of fields, ...), as data.

Each type says which row fields make the instruction, the input, the response and the system text, and
which prompt strings surround them. Axolotl tokenized the prompt (with BOS, no EOS) and the response (no
BOS, EOS added) as two separate texts; `render.render_instruct` builds those two pieces and the engine
tokenizes each on its own, so the ids are Axolotl's (tests/test_axolotl_parity.py, legacy cases).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

SystemMode = Literal["style", "row", "user"]


@dataclass(frozen=True)
class PromptStyle:
    """The strings around the parts (Axolotl's prompter `system_format`, `turn_format`, ...)."""

    system_format: str
    turn_format: str
    turn_no_input_format: str


STYLES: dict[str, PromptStyle] = {
    "instruct": PromptStyle(
        "{system}\n\n",
        "### Instruction:\n{instruction}\n\n### Input:\n{input}\n\n### Response:\n",
        "### Instruction:\n{instruction}\n\n### Response:\n",
    ),
    "chat": PromptStyle(
        "SYSTEM: {system}\n", "USER: {instruction}\n{input}\nASSISTANT:", "USER: {instruction}\nASSISTANT:"
    ),
    "chatml": PromptStyle(
        "<|im_start|>system\n{system}<|im_end|>\n",
        "<|im_start|>user\n{instruction}\n{input}<|im_end|>\n<|im_start|>assistant\n",
        "<|im_start|>user\n{instruction}<|im_end|>\n<|im_start|>assistant\n",
    ),
    "phi": PromptStyle(
        "<|system|>\n{system}<|end|>\n",
        "<|user|>\n{instruction}<|end|>{input}<|assistant|>",
        "<|user|>\n{instruction}<|end|>\n<|assistant|>\n",
    ),
    "open_orca": PromptStyle(
        "### System:\n{system}\n",
        "### Human:\n{instruction}\n### Additional Context:\n{input}\n### Assistant:\n",
        "### Human:\n{instruction}\n### Assistant:\n",
    ),
    "context_v2": PromptStyle("{system}", "{instruction}\n{input}", "{instruction}"),
}

_ALPACA_SYSTEM = (
    "Below is an instruction that describes a task, paired with an input that provides further context. "
    "Write a response that appropriately completes the request.",
    "Below is an instruction that describes a task. Write a response that appropriately completes the request.",
)
_CHAT_SYSTEM = (
    "Below is an instruction from a USER that describes a task, paired with an input that provides further "
    "context. The ASSISTANT writes a response that concisely and appropriately completes the request.\n\n",
    "Below is an instruction from a USER that describes a task. The ASSISTANT writes a response that "
    "appropriately and concisely completes the request.\n\n",
)
_CONTEXT_SYSTEM = ("Use the following contextual information to concisely answer the question.\n",) * 2
_NO_SYSTEM = ("", "")

_ALPACA_FIELDS = {"instruction": "{instruction}", "input": "{input?}", "output": "{output}"}


@dataclass(frozen=True)
class InstructType:
    """One instruction-style type: where the parts come from (format strings over row fields; `{x?}` is an
    optional field) and how the prompt is written."""

    style: str
    fields: dict[str, str] = field(default_factory=lambda: dict(_ALPACA_FIELDS))
    system: tuple[str, str] = _ALPACA_SYSTEM  # (with input, without input) for system mode "style"
    system_mode: SystemMode = "style"  # "row": the row's system field, written only when not empty
    style_from_conversation: bool = False  # `conversation:` on the entry picks the style (alpaca_chat)


INSTRUCT_TYPES: dict[str, InstructType] = {
    "alpaca_instruct": InstructType("instruct"),
    "alpaca_instruct.load_no_prompt": InstructType("instruct", system=_NO_SYSTEM),
    "alpaca:chat": InstructType("chat"),
    "alpaca:chatml": InstructType("chatml"),
    "alpaca:phi": InstructType("phi"),
    "alpaca_chat": InstructType("chat", style_from_conversation=True),
    "alpaca_chat.load_qa": InstructType(
        "chat", {"instruction": "{question}", "input": "", "output": "{answer}"}, _CHAT_SYSTEM
    ),
    "alpaca_chat.load_concise": InstructType("chat", system=_CHAT_SYSTEM),
    "alpaca_chat.load_camel_ai": InstructType(
        "chat", {"instruction": "{message_1}", "input": "", "output": "{message_2}"}, _CHAT_SYSTEM
    ),
    "alpaca_chat.load_no_prompt": InstructType("chat", system=_NO_SYSTEM),
    "alpaca_w_system": InstructType("chat", {**_ALPACA_FIELDS, "system": "{system}"}, system_mode="row"),
    "alpaca_w_system.load_chat": InstructType(
        "chat", {**_ALPACA_FIELDS, "system": "{system}"}, system_mode="row"
    ),
    "alpaca_w_system.load_instruct": InstructType(
        "instruct", {**_ALPACA_FIELDS, "system": "{system}"}, system_mode="row"
    ),
    "alpaca_w_system.load_open_orca": InstructType(
        "open_orca",
        {"instruction": "{question}", "input": "", "output": "{response}", "system": "{system_prompt}"},
        system_mode="row",
    ),
    "alpaca_w_system.load_open_orca_chatml": InstructType(
        "chatml",
        {"instruction": "{question}", "input": "", "output": "{response}", "system": "{system_prompt}"},
        system_mode="row",
    ),
    "context_qa": InstructType(
        "chat",
        {"instruction": "{article}\n===\n{question}", "input": "", "output": "{answer}"},
        _CONTEXT_SYSTEM,
    ),
    "context_qa.load_404": InstructType(
        "chat",
        {
            "instruction": "{article}\n===\n{unanswerable_question}",
            "input": "",
            "output": "The context provided does not contain any information about your inquiry. "
            "Therefore, I'm unable to answer your question based on the given context.",
        },
        _CONTEXT_SYSTEM,
    ),
    "context_qa.load_v2": InstructType(
        "context_v2",
        {
            "instruction": "Context: {context}\nQuestion: {question}\n",
            "input": "",
            "output": "Answer: {answer}",
        },
        _NO_SYSTEM,
    ),
    "gpteacher": InstructType(
        "instruct", {"instruction": "{instruction}", "input": "{input?}", "output": "{response}"}
    ),
    "oasst": InstructType("instruct", {"instruction": "{INSTRUCTION}", "input": "", "output": "{RESPONSE}"}),
    "jeopardy": InstructType(
        "instruct", {"instruction": "{question}", "input": "{category}", "output": "what is {answer}"}
    ),
}


def instruct_type(name: str) -> InstructType | None:
    """The definition of an Axolotl instruction type (`oasst:chat` picks the chat style of `oasst`)."""
    if name in INSTRUCT_TYPES:
        return INSTRUCT_TYPES[name]
    base, _, style = name.partition(":")
    if style and base in INSTRUCT_TYPES and style in STYLES:
        from dataclasses import replace

        return replace(INSTRUCT_TYPES[base], style=style)
    return None


def user_defined(mapping: Any) -> tuple[InstructType, PromptStyle]:
    """Axolotl's `type: {field_instruction: ..., format: ..., ...}`: the row's system field (or the
    mapping's system_prompt), the mapping's own formats."""

    def get(key: str, default: str) -> str:
        value = mapping.get(key) if isinstance(mapping, dict) else getattr(mapping, key, None)
        return default if value is None else str(value)

    fields = {
        "instruction": "{" + get("field_instruction", "instruction") + "}",
        "input": "{" + get("field_input", "input") + "?}",
        "output": "{" + get("field_output", "output") + "?}",
        "system": "{" + get("field_system", "system") + "?}",
    }
    style = PromptStyle(
        get("system_format", "{system}"),
        get("format", "{instruction} {input} "),
        get("no_input_format", "{instruction} "),
    )
    prompt = get("system_prompt", "")
    return InstructType("user", fields, (prompt, prompt), system_mode="user"), style
