"""The data that flows through templating: settings, rendered text with spans, tokenized examples.

A `TokenizedExample` keeps what training needs (`input_ids`, `labels`, `attention_mask`) as plain lists and
builds the per-token view for the UI (`tokens`) only when asked, so bulk preprocessing pays nothing for it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal

from ftui.core.labels import IGNORE_INDEX

TrainOnEos = Literal["turn", "all", "last", "none"]
ExcessLength = Literal["drop", "truncate"]

# What a token belongs to. Message contents carry their role; template scaffolding is "template" (chat) or
# "prompt" (alpaca); special tokens (BOS, EOS, <|im_start|>, ...) are "special".
PARTS = (
    "system",
    "user",
    "assistant",
    "tool",
    "special",
    "prompt",
    "template",
    "completion",
    "input",
    "output",
    "pretokenized",
)


def _default_sequence_len() -> int:
    """The config schema's default, so a partial config (the wizard's draft) means what a saved one means."""
    from ftui.core.config.schema import default_of

    return int(default_of("sequence_len"))


@dataclass(frozen=True)
class MaskSettings:
    """The config keys that decide the tokens and the mask (Axolotl names and defaults)."""

    train_on_inputs: bool = False
    roles_to_train: tuple[str, ...] = ("assistant",)
    train_on_eos: TrainOnEos = "turn"
    train_on_eot: TrainOnEos | None = None  # end-of-turn tokens; None: as train_on_eos (Axolotl)
    eot_tokens: tuple[str, ...] | None = None  # None: the EOS token is the end-of-turn token (Axolotl)
    sequence_len: int = field(default_factory=_default_sequence_len)  # the schema's default
    excess_length_strategy: ExcessLength = "drop"

    @classmethod
    def from_config(cls, config: Any, dataset: Any = None) -> MaskSettings:
        """Read the settings from an `FtuiConfig` (and one of its `datasets[]` entries) or plain dicts."""

        def get(obj: Any, key: str) -> Any:
            if obj is None:
                return None
            if isinstance(obj, dict):
                return obj.get(key)
            return getattr(obj, key, None)

        roles = get(dataset, "roles_to_train")
        eos = get(dataset, "train_on_eos")
        eot = get(dataset, "train_on_eot")
        eot_tokens = get(config, "eot_tokens")
        return cls(
            train_on_inputs=bool(get(config, "train_on_inputs") or False),
            roles_to_train=tuple(roles) if roles is not None else ("assistant",),
            train_on_eos=str(eos) if eos else "turn",  # type: ignore[arg-type]
            train_on_eot=str(eot) if eot else None,  # type: ignore[arg-type]
            eot_tokens=tuple(eot_tokens) if eot_tokens else None,
            sequence_len=int(get(config, "sequence_len") or _default_sequence_len()),
            excess_length_strategy=get(config, "excess_length_strategy") or "drop",
        )


@dataclass(frozen=True)
class Span:
    """A character range [start, end) of the rendered text and what it is.

    `turn` marks a chat message's content: after its last token the engine looks for the end-of-turn token,
    which `train_on_eos` decides about (as Axolotl does).
    """

    start: int
    end: int
    part: str
    trained: bool
    turn: bool = False


@dataclass
class Rendered:
    """One example as text, plus the spans that say which characters are trained."""

    text: str
    spans: list[Span]
    add_special_tokens: bool  # True: the tokenizer adds BOS/EOS itself (alpaca, completion)
    default_trained: bool = False  # tokens outside every span (BOS, scaffolding)
    default_part: str = "template"


@dataclass(frozen=True)
class Piece:
    """A text tokenized on its own, as Axolotl's legacy strategies tokenized each prompt part: with the
    tokenizer's special tokens, then BOS dropped (`strip_bos`) and EOS added (`add_eos`, unless the text
    already ends with it). `masked_prefix`: the first tokens, as many as this text has on its own, are
    masked even when the piece is trained (a ShareGPT turn's role)."""

    text: str
    part: str
    trained: bool
    strip_bos: bool = True
    add_eos: bool = False
    masked_prefix: str | None = None


@dataclass
class PieceRendered:
    """One example as separately tokenized pieces (legacy instruction and ShareGPT types)."""

    pieces: list[Piece]

    @property
    def text(self) -> str:
        return "".join(p.text for p in self.pieces)


@dataclass(frozen=True)
class TokenInfo:
    """One token as the UI shows it."""

    text: str
    id: int
    label: int
    part: str
    trained: bool


@dataclass
class ExampleStats:
    tokens: int
    trained_tokens: int
    original_tokens: int  # before truncation
    truncated: bool = False
    over_length: bool = False  # longer than sequence_len (dropped by `tokenize_batch` under "drop")


@dataclass
class TokenizedExample:
    input_ids: list[int]
    labels: list[int]
    attention_mask: list[int]
    stats: ExampleStats
    text: str = ""
    # (first token, end token, part) runs, in order; tokens outside all runs have `default_part`.
    part_runs: list[tuple[int, int, str]] = field(default_factory=list)
    default_part: str = "template"
    encoding: Any = None  # the tokenizers.Encoding of `text`: offsets for the UI, read only when needed
    special_ids: frozenset[int] = frozenset()
    id_to_piece: Any = None  # callable(ids) -> token strings, for tokens without text (BOS)

    @classmethod
    def fresh(
        cls, ids: list[int], labels: list[int], rendered: Any, runs: list, default_part: str, encoding: Any, info: Any
    ) -> TokenizedExample:
        """A just-tokenized example (nothing truncated yet): attended everywhere, stats from its labels;
        the whole-text and the piece-by-piece tokenizers both build theirs here."""
        trained = len(labels) - labels.count(IGNORE_INDEX)
        stats = ExampleStats(tokens=len(ids), trained_tokens=trained, original_tokens=len(ids))
        return cls(
            ids, labels, [1] * len(ids), stats, rendered.text, runs, default_part, encoding,
            info.special_ids, info.pieces,
        )

    @cached_property
    def parts(self) -> list[str]:
        """The part of every token (see `PARTS`)."""
        parts = [self.default_part] * len(self.input_ids)
        for first, end, part in self.part_runs:
            parts[first:end] = [part] * (end - first)
        for i, token_id in enumerate(self.input_ids):
            if token_id in self.special_ids:
                parts[i] = "special"
        return parts

    @cached_property
    def tokens(self) -> list[TokenInfo]:
        """Per token: its text, id, label, part and whether it is trained (built on first access)."""
        pieces = self._texts()
        return [
            TokenInfo(text=pieces[i], id=tid, label=lab, part=part, trained=lab != IGNORE_INDEX)
            for i, (tid, lab, part) in enumerate(zip(self.input_ids, self.labels, self.parts, strict=True))
        ]

    @cached_property
    def offsets(self) -> list[tuple[int, int]]:
        """Character range of every token in `text` ((0, 0) for tokens without text, e.g. BOS)."""
        if self.encoding is None:
            return []
        return [tuple(o) for o in self.encoding.offsets[: len(self.input_ids)]]

    def _texts(self) -> list[str]:
        n = len(self.input_ids)
        texts = [""] * n
        missing = []
        offsets = self.offsets
        for i in range(n):
            if i < len(offsets):
                start, end = offsets[i]
                if end > start:
                    texts[i] = self.text[start:end]
                    continue
            missing.append(i)
        if missing and self.id_to_piece is not None:
            pieces = self.id_to_piece([self.input_ids[i] for i in missing])
            for i, piece in zip(missing, pieces, strict=True):
                texts[i] = piece
        return texts


@dataclass
class BatchResult:
    """What `tokenize_batch` returns: kept examples in source order and the counts of what was not kept."""

    examples: list[TokenizedExample]
    kept_indices: list[int]
    dropped: int = 0
    truncated: int = 0
    dropped_indices: list[int] = field(default_factory=list)

    @property
    def total_tokens(self) -> int:
        return sum(len(e.input_ids) for e in self.examples)

    @property
    def trainable_tokens(self) -> int:
        return sum(e.stats.trained_tokens for e in self.examples)
