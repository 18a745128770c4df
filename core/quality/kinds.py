"""The problem kinds an audit reports, in the order they are shown, each with the one line the UI and docs use.

Kept free of imports so the config schema can validate `dataset_drop:` against it cheaply.
"""

from __future__ import annotations

KINDS: dict[str, str] = {
    "exact_duplicate": "an identical parsed record appeared earlier (the first one is kept)",
    "near_duplicate": "almost the same text as an earlier row (MinHash + LSH over character n-grams)",
    "empty_response": "the answer to train on is empty",
    "assertion_failed": "the row's answer fails the assertion function (eval_assertions or --assert)",
    "too_long": "longer than sequence_len after templating",
    "no_trainable_tokens": "no token of the row would be trained (check train_on_inputs, roles_to_train)",
    "template_tokens_in_content": "a message contains chat-template markup such as <|im_end|> or [INST]",
    "low_complexity": "an answer far shorter than the rest, a repetitive one, or one that repeats the prompt",
    "high_complexity": "far longer than the rest of the dataset, or with very many turns",
    "bad_row": "cannot be read as the dataset's format (the reason is given)",
}
# Not found by `audit`: rows a judge marked bad (`ftui judge`), dropped with `data clean --judgements FILE`.
JUDGE_FAILED = "judge_failed"
DROP_KINDS: tuple[str, ...] = (*KINDS, JUDGE_FAILED)

# Kinds that need a tokenizer (and so the config's model); `--no-tokens` skips them.
TOKEN_KINDS: tuple[str, ...] = ("too_long", "no_trainable_tokens")


def parse_kinds(
    values: list[str] | tuple[str, ...] | str, allowed: tuple[str, ...] = DROP_KINDS
) -> list[str]:
    """`a,b` or repeated values -> known kind names in KINDS order; ValueError naming an unknown one."""
    items = [values] if isinstance(values, str) else list(values)
    names = [part.strip() for item in items for part in str(item).split(",") if part.strip()]
    unknown = [name for name in names if name not in allowed]
    if unknown:
        raise ValueError(f"unknown kind {unknown[0]!r}; choose from {', '.join(allowed)}")
    return [kind for kind in allowed if kind in names]
