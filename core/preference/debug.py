"""`ftui debug` for preference configs: each example's prompt with its chosen and its rejected answer (KTO:
its one completion and label), token by token with labels, after max_prompt_len / sequence_len."""

from __future__ import annotations

from typing import Any

from ftui.core.debug_dump import ExampleView, legend, render_text, render_tokens
from ftui.core.preference.tokens import PreferenceTokens, labeled


def views(example: PreferenceTokens, index: int, info: Any) -> list[tuple[str, ExampleView]]:
    """(title, view) for the chosen and the rejected sequence (KTO: the completion)."""
    parts = ["chosen", "rejected"] if example.rejected_ids is not None else ["completion"]
    out = []
    for part in parts:
        tokens = labeled(example, "rejected" if part == "rejected" else "chosen", info)
        if part == "completion":
            part = f"completion ({'desirable' if example.label else 'undesirable'})"
        out.append((part, ExampleView(index=index, origin=example.origin, tokens=tokens)))
    return out


def notes(example: PreferenceTokens) -> list[str]:
    out = []
    if example.prompt_cut:
        out.append(f"prompt cut by {example.prompt_cut} tokens at its start (max_prompt_len)")
    if example.answer_cut:
        out.append(f"answers cut by up to {example.answer_cut} tokens at their end (sequence_len)")
    return out


def render(examples: list[PreferenceTokens], info: Any, color: bool, text_only: bool) -> str:
    render_one = render_text if text_only else render_tokens
    blocks = [legend(color, text_only)]
    for index, example in enumerate(examples):
        for title, view in views(example, index, info):
            blocks.append(
                f"[{title}]" + "".join(f" ({n})" for n in notes(example)) + "\n" + render_one(view, color)
            )
    return "\n\n".join(blocks) + "\n"


def as_json(examples: list[PreferenceTokens], info: Any) -> list[dict[str, Any]]:
    out = []
    for index, example in enumerate(examples):
        item: dict[str, Any] = {
            "index": index,
            "origin": example.origin,
            "prompt_tokens": len(example.prompt_ids),
            "prompt_cut": example.prompt_cut,
            "answer_cut": example.answer_cut,
        }
        if example.label is not None:
            item["label"] = example.label
        for title, view in views(example, index, info):
            item[title.split(" ")[0]] = view.to_dict()
        out.append(item)
    return out
