"""Pure helpers behind the token-mask view: what one example shows (tokens + loud warnings) and the
dataset-wide stats. No Textual here, so the checks are unit-tested directly."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ftui.tui.widgets.token_view import TokenRecord

if TYPE_CHECKING:  # importing core.preprocess pulls in its pipeline: not needed for the first screen
    from ftui.core.preprocess.stats import DatasetStats

ASSISTANT_PARTS = ("assistant", "response", "output", "completion")


@dataclass
class Preview:
    """One example as the view shows it."""

    tokens: list[TokenRecord]
    warnings: list[str] = field(default_factory=list)
    status: str = ""  # "truncated", "dropped: longer than sequence_len", ...
    source: str = ""  # file:line of the row


@dataclass
class StatsView:
    """The Data step's dataset line: core's `DatasetStats` for the sampled rows, and a length histogram."""

    stats: DatasetStats | None = None
    histogram: list[int] = field(default_factory=list)
    min_length: int = 0
    max_length: int = 0
    sampled: bool = False  # only the first rows were tokenized
    notes: list[str] = field(default_factory=list)
    error: str | None = None


def assistant_turns(tokens: Sequence[TokenRecord]) -> list[list[TokenRecord]]:
    """Contiguous runs of tokens from an assistant-like part (one run per turn)."""
    turns: list[list[TokenRecord]] = []
    previous = None
    for token in tokens:
        if token.part in ASSISTANT_PARTS:
            if previous not in ASSISTANT_PARTS:
                turns.append([])
            turns[-1].append(token)
        previous = token.part if not token.special else previous
    return turns


def mask_warnings(tokens: Sequence[TokenRecord]) -> list[str]:
    """The mistakes worth shouting about: nothing trained, or only the last of several turns trained."""
    if not tokens:
        return []
    if not any(t.trained for t in tokens):
        return ["no token of this example is trained: it adds nothing to training (check roles_to_train, "
                "train_on_inputs and the template)"]  # fmt: skip
    turns = assistant_turns(tokens)
    trained_turns = [any(t.trained for t in turn) for turn in turns]
    if len(turns) > 1 and trained_turns[-1] and not any(trained_turns[:-1]):
        return [f"only the last of {len(turns)} assistant turns is trained: the earlier answers are "
                "masked (set roles_to_train / train_on_eos to train every turn)"]  # fmt: skip
    return []


def length_histogram(lengths: Sequence[int], bins: int = 24) -> tuple[list[int], int, int]:
    if not lengths:
        return [], 0, 0
    low, high = min(lengths), max(lengths)
    width = max(1, (high - low + bins) // bins)
    counts = [0] * bins
    for n in lengths:
        counts[min(bins - 1, (n - low) // width)] += 1
    return counts, low, high


def stats_view(result: Any, config: Any, sampled: bool = False) -> StatsView:
    """A `StatsView` of core's `SampleStats`; notes for what only the whole dataset can show."""
    histogram, low, high = length_histogram(result.lengths)
    notes = []
    if getattr(config, "dataset_drop", None) or getattr(config, "dataset_near_deduplication", False):
        notes.append("dataset_drop / near deduplication run on the whole dataset: see `ftui preprocess`")
    return StatsView(
        stats=result.stats,
        histogram=histogram,
        min_length=low,
        max_length=high,
        sampled=sampled,
        notes=notes,
    )
