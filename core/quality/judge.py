"""The level-2 judge: a model asked for a critique and a verdict per generation (or dataset row), shown the
human critiques as examples, and measured by how often it agrees with the humans.

The prompt asks for the critique before the verdict (reasoning first, as the workshop's judge does) as a JSON
object; a reply that is not JSON is still read when it names a verdict. When agreement is measured, the item's
own critique is never among its examples.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from ftui.core.quality.critiques import Critique, critique_id

SYSTEM = (
    "You are a domain expert reviewing the answers of an AI assistant. For each answer, write a short "
    "critique (what is right or wrong, and why), then a verdict: good if you would accept the answer as it "
    'is, bad otherwise. Reply with one JSON object only: {"critique": "...", "verdict": "good" or "bad"}.'
)
_JSON_OBJECT = re.compile(r"\{.*?\}", re.DOTALL)
_VERDICT_WORD = re.compile(r"\b(good|bad|pass|fail)\b", re.IGNORECASE)


@dataclass
class JudgeItem:
    prompt: str
    generation: str
    expected: str | None = None
    human_verdict: str | None = None
    step: int | None = None
    source: dict[str, Any] | None = None  # dataset rows: {file, line, record}
    id: str = ""

    def __post_init__(self) -> None:
        if not self.id:
            self.id = critique_id(self.prompt, self.generation, self.step)


@dataclass
class Judgement:
    id: str
    prompt: str
    generation: str
    expected: str | None
    verdict: str | None  # None: the reply named no verdict
    critique: str
    raw: str
    human_verdict: str | None
    agrees: bool | None
    judge: dict[str, Any]
    source: dict[str, Any] | None = None
    step: int | None = None
    time: str = field(default_factory=lambda: time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _item_text(prompt: str, generation: str, expected: str | None) -> str:
    text = f"PROMPT:\n{prompt}\n\nANSWER:\n{generation}"
    if expected:
        text += f"\n\nREFERENCE ANSWER:\n{expected}"
    return text


def choose_examples(critiques: list[Critique], item: JudgeItem, shots: int) -> list[Critique]:
    """Up to `shots` reviewed critiques, good and bad in turn, never the item itself."""
    usable = [
        c
        for c in critiques
        if c.verdict and c.id != item.id and (c.prompt, c.generation) != (item.prompt, item.generation)
    ]
    good = [c for c in usable if c.verdict == "good"]
    bad = [c for c in usable if c.verdict == "bad"]
    chosen: list[Critique] = []
    while len(chosen) < shots and (good or bad):
        for pool in (bad, good):
            if pool and len(chosen) < shots:
                chosen.append(pool.pop(0))
    return chosen


def judge_messages(item: JudgeItem, examples: list[Critique]) -> list[dict[str, str]]:
    """The chat for one item: the instructions, each example as a question with the expert's reply, the item."""
    messages = [{"role": "system", "content": SYSTEM}]
    for example in examples:
        messages.append(
            {"role": "user", "content": _item_text(example.prompt, example.generation, example.expected)}
        )
        reply = {
            "critique": example.critique or f"The answer is {example.verdict}.",
            "verdict": example.verdict,
        }
        messages.append({"role": "assistant", "content": json.dumps(reply, ensure_ascii=False)})
    messages.append({"role": "user", "content": _item_text(item.prompt, item.generation, item.expected)})
    return messages


def parse_reply(text: str) -> tuple[str | None, str]:
    """(verdict, critique) from a judge's reply: its JSON object, else the last verdict word in the text."""
    for match in _JSON_OBJECT.finditer(text):
        try:
            data = json.loads(match.group())
        except ValueError:
            continue
        if isinstance(data, dict) and "verdict" in data:
            verdict = _verdict(data.get("verdict"))
            return verdict, str(data.get("critique") or "").strip()
    words = _VERDICT_WORD.findall(text)
    return (_verdict(words[-1]) if words else None), text.strip()


def _verdict(value: Any) -> str | None:
    word = str(value or "").strip().lower()
    return {"good": "good", "pass": "good", "bad": "bad", "fail": "bad"}.get(word)


Ask = Callable[[list[list[dict[str, str]]]], list[str]]  # chats -> replies


def run_judge(
    items: list[JudgeItem],
    critiques: list[Critique],
    ask: Ask,
    judge_info: dict[str, Any],
    shots: int = 6,
    batch: int = 8,
    progress: Callable[[int, int], None] | None = None,
) -> list[Judgement]:
    """Judge every item (in batches through `ask`), with leave-one-out examples from `critiques`."""
    out: list[Judgement] = []
    for start in range(0, len(items), batch):
        chunk = items[start : start + batch]
        chats = [judge_messages(item, choose_examples(critiques, item, shots)) for item in chunk]
        replies = ask(chats)
        for item, reply in zip(chunk, replies, strict=True):
            verdict, critique = parse_reply(reply)
            agrees = None if item.human_verdict is None or verdict is None else verdict == item.human_verdict
            out.append(
                Judgement(
                    id=item.id, prompt=item.prompt, generation=item.generation, expected=item.expected,
                    verdict=verdict, critique=critique, raw=reply, human_verdict=item.human_verdict,
                    agrees=agrees, judge=judge_info, source=item.source, step=item.step,
                )
            )  # fmt: skip
        if progress is not None:
            progress(len(out), len(items))
    return out


def agreement(judgements: Iterable[Judgement]) -> dict[str, Any]:
    """How the judge compares with the human verdicts: agreement, Cohen's kappa, and the confusion counts."""
    rows = [j for j in judgements if j.human_verdict is not None]
    judged = [j for j in rows if j.verdict is not None]
    counts = {f"human_{h}_judge_{v}": 0 for h in ("good", "bad") for v in ("good", "bad")}
    for j in judged:
        counts[f"human_{j.human_verdict}_judge_{j.verdict}"] += 1
    n = len(judged)
    agree = sum(1 for j in judged if j.agrees)
    kappa = None
    if n:
        observed = agree / n
        human_good = sum(1 for j in judged if j.human_verdict == "good") / n
        judge_good = sum(1 for j in judged if j.verdict == "good") / n
        expected = human_good * judge_good + (1 - human_good) * (1 - judge_good)
        kappa = None if expected >= 1 else round((observed - expected) / (1 - expected), 4)
    return {
        "with_human_verdict": len(rows),
        "compared": n,
        "no_verdict": len(rows) - n,
        "agreement": round(agree / n, 4) if n else None,
        "kappa": kappa,
        **counts,
    }
