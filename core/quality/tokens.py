"""The token-level facts of rows: length after templating, trained tokens, and the kinds that follow from
them (`too_long`, `no_trainable_tokens`), computed with the same template, mask and length rules as
preprocessing. Rows are tokenized in chunks; a chunk the template cannot render is retried row by row, so one
bad conversation is reported as that row instead of failing the audit.

The audit needs two numbers a row, not a training example: `facts` renders the chunk, encodes it in one
Rust `encode_batch` and counts labels from preprocessing's own `labels_from_spans`, without building the
`TokenizedExample`s (attention masks, stats, truncated copies) that `Tokenizing.run` makes for training.
Legacy piece-by-piece templates and pre-tokenized rows take `reference_facts`, the `Tokenizing.run` path,
which tests compare the fast path with.
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
            return self._counted(examples)
        except Exception:  # noqa: BLE001 - find which rows fail, one by one
            return [self._one(example) for example in examples]

    def reference_facts(self, examples: list[Any]) -> list[TokenFacts]:
        """The same facts through `Tokenizing.run` and `limit_length`, as preprocessing makes them."""
        tokenized = self.job.run(examples)
        return [self._facts(example, t) for example, t in zip(examples, tokenized, strict=True)]

    def _counted(self, examples: list[Any]) -> list[TokenFacts]:
        from ftui.core.templates.masking import labels_from_spans
        from ftui.core.templates.types import Rendered

        job = self.job
        if any(getattr(example, "kind", None) == "tokenized" for example in examples):
            return self.reference_facts(examples)
        rendered = [job.render(example) for example in examples]
        if not all(type(r) is Rendered for r in rendered):  # legacy pieces: tokenized piece by piece
            return self.reference_facts(examples)
        out: list[TokenFacts | None] = [None] * len(examples)
        for add_special in (True, False):
            rows = [i for i, r in enumerate(rendered) if bool(r.add_special_tokens) == add_special]
            if not rows:
                continue
            texts = [rendered[i].text for i in rows]
            encodings = job.info.backend.encode_batch(texts, add_special_tokens=add_special)
            for i, encoding in zip(rows, encodings, strict=True):
                ids, labels, _ = labels_from_spans(
                    rendered[i], encoding, job.eot_ids, job.eos_ids, job.settings
                )
                out[i] = self._from_labels(examples[i], len(ids), labels)
        return out  # type: ignore[return-value]

    def _from_labels(self, example: Any, tokens: int, labels: list[int]) -> TokenFacts:
        """`_facts` from the labels alone: `limit_length` drops (trained count unchanged) or truncates."""
        from ftui.core.templates.types import IGNORE_INDEX

        trained = tokens - labels.count(IGNORE_INDEX)
        if getattr(example, "kind", None) == "completion":
            return TokenFacts(tokens, trained, False)
        limit = self.job.settings.sequence_len
        too_long = tokens > limit
        if too_long and self.job.settings.excess_length_strategy != "drop":
            trained = limit - labels[:limit].count(IGNORE_INDEX)
        return TokenFacts(tokens, trained, too_long)

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
