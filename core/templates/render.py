"""Turn one example into text plus character spans (which part each range is, and whether it is trained).

Chat templates: the whole conversation is rendered once; to find where message i's content sits in that
text, the conversation is rendered again with message i's content replaced by a placeholder, and the two
texts are compared (the range where they differ is the content). This is Axolotl's `find_turn` idea done
on characters of the full conversation, so it also works for templates that change earlier text depending
on later messages. Tokens come later, from one tokenization of the whole text.
"""

from __future__ import annotations

from string import Formatter
from typing import Any

from ftui.core.errors import UserError
from ftui.core.templates.jinja_env import render_chat
from ftui.core.templates.library import PromptTemplate
from ftui.core.templates.tokenizer_info import TokenizerInfo
from ftui.core.templates.types import MaskSettings, Rendered, Span

# A private-use character: never equal to the first/last character of real content, so the text that
# differs between the real and the placeholder render is exactly the content.
PLACEHOLDER = "\ue000"
# Markers around every content for the one-render fast path (private-use characters as well).
OPEN, CLOSE = "\ue001", "\ue002"


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


# --- chat ----------------------------------------------------------------------------------------------


def _message_dict(message: Any) -> dict[str, Any]:
    if isinstance(message, dict):
        return {k: v for k, v in message.items() if v is not None and k not in ("train", "original_role")}
    out = {"role": message.role, "content": message.content}
    for key in ("name", "tool_calls", "tool_call_id"):
        value = getattr(message, key, None)
        if value is not None:
            out[key] = value
    return out


def _train_flag(message: Any) -> bool | None:
    if isinstance(message, dict):
        return message.get("train")
    return getattr(message, "train", None)


def _common_prefix(a: str, b: str) -> int:
    """Length of the common prefix, by bisection on C-level slice compares (fast for long texts)."""
    lo, hi = 0, min(len(a), len(b))
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if a[:mid] == b[:mid]:
            lo = mid
        else:
            hi = mid - 1
    return lo


def _common_suffix(a: str, b: str) -> int:
    lo, hi = 0, min(len(a), len(b))
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if a[len(a) - mid :] == b[len(b) - mid :]:
            lo = mid
        else:
            hi = mid - 1
    return lo


def chat_source(template: PromptTemplate, info: TokenizerInfo) -> str:
    if template.kind == "tokenizer":
        if info.chat_template is None and template.fallback:
            from ftui.core.templates.library import load_template

            return chat_source(load_template(template.fallback), info)
        if info.chat_template is None:
            raise UserError(
                "the tokenizer has no chat template (config: chat_template: tokenizer_default)",
                hint="choose a shipped template instead, e.g. chat_template: chatml, llama3, mistral, gemma or phi3",
            )
        return info.chat_template
    assert template.jinja is not None
    return template.jinja


def render_chat_example(
    messages: list[Any],
    tools: list[dict[str, Any]] | None,
    template: PromptTemplate,
    info: TokenizerInfo,
    settings: MaskSettings,
    where: str = "",
) -> Rendered:
    from ftui.core.data.formats import DEFAULT_ROLES

    source = chat_source(template, info)
    dicts = [_message_dict(m) for m in messages]
    text = render_chat(source, dicts, info.context, tools=tools, where=where)
    ranges = _marked_ranges(source, dicts, text, info, tools, where)
    if ranges is None:
        ranges = [_placeholder_range(source, dicts, i, text, info, tools, where) for i in range(len(dicts))]
    roles_to_train = {DEFAULT_ROLES.get(r, r) for r in settings.roles_to_train}
    spans = []
    for (start, end), message, original in zip(ranges, dicts, messages, strict=True):
        flag = _train_flag(original)
        trained = (
            flag if flag is not None else (settings.train_on_inputs or message["role"] in roles_to_train)
        )
        spans.append(Span(start, max(start, end), message["role"], bool(trained), turn=True))
    return Rendered(text=text, spans=spans, add_special_tokens=False)


def _placeholder_range(
    source: str, dicts: list[dict], i: int, text: str, info: TokenizerInfo, tools: Any, where: str
) -> tuple[int, int]:
    """Where message i's content is in `text`: render again with a placeholder content, compare."""
    # Like Axolotl's find_turn, the stand-in keeps only the role: what the template renders from the
    # message's other fields (tool_calls, name) counts as part of the turn, so a tool call is trained.
    swapped = dicts[:i] + [{"role": dicts[i]["role"], "content": PLACEHOLDER}] + dicts[i + 1 :]
    other = render_chat(source, swapped, info.context, tools=tools, where=where)
    start = _common_prefix(text, other)
    return start, len(text) - _common_suffix(text[start:], other[start:])


def _marked_ranges(
    source: str, dicts: list[dict], text: str, info: TokenizerInfo, tools: Any, where: str
) -> list[tuple[int, int]] | None:
    """All contents' ranges from one render with markers around every content. Only trusted when the
    template copied every content verbatim, once, in order (removing the markers gives exactly `text`);
    otherwise (trimming, rewriting, dropping messages) None, and the placeholder method is used."""
    if any(set(d) - {"role", "content"} for d in dicts):
        return None  # tool calls and names belong to the turn too: the placeholder method covers them
    contents = [d.get("content") for d in dicts]
    if not all(isinstance(c, str) and OPEN not in c and CLOSE not in c for c in contents):
        return None
    marked = [{**d, "content": OPEN + d["content"] + CLOSE} for d in dicts]
    rendered = render_chat(source, marked, info.context, tools=tools, where=where)
    if rendered.count(OPEN) != len(dicts) or rendered.count(CLOSE) != len(dicts):
        return None
    pieces: list[str] = []
    ranges: list[tuple[int, int]] = []
    plain_len = pos = 0
    for _ in dicts:
        open_at = rendered.find(OPEN, pos)
        close_at = rendered.find(CLOSE, open_at + 1)
        if open_at < 0 or close_at < 0 or OPEN in rendered[open_at + 1 : close_at]:
            return None
        pieces += [rendered[pos:open_at], rendered[open_at + 1 : close_at]]
        start = plain_len + open_at - pos
        end = start + close_at - open_at - 1
        ranges.append((start, end))
        plain_len = end
        pos = close_at + 1
    pieces.append(rendered[pos:])
    if "".join(pieces) != text:
        return None
    return ranges


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
