"""Render a `PreferenceRow` to text and tokens exactly as the preference trainer sees them.

Conversational rows go through the config's chat template: the prompt with the generation prompt, each
answer as the text the template adds after it (as Axolotl's chat_template strategies cut it). Formatted rows
are used as they are. Tokens: the prompt, then each answer where the tokenized prompt+answer leaves the
tokenized prompt (TRL's rule), an EOS appended to answers that do not end with one (TRL's rule for text
rows), a BOS in front when the tokenizer adds one and the text has none. Then `max_prompt_len` keeps the
prompt's last tokens and `sequence_len` is held by `excess_length_strategy` (drop, the default, or truncate
the answers), as Axolotl does for preference data.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ftui.core.data.rows import RowError
from ftui.core.labels import IGNORE_INDEX
from ftui.core.preference.rows import PreferenceRow
from ftui.core.templates.tokenizer_info import TokenizerInfo


@dataclass
class PreferenceTexts:
    prompt: str
    chosen: str
    rejected: str | None


@dataclass
class PreferenceTokens:
    """What one example trains on. `chosen_ids` is KTO's completion (`rejected_ids` None, `label` set)."""

    origin: str
    prompt_ids: list[int]
    chosen_ids: list[int]
    rejected_ids: list[int] | None
    label: bool | None = None
    prompt_cut: int = 0  # tokens dropped from the start of the prompt (max_prompt_len)
    answer_cut: int = (
        0  # tokens dropped from the end of the longest answer (excess_length_strategy: truncate)
    )

    def trl_row(self) -> dict[str, Any]:
        """The pre-tokenized row the TRL trainers take."""
        if self.rejected_ids is None:
            return {
                "prompt_ids": self.prompt_ids,
                "completion_ids": self.chosen_ids,
                "label": bool(self.label),
            }
        return {
            "prompt_ids": self.prompt_ids,
            "chosen_ids": self.chosen_ids,
            "rejected_ids": self.rejected_ids,
        }

    @property
    def longest(self) -> int:
        return len(self.prompt_ids) + max(len(self.chosen_ids), len(self.rejected_ids or []))


def render_texts(row: PreferenceRow, chat_source: str | None, info: TokenizerInfo) -> PreferenceTexts:
    """The prompt and answer strings of a row."""
    if isinstance(row.prompt, str):
        return PreferenceTexts(row.prompt, row.chosen, row.rejected)
    from ftui.core.templates.jinja_env import render_chat

    if chat_source is None:
        raise RowError("conversational preference rows need a chat template (set chat_template:)")
    where = str(row.origin)
    prompt = render_chat(chat_source, row.prompt, info.context, add_generation_prompt=True, where=where)

    def answer_text(content: str) -> str:
        full = render_chat(
            chat_source, [*row.prompt, {"role": "assistant", "content": content}], info.context, where=where
        )
        if full.startswith(prompt):
            return full[len(prompt) :].rstrip()
        start = full.rfind(content)  # a template that renders the prompt differently once answered
        return full[start:].rstrip() if start >= 0 else content

    rejected = answer_text(row.rejected) if row.rejected is not None else None
    return PreferenceTexts(prompt, answer_text(row.chosen), rejected)


def _encode(info: TokenizerInfo, text: str) -> list[int]:
    return list(info.backend.encode(text, add_special_tokens=False).ids)


def _adds_bos(info: TokenizerInfo) -> bool:
    if info.bos_id is None:
        return False
    ids = info.tokenizer("a", add_special_tokens=True)["input_ids"]
    return bool(ids) and ids[0] == info.bos_id


def _common_prefix(a: list[int], b: list[int]) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


def tokenize_texts(
    texts: PreferenceTexts, info: TokenizerInfo
) -> tuple[list[int], list[int], list[int] | None]:
    """(prompt_ids, chosen_ids, rejected_ids) before any length limit."""
    prompt_ids = _encode(info, texts.prompt)
    if _adds_bos(info) and prompt_ids[:1] != [info.bos_id]:
        prompt_ids = [info.bos_id, *prompt_ids]
    answers = []
    for answer in (texts.chosen, texts.rejected):
        if answer is None:
            answers.append(None)
            continue
        full = _encode(info, texts.prompt + answer)
        if prompt_ids[:1] == [info.bos_id] and full[:1] != [info.bos_id]:
            full = [info.bos_id, *full]
        answers.append(full)
    cut = min(_common_prefix(prompt_ids, full) for full in answers if full is not None)
    out: list[list[int] | None] = []
    for full in answers:
        if full is None:
            out.append(None)
            continue
        ids = full[cut:]
        if info.eos_id is not None and ids[-1:] != [info.eos_id]:
            ids = [*ids, info.eos_id]
        out.append(ids)
    return prompt_ids[:cut], out[0] or [], out[1]


def fit(
    tokens: PreferenceTokens, *, max_prompt_len: int | None, sequence_len: int, strategy: str
) -> PreferenceTokens | None:
    """Apply max_prompt_len and sequence_len; None when the example must be left out (too long)."""
    if max_prompt_len and len(tokens.prompt_ids) > max_prompt_len:
        tokens.prompt_cut = len(tokens.prompt_ids) - max_prompt_len
        tokens.prompt_ids = tokens.prompt_ids[-max_prompt_len:]
    if tokens.longest <= sequence_len:
        return tokens
    room = sequence_len - len(tokens.prompt_ids)
    if strategy != "truncate" or room <= 0:
        return None
    tokens.answer_cut = tokens.longest - sequence_len
    tokens.chosen_ids = tokens.chosen_ids[:room]
    if tokens.rejected_ids is not None:
        tokens.rejected_ids = tokens.rejected_ids[:room]
    return tokens


def tokenize_row(
    row: PreferenceRow,
    chat_source: str | None,
    info: TokenizerInfo,
    *,
    max_prompt_len: int | None,
    sequence_len: int,
    strategy: str = "drop",
) -> PreferenceTokens | None:
    texts = render_texts(row, chat_source, info)
    prompt_ids, chosen_ids, rejected_ids = tokenize_texts(texts, info)
    tokens = PreferenceTokens(str(row.origin), prompt_ids, chosen_ids, rejected_ids, row.label)
    return fit(tokens, max_prompt_len=max_prompt_len, sequence_len=sequence_len, strategy=strategy)


def labeled(tokens: PreferenceTokens, which: str, info: TokenizerInfo) -> list[Any]:
    """Per-token views (text, id, label, part, trained) of prompt + one answer, for `ftui debug`."""
    from ftui.core.templates.types import TokenInfo

    answer = tokens.chosen_ids if which != "rejected" else tokens.rejected_ids or []
    ids = tokens.prompt_ids + answer
    texts = [info.tokenizer.decode([i]) for i in ids]
    out = []
    for n, (token_id, text) in enumerate(zip(ids, texts, strict=True)):
        in_prompt = n < len(tokens.prompt_ids)
        part = "prompt" if in_prompt else which
        label = IGNORE_INDEX if in_prompt else token_id
        out.append(TokenInfo(text=text, id=token_id, label=label, part=part, trained=not in_prompt))
    return out
