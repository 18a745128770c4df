"""Too simple and too complex rows (the workshop drops both before retraining).

Simple: an answer with almost no characters, an answer that repeats itself over and over (it compresses
far better than text does, in any language), an answer
that only repeats its prompt, or an answer far shorter than the dataset's usual ones. Complex: a row far
longer than the rest, or a conversation with very many turns. "Far" is measured on log lengths in robust
units (median absolute deviations), so it adapts to each dataset instead of a fixed character count.
"""

from __future__ import annotations

import math
import re
import statistics
import zlib
from array import array
from collections.abc import Iterator

from ftui.core.quality.records import RowFacts
from ftui.core.quality.settings import AuditSettings

_SPACE = re.compile(r"\s+")


def _normal(text: str) -> str:
    return _SPACE.sub(" ", text).strip().lower()


class ComplexityCheck:
    def __init__(self, settings: AuditSettings) -> None:
        self.settings = settings
        self.row = array("l")
        self.answer = array("l")  # non-space characters of the shortest answer
        self.prompt = array("l")
        self.total = array("l")
        self.turns = array("l")

    def skip(self, row: int) -> None:
        """A row that did not normalize: no lengths."""

    def add(self, row: int, facts: RowFacts) -> str | None:
        """Record the row's lengths; the reason it is low_complexity right away, if it is."""
        if not facts.answers:
            return None
        answers = [answer for _, answer in facts.answers]
        shortest = min(sum(map(len, a.split())) for a in answers)  # split() drops what \s matches
        self.row.append(row)
        self.answer.append(shortest)
        self.prompt.append(len(facts.answers[0][0]))
        self.total.append(len(facts.text))
        self.turns.append(facts.turns)
        if shortest < self.settings.low_response_chars:
            return f"the answer has {shortest} non-space characters"
        for prompt, answer in facts.answers:
            data = answer.encode("utf-8", "surrogatepass")
            if len(data) >= self.settings.repeat_min_chars:
                ratio = len(zlib.compress(data, 6)) / len(data)
                if ratio < self.settings.repeat_max_ratio:
                    return f"repetitive answer: it compresses to {ratio:.0%} of its size"
            if (
                prompt
                and abs(len(prompt) - len(answer)) <= len(answer) // 4 + 8
                and _normal(answer) == _normal(prompt)
            ):
                return "the answer only repeats the prompt"
        return None

    def outliers(self) -> Iterator[tuple[int, str, str]]:
        """(row, kind, reason) for length outliers and very long conversations, once all rows are in."""
        k = self.settings.length_outlier_mad
        low = _fence(self.answer, -k)
        high = _fence(self.total, k)
        for i, row in enumerate(self.row):
            if low is not None and self.answer[i] < low:
                yield (
                    row,
                    "low_complexity",
                    f"answer of {self.answer[i]} characters (usual: >= {math.ceil(low)})",
                )
            if high is not None and self.total[i] > high:
                yield row, "high_complexity", f"{self.total[i]} characters (usual: <= {int(high)})"
            if self.turns[i] > self.settings.max_turns:
                yield row, "high_complexity", f"{self.turns[i]} turns (more than {self.settings.max_turns})"

    def char_lengths(self) -> Iterator[tuple[int, int, int]]:
        for i, row in enumerate(self.row):
            yield row, self.prompt[i], self.answer[i]


def _fence(values: array, k: float) -> float | None:
    """The length `k` robust deviations from the median of log(1 + length); None for too few rows."""
    if len(values) < 20:
        return None
    logs = [math.log1p(v) for v in values]
    median = statistics.median(logs)
    mad = statistics.median(abs(x - median) for x in logs) * 1.4826
    if mad < 1e-6:
        return None
    return math.expm1(median + k * mad)
