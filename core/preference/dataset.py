"""Read a preference config's `datasets:` (and `test_datasets:` / `val_set_size`) into tokenized examples.

Bad rows are collected and reported as `file:line: reason` in one error (or left out with
`skip_bad_rows: true`), like SFT data; examples longer than `sequence_len` are dropped or truncated
(`excess_length_strategy`) and counted.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from ftui.core.data.model import BadRow
from ftui.core.data.report import BadRowLog, DataError
from ftui.core.data.rows import RowError
from ftui.core.errors import UserError
from ftui.core.preference.methods import method_name
from ftui.core.preference.rows import EntryKeys, PreferenceRow
from ftui.core.preference.tokens import PreferenceTokens, tokenize_row
from ftui.core.preference.types import parser_for


@dataclass
class PreferenceData:
    train: list[PreferenceTokens] = field(default_factory=list)
    eval: list[PreferenceTokens] = field(default_factory=list)
    dropped_long: int = 0
    truncated: int = 0
    bad_rows: int = 0


def iter_rows(entry: Any, base_dir: Any, method: str, log: BadRowLog) -> Iterator[PreferenceRow]:
    """The usable rows of one dataset entry; bad ones go to `log`."""
    from ftui.core.data.settings import dataset_settings
    from ftui.core.data.sources import open_source

    keys = EntryKeys.of(entry)
    source = open_source(dataset_settings(entry), base_dir)
    parser = None
    for raw in source.rows():
        if raw.error is not None:
            log.add(BadRow(raw.origin, raw.error))
            continue
        try:
            if parser is None:
                parser = parser_for(keys, method, raw.value)
            if not isinstance(raw.value, dict):
                raise RowError("a preference row must be an object")
            yield parser(raw.value, keys, raw.origin)
        except RowError as err:
            log.add(BadRow(raw.origin, err.reason))
        except RecursionError:
            log.add(BadRow(raw.origin, "nested too deeply"))


class Renderer:
    """Tokenizes rows of one entry; the chat template is looked up once, when a row needs it."""

    def __init__(self, config: Any, entry: Any, tokenizer: Any) -> None:
        from ftui.core.templates.tokenizer_info import tokenizer_info

        self.config, self.entry = config, entry
        self.info = tokenizer_info(tokenizer)
        self._source: str | None = None

    def chat_source(self) -> str:
        if self._source is None:
            from ftui.core.templates.chat_spans import chat_source
            from ftui.core.templates.library import template_from_config

            template = template_from_config(self.config, self.entry)
            if template.kind not in ("chat", "tokenizer"):
                raise UserError(
                    f"chat_template {template.name!r} is not a chat template; preference rows with messages "
                    "are rendered with one",
                    hint="set chat_template: (e.g. chatml, llama3, tokenizer_default)",
                )
            self._source = chat_source(template, self.info)
        return self._source

    def tokens(self, row: PreferenceRow) -> PreferenceTokens | None:
        source = None if row.formatted else self.chat_source()
        return tokenize_row(
            row,
            source,
            self.info,
            max_prompt_len=getattr(self.config, "max_prompt_len", None),
            sequence_len=int(self.config.sequence_len),
            strategy=getattr(self.config, "excess_length_strategy", "drop") or "drop",
        )


def tokenized_entry(
    config: Any, entry: Any, tokenizer: Any, log: BadRowLog, data: PreferenceData, limit: int | None = None
) -> Iterator[PreferenceTokens]:
    renderer = Renderer(config, entry, tokenizer)
    count = 0
    for row in iter_rows(entry, config.base_dir, method_name(config), log):
        try:
            tokens = renderer.tokens(row)
        except RowError as err:
            log.add(BadRow(row.origin, err.reason))
            continue
        if tokens is None:
            data.dropped_long += 1
            continue
        data.truncated += bool(tokens.answer_cut)
        count += 1
        yield tokens
        if limit is not None and count >= limit:
            return


def _entries(config: Any, name: str, tokenizer: Any, data: PreferenceData) -> list[PreferenceTokens]:
    log = BadRowLog()
    out: list[PreferenceTokens] = []
    entries = list(getattr(config, name) or [])
    for entry in entries:
        out += tokenized_entry(config, entry, tokenizer, log, data)
    data.bad_rows += log.count
    where = ", ".join(str(getattr(e, "path", "?")) for e in entries)
    if log.count and not getattr(config, "skip_bad_rows", False):
        raise log.error(where)
    if not out:
        raise DataError(
            f"no usable preference examples in {where}"
            + (
                f" ({data.dropped_long} longer than sequence_len {config.sequence_len})"
                if data.dropped_long
                else ""
            ),
            "check `type:` and the field names, or raise sequence_len",
        )
    return out


def load_preference_data(config: Any, tokenizer: Any) -> PreferenceData:
    """Train and eval examples of a preference config (val_set_size split with the config's seed)."""
    data = PreferenceData()
    train = _entries(config, "datasets", tokenizer, data)
    if getattr(config, "test_datasets", None):
        data.train, data.eval = train, _entries(config, "test_datasets", tokenizer, data)
        return data
    size = config.val_set_size or 0
    count = int(size) if size >= 1 else int(round(len(train) * size))
    if count <= 0:
        data.train = train
        return data
    if count >= len(train):
        raise UserError(
            f"val_set_size {size:g} takes {min(count, len(train))} of the {len(train)} usable preference examples, leaving none "
            "to train on"
            + (f" ({data.dropped_long} were longer than sequence_len)" if data.dropped_long else ""),
            hint="lower val_set_size, raise sequence_len, or set excess_length_strategy: truncate",
        )
    order = list(range(len(train)))
    random.Random(config.seed).shuffle(order)
    held = set(order[:count])
    data.train = [t for i, t in enumerate(train) if i not in held]
    data.eval = [t for i, t in enumerate(train) if i in held]
    return data


def preview(
    config: Any, tokenizer: Any, count: int
) -> tuple[list[PreferenceTokens], BadRowLog, PreferenceData]:
    """The first `count` examples of the first datasets, for `ftui debug` and the wizard."""
    log, data, out = BadRowLog(), PreferenceData(), []
    for entry in config.datasets:
        out += tokenized_entry(config, entry, tokenizer, log, data, limit=count - len(out))
        if len(out) >= count:
            break
    return out, log, data


def summary(data: PreferenceData, method: str) -> dict[str, Any]:
    """`ftui preprocess` for a preference config: what the trainer will get (it tokenizes at start; nothing
    is saved to dataset_prepared_path for preference data)."""
    every = data.train + data.eval
    lengths = sorted(t.longest for t in every)
    return {
        "method": method,
        "train_examples": len(data.train),
        "eval_examples": len(data.eval),
        "dropped_too_long": data.dropped_long,
        "truncated": data.truncated,
        "bad_rows": data.bad_rows,
        "prompt_tokens": sum(len(t.prompt_ids) for t in every),
        "answer_tokens": sum(len(t.chosen_ids) + len(t.rejected_ids or []) for t in every),
        "longest_sequence": lengths[-1] if lengths else 0,
        "median_sequence": lengths[len(lengths) // 2] if lengths else 0,
    }
