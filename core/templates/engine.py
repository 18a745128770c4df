"""Render + tokenize + mask: the one place that turns examples into `input_ids` / `labels`.

Every text is tokenized whole, once, in a batch (the Rust tokenizer's `encode_batch`); each span's character
range is mapped to tokens through the encoding's offsets (`char_to_token`), so token boundaries are exactly
those of the full text. Labels are then built from the spans by core/templates/masking.py.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from ftui.core.errors import UserError
from ftui.core.templates.library import PromptTemplate, load_template
from ftui.core.templates.masking import labels_from_spans
from ftui.core.templates.pieces import join_pieces, piece_texts
from ftui.core.templates.render import render_example
from ftui.core.templates.tokenizer_info import TokenizerInfo, tokenizer_info
from ftui.core.templates.types import (
    IGNORE_INDEX,
    BatchResult,
    ExampleStats,
    MaskSettings,
    PieceRendered,
    Rendered,
    TokenizedExample,
)


def _template(template: PromptTemplate | str) -> PromptTemplate:
    return load_template(template) if isinstance(template, str) else template


class Tokenizing:
    """Settings bound to one template and tokenizer; `run` tokenizes any number of examples."""

    def __init__(
        self, template: PromptTemplate | str, tokenizer: Any, settings: MaskSettings | None = None
    ) -> None:
        self.template = _template(template)
        self.info: TokenizerInfo = tokenizer_info(tokenizer)
        self.settings = settings or MaskSettings()
        eos = {self.info.eos_id} if self.info.eos_id is not None else set()
        self.eos_ids = frozenset(eos)
        self.eot_ids = frozenset(self._eot_ids(eos))
        self.notes = self._notes()

    def _eot_ids(self, eos: set[int]) -> set[int]:
        """Axolotl's rule: the `eot_tokens` of the config (each one token), else the EOS token; with the EOS
        token among them, train_on_eos and train_on_eot must agree (Axolotl refuses otherwise)."""
        tokens = self.settings.eot_tokens
        ids = (
            {i for i in (self.info.single_token_id(t) for t in tokens) if i is not None}
            if tokens
            else set(eos)
        )
        eot_mode = self.settings.train_on_eot or self.settings.train_on_eos
        if eos & ids and eot_mode != self.settings.train_on_eos:
            raise UserError(
                f"the EOS token ends turns too (eot_tokens), but train_on_eos is {self.settings.train_on_eos!r} "
                f"and train_on_eot {eot_mode!r}",
                hint="make them equal, or give eot_tokens without the EOS token (Axolotl refuses this too)",
            )
        return ids

    def _notes(self) -> list[str]:
        """What a user should know about the end-of-turn tokens (shown by `ftui debug` and preprocess)."""
        stops = self.template.stop_tokens
        if self.template.fallback and self.info.chat_template is None:
            stops = load_template(self.template.fallback).stop_tokens
        untrained = [
            t for t in stops if (i := self.info.single_token_id(t)) is not None and i not in self.eot_ids
        ]
        if untrained and self.settings.eot_tokens is None:
            return [
                f"the template ends turns with {untrained[0]}, which is not the tokenizer's EOS token: it is not "
                f"trained (as in Axolotl); add eot_tokens: [{untrained[0]!r}] to train it"
            ]
        return []

    def render(self, example: Any) -> Rendered:
        return render_example(example, self.template, self.info, self.settings)

    def run(self, examples: Sequence[Any]) -> list[TokenizedExample]:
        """Tokenize and mask examples (no length limit applied; see `limit_length`)."""
        results: list[TokenizedExample | None] = [None] * len(examples)
        groups: dict[bool, list[tuple[int, Rendered]]] = {True: [], False: []}
        pieced: list[tuple[int, PieceRendered]] = []
        for i, example in enumerate(examples):
            if getattr(example, "kind", None) == "tokenized":
                results[i] = self._pretokenized(example)
                continue
            rendered = self.render(example)
            if isinstance(rendered, PieceRendered):
                pieced.append((i, rendered))
            else:
                groups[rendered.add_special_tokens].append((i, rendered))
        if pieced:
            self._run_pieces(pieced, results)
        for add_special, items in groups.items():
            if not items:
                continue
            encodings = self.info.backend.encode_batch(
                [r.text for _, r in items], add_special_tokens=add_special
            )
            for (i, rendered), encoding in zip(items, encodings, strict=True):
                results[i] = self._example(rendered, encoding)
        return results  # type: ignore[return-value]

    def _run_pieces(self, pieced: list[tuple[int, PieceRendered]], results: list[Any]) -> None:
        """Legacy types: every piece of every example encoded in one batch, then joined per example."""
        texts = [piece_texts(rendered) for _, rendered in pieced]
        flat = [text for group in texts for text in group]
        encodings = iter(self.info.backend.encode_batch(flat, add_special_tokens=True))
        for (i, rendered), group in zip(pieced, texts, strict=True):
            results[i] = join_pieces(rendered, [next(encodings) for _ in group], self.info)

    def _example(self, rendered: Rendered, encoding: Any) -> TokenizedExample:
        ids, labels, runs = labels_from_spans(rendered, encoding, self.eot_ids, self.eos_ids, self.settings)
        return TokenizedExample.fresh(ids, labels, rendered, runs, rendered.default_part, encoding, self.info)

    def _pretokenized(self, example: Any) -> TokenizedExample:
        ids = list(example.input_ids)
        labels = list(example.labels) if example.labels is not None else list(ids)
        mask = list(example.attention_mask) if example.attention_mask is not None else [1] * len(ids)
        trained = len(labels) - labels.count(IGNORE_INDEX)
        return TokenizedExample(
            input_ids=ids,
            labels=labels,
            attention_mask=mask,
            stats=ExampleStats(tokens=len(ids), trained_tokens=trained, original_tokens=len(ids)),
            default_part="pretokenized",
            special_ids=self.info.special_ids,
            id_to_piece=self.info.pieces,
        )

    def limit_length(self, example: TokenizedExample) -> TokenizedExample | None:
        """Apply `sequence_len`: None when the example is dropped, else the (possibly truncated) example."""
        limit = self.settings.sequence_len
        if len(example.input_ids) <= limit:
            return example
        example.stats.over_length = True
        if self.settings.excess_length_strategy == "drop":
            return None
        return truncate(example, limit)


def truncate(example: TokenizedExample, limit: int) -> TokenizedExample:
    example.input_ids = example.input_ids[:limit]
    example.labels = example.labels[:limit]
    example.attention_mask = example.attention_mask[:limit]
    example.part_runs = [(a, min(b, limit), p) for a, b, p in example.part_runs if a < limit]
    example.stats.truncated = True
    example.stats.tokens = limit
    example.stats.trained_tokens = limit - example.labels.count(IGNORE_INDEX)
    example.__dict__.pop("parts", None)
    example.__dict__.pop("tokens", None)
    return example


def tokenize_batch(
    examples: Iterable[Any],
    template: PromptTemplate | str,
    tokenizer: Any,
    settings: MaskSettings | None = None,
    batch_size: int = 1000,
) -> BatchResult:
    """Tokenize and mask many examples; drop or truncate those over `sequence_len`, counting both.

    Kept examples come back in source order with their source indices (`kept_indices`)."""
    job = Tokenizing(template, tokenizer, settings)
    result = BatchResult(examples=[], kept_indices=[])
    chunk: list[Any] = []
    start = 0

    def flush() -> None:
        nonlocal start
        for offset, example in enumerate(job.run(chunk)):
            index = start + offset
            limited = job.limit_length(example)
            if limited is None:
                result.dropped += 1
                result.dropped_indices.append(index)
                continue
            result.truncated += int(limited.stats.truncated)
            result.examples.append(limited)
            result.kept_indices.append(index)
        start += len(chunk)
        chunk.clear()

    for example in examples:
        chunk.append(example)
        if len(chunk) >= batch_size:
            flush()
    if chunk:
        flush()
    return result


def tokenize_example(
    example: Any, template: PromptTemplate | str, tokenizer: Any, settings: MaskSettings | None = None
) -> TokenizedExample:
    """One example. Over-length examples are kept and marked (`stats.over_length`), truncated under
    `excess_length_strategy: truncate`, so a UI can still show them."""
    job = Tokenizing(template, tokenizer, settings)
    tokenized = job.run([example])[0]
    limited = job.limit_length(tokenized)
    return limited if limited is not None else tokenized


def preview_example(
    example: Any, template: PromptTemplate | str, tokenizer: Any, settings: MaskSettings | None = None
) -> TokenizedExample:
    """The TUI's live mask view: one example with its per-token parts; cheap enough to rerun on every toggle."""
    return tokenize_example(example, template, tokenizer, settings)


def check_template_fits(template: PromptTemplate | str, tokenizer: Any) -> None:
    """Raise a `UserError` early when the template cannot work with this tokenizer (no chat template)."""
    job = Tokenizing(template, tokenizer)
    if job.template.kind == "tokenizer" and job.info.chat_template is None and not job.template.fallback:
        raise UserError(
            "the tokenizer has no chat template (config: chat_template: tokenizer_default)",
            hint="choose a shipped template instead, e.g. chat_template: chatml, llama3, mistral, gemma or phi3",
        )
