"""The token-level facts of rows: length after templating, trained tokens, and the kinds that follow from
them (`too_long`, `no_trainable_tokens`), computed with the same template, mask and length rules as
preprocessing. Rows are tokenized in chunks; a chunk the template cannot render is retried row by row, so one
bad conversation is reported as that row instead of failing the audit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class TokenFacts:
    tokens: int  # after templating, before any truncation
    trained: int  # tokens trained as the row would be trained (after truncation under `truncate`)
    too_long: bool
    error: str | None = None  # the template could not render the row


class RowTokenizer:
    """Token facts for the examples of one dataset entry (its template and mask settings)."""

    def __init__(self, config: Any, entry: Any, tokenizer: Any) -> None:
        from ftui.core.templates import MaskSettings, Tokenizing, check_template_fits
        from ftui.core.templates.library import template_from_config

        template = template_from_config(config, entry)
        check_template_fits(template, tokenizer)
        self.job = Tokenizing(template, tokenizer, MaskSettings.from_config(config, entry))
        self.template = self.job.template

    def facts(self, examples: list[Any]) -> list[TokenFacts]:
        try:
            tokenized = self.job.run(examples)
        except Exception:  # noqa: BLE001 - find which rows fail, one by one
            return [self._one(example) for example in examples]
        return [self._facts(example, t) for example, t in zip(examples, tokenized, strict=True)]

    def _one(self, example: Any) -> TokenFacts:
        try:
            return self._facts(example, self.job.run([example])[0])
        except Exception as exc:  # noqa: BLE001 - the template's own message says why
            message = getattr(exc, "message", None) or f"{type(exc).__name__}: {exc}"
            return TokenFacts(0, 0, False, error=f"the template cannot render this row: {message}")

    def _facts(self, example: Any, tokenized: Any) -> TokenFacts:
        tokens = len(tokenized.input_ids)
        trained = tokenized.stats.trained_tokens
        if getattr(example, "kind", None) == "completion":  # long texts are split into windows, not dropped
            return TokenFacts(tokens, trained, False)
        limited = self.job.limit_length(tokenized)
        too_long = tokens > self.job.settings.sequence_len
        if limited is not None:
            trained = limited.stats.trained_tokens
        return TokenFacts(tokens, trained, too_long)
