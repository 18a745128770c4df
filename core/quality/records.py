"""What the audit needs to know about one row, taken from its raw value and its normalized `Example`.

A row becomes `RowFacts`: a hash of the parsed record (exact duplicates), the text the near-duplicate search
shingles, the (prompt, answer) pairs assertions are called with, every message content (template markup),
and a few lengths. A row that cannot be normalized is either an `empty_response` (the answer is empty, which
the readers refuse) or a `bad_row` with the reader's reason.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from typing import Any

from ftui.core.data.formats import FormatSpec
from ftui.core.data.model import Example, RowOrigin
from ftui.core.data.rows import RowError, normalize_row


@dataclass(slots=True)
class RowFacts:
    """One row as the audit sees it; `example` is None for rows that could not be normalized."""

    origin: RowOrigin
    record_hash: bytes | None
    example: Example | None = None
    text: str = ""  # what near-duplicate search compares: the row's contents with role marks
    answers: list[tuple[str, str]] = field(default_factory=list)  # (prompt, answer) per trained answer
    contents: list[str] = field(default_factory=list)
    turns: int = 0
    problem: str | None = None  # "empty_response" or "bad_row" for rows that did not normalize
    reason: str = ""


def record_hash(value: Any) -> bytes:
    """Identical parsed records hash alike, whatever their key order or whitespace in the file."""
    text = json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()


def _empty_patterns(spec: FormatSpec) -> re.Pattern[str]:
    answer_roles = [raw for raw, role in spec.roles.items() if role == "assistant"]
    output_key = re.escape(spec.alpaca_fields.get("output", "output"))
    text_key = re.escape(spec.text_field)
    roles = "|".join(re.escape(r) for r in answer_roles) or "assistant"
    return re.compile(
        rf"^field '({output_key}|{text_key})' is empty$"
        rf"|: empty '[^']*' in a ({roles}) turn$"
        rf"|^no segment has label true and text"
    )


class RowReader:
    """Turns raw rows of one dataset (its resolved `FormatSpec`) into `RowFacts`."""

    def __init__(self, spec: FormatSpec) -> None:
        self.spec = spec
        self.empty = _empty_patterns(spec)

    def facts(self, origin: RowOrigin, value: Any, error: str | None) -> RowFacts:
        if error is not None:
            return RowFacts(origin, None, problem="bad_row", reason=error)
        digest = record_hash(value)
        try:
            example = normalize_row(value, self.spec, origin)
        except RowError as exc:
            kind = "empty_response" if self._is_empty(value, exc.reason) else "bad_row"
            return RowFacts(origin, digest, problem=kind, reason=exc.reason)
        except RecursionError:
            return RowFacts(origin, digest, problem="bad_row", reason="nested too deeply")
        facts = RowFacts(origin, digest, example=example)
        _describe(example, facts)
        return facts

    def _is_empty(self, value: Any, reason: str) -> bool:
        if self.empty.search(reason):
            return True
        if self.spec.format == "alpaca" and isinstance(value, dict):
            key = self.spec.alpaca_fields.get("output", "output")
            return key in value and value[key] is None  # `output: null` is an empty answer, not a bad shape
        return False


def _describe(example: Example, facts: RowFacts) -> None:
    kind = example.kind
    if kind == "alpaca":
        prompt = "\n\n".join(p for p in (example.system, example.instruction, example.input) if p)
        facts.answers = [(prompt, example.output)]
        facts.contents = [
            p for p in (example.system, example.instruction, example.input, example.output) if p
        ]
        facts.text = "\n".join(facts.contents)
        facts.turns = 2
    elif kind == "chat":
        before: list[str] = []
        parts: list[str] = []
        for message in example.messages:
            content = message.content
            if message.tool_calls:
                content = (content + "\n" if content else "") + json.dumps(message.tool_calls, sort_keys=True)
            if message.role == "assistant" and message.train is not False:
                facts.answers.append(("\n\n".join(before), content))
            before.append(content)
            parts.append(f"{message.role[:1]}: {content}")
            facts.contents.append(message.content)
        facts.text = "\n".join(parts)
        facts.turns = len(example.messages)
    elif kind == "completion":
        facts.answers = [("", example.text)]
        facts.contents = [example.text]
        facts.text = example.text
        facts.turns = 1
    elif kind == "segments":
        prompt = "".join(s.text for s in example.segments if not s.label)
        answer = "".join(s.text for s in example.segments if s.label)
        facts.answers = [(prompt, answer)]
        facts.contents = [s.text for s in example.segments]
        facts.text = "".join(facts.contents)
        facts.turns = len(example.segments)
    else:  # pre-tokenized rows: nothing textual to compare
        facts.turns = 1


def open_rows(ds_config: Any, base_dir: Any) -> tuple[Any, FormatSpec, Any]:
    """(source, format spec, raw row stream) of one dataset entry, as the readers see it."""
    from ftui.core.data.dataset import open_dataset

    return open_dataset(ds_config, base_dir)
