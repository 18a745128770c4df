"""Turn one example into text plus character spans (which part each range is, and whether it is trained).

This module picks the renderer by the example's kind and renders alpaca, completion and segment rows;
chat rows are core/templates/chat_spans.py. Tokens come later, from one tokenization of the whole text.
"""

from __future__ import annotations

from string import Formatter
from typing import Any

from ftui.core.errors import UserError
from ftui.core.templates.chat_spans import render_chat_example
from ftui.core.templates.library import PromptTemplate
from ftui.core.templates.tokenizer_info import TokenizerInfo
from ftui.core.templates.types import MaskSettings, Rendered, Span


def _where(example: Any) -> str:
    source = getattr(example, "source", None)
    return str(source) if source is not None else "example"


def render_example(
    example: Any, template: PromptTemplate, info: TokenizerInfo, settings: MaskSettings
) -> Rendered:
    kind = getattr(example, "kind", None)
    if template.instruct is not None or template.legacy_sharegpt is not None:
        return _render_legacy(example, template, info, settings)
    if kind == "alpaca":
        if template.kind == "instruct":
            return render_alpaca(
                example.instruction, example.input, example.output, example.system, template, info, settings
            )
        return render_chat_example(
            alpaca_as_messages(example), None, template, info, settings, _where(example)
        )
    if kind == "chat":
        if template.kind == "instruct":
            return _chat_as_alpaca(example, template, info, settings)
        return render_chat_example(example.messages, example.tools, template, info, settings, _where(example))
    if kind == "completion":
        return render_completion(example.text, info)
    if kind == "segments":
        return render_segments(example.segments)
    raise UserError(f"{_where(example)}: examples of kind {kind!r} cannot be rendered with a template")


def _render_legacy(
    example: Any, template: PromptTemplate, info: TokenizerInfo, settings: MaskSettings
) -> Any:
    from dataclasses import replace

    from ftui.core.templates.legacy import render_instruct, render_legacy_sharegpt

    kind = getattr(example, "kind", None)
    if template.instruct is not None and kind == "alpaca":
        return render_instruct(example, template.instruct, template.style, settings)
    if template.legacy_sharegpt is not None and kind == "chat":
        legacy = replace(template.legacy_sharegpt, eos_token=info.eos_token)
        return render_legacy_sharegpt(example, legacy, settings, _where(example))
    raise UserError(
        f"{_where(example)}: {template.name} renders {'instruction' if template.instruct else 'ShareGPT'} rows, "
        f"not {kind} rows",
        hint="check the dataset's `type:` against its rows",
    )


# --- alpaca -------------------------------------------------------------------------------------------


def _format_with_spans(
    fmt: str, values: dict[str, tuple[str, str]], literal_part: str, offset: int
) -> tuple[str, list[tuple[int, int, str]]]:
    """`fmt.format(**values)` that also returns (start, end, part) for every literal and field piece."""
    pieces: list[str] = []
    spans: list[tuple[int, int, str]] = []
    pos = offset
    for literal, field_name, _spec, _conv in Formatter().parse(fmt):
        if literal:
            pieces.append(literal)
            spans.append((pos, pos + len(literal), literal_part))
            pos += len(literal)
        if field_name is not None:
            text, part = values[field_name]
            pieces.append(text)
            spans.append((pos, pos + len(text), part))
            pos += len(text)
    return "".join(pieces), spans


def render_alpaca(
    instruction: str,
    input_text: str,
    output: str,
    system: str | None,
    template: PromptTemplate,
    info: TokenizerInfo,
    settings: MaskSettings,
) -> Rendered:
    """Axolotl's AlpacaPrompter text; the prompt is trained only with train_on_inputs, the response and
    EOS always."""
    f = template.formats
    has_input = bool(input_text)
    system_text = system if system else (f["system_prompt"] if has_input else f["system_no_input_prompt"])
    values = {
        "system": (system_text, "system"),
        "instruction": (instruction, "user"),
        "input": (input_text, "user"),
    }
    text = ""
    raw: list[tuple[int, int, str]] = []
    if system_text:
        text, raw = _format_with_spans(f["system_format"], values, "prompt", 0)
    turn, turn_spans = _format_with_spans(
        f["turn_format" if has_input else "turn_no_input_format"], values, "prompt", len(text)
    )
    text += turn
    raw += turn_spans
    spans = [Span(a, b, part, settings.train_on_inputs) for a, b, part in raw if b > a]
    if output:
        if template.response_as_separate_text and info.prefixes_space:
            output = " " + output
        start = len(text)
        text += output
        spans.append(Span(start, len(text), "assistant", True))
        if info.eos_token and not output.endswith(info.eos_token):
            spans.append(Span(len(text), len(text) + len(info.eos_token), "special", True))
            text += info.eos_token
    return Rendered(
        text=text,
        spans=spans,
        add_special_tokens=True,
        default_trained=settings.train_on_inputs,
        default_part="prompt",
    )


def _chat_as_alpaca(
    example: Any, template: PromptTemplate, info: TokenizerInfo, settings: MaskSettings
) -> Rendered:
    messages = list(example.messages)
    system = None
    if messages and messages[0].role == "system":
        system = messages.pop(0).content
    if [m.role for m in messages] != ["user", "assistant"]:
        raise UserError(
            f"{_where(example)}: the alpaca template takes one instruction and one response, but this "
            f"conversation has turns {[m.role for m in messages]}",
            hint="use a chat template (chat_template: tokenizer_default, chatml, ...) for multi-turn data",
        )
    return render_alpaca(messages[0].content, "", messages[1].content, system, template, info, settings)


def alpaca_as_messages(example: Any) -> list[dict[str, Any]]:
    """An alpaca row as a conversation, for rendering it with a chat template."""
    user = example.instruction + (f"\n\n{example.input}" if example.input else "")
    messages = [{"role": "user", "content": user}, {"role": "assistant", "content": example.output}]
    if example.system:
        messages.insert(0, {"role": "system", "content": example.system})
    return messages


# --- completion and segments -----------------------------------------------------------------------------


def render_completion(text: str, info: TokenizerInfo) -> Rendered:
    """Raw text, every token trained, EOS appended (Axolotl's completion type)."""
    spans = [Span(0, len(text), "completion", True)]
    if info.eos_token and not text.endswith(info.eos_token):
        spans.append(Span(len(text), len(text) + len(info.eos_token), "special", True))
        text += info.eos_token
    return Rendered(
        text=text, spans=spans, add_special_tokens=True, default_trained=True, default_part="special"
    )


def render_segments(segments: list[Any]) -> Rendered:
    """input_output rows: the segments' texts joined; `label` true segments are trained."""
    text = ""
    spans = []
    for segment in segments:
        start = len(text)
        text += segment.text
        if segment.text:
            spans.append(Span(start, len(text), "output" if segment.label else "input", bool(segment.label)))
    return Rendered(text=text, spans=spans, add_special_tokens=True, default_part="special")
