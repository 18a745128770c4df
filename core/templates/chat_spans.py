"""Chat examples as text plus the character range of every message's content.

The whole conversation is rendered once; to find where message i's content sits in that text, the
conversation is rendered again with message i's content replaced by a placeholder, and the two texts are
compared (the range where they differ is the content). This is Axolotl's `find_turn` idea done on
characters of the full conversation, so it also works for templates that change earlier text depending on
later messages. A one-render fast path with markers around every content is tried first.
"""

from __future__ import annotations

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
