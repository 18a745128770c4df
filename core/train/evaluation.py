"""Evaluation events: eval_loss, plus greedy generations for the validation prompts checked by a user function.

`eval_assertions: path/to/file.py:function` names a function called as `function(output, expected, prompt)`
(it may take fewer parameters) that returns truthy when a generation is acceptable; the pass rate is logged
with every `eval` event. `eval_table_size: N` logs N sample generations.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ftui.core.assertions import call_assertion, load_assertion
from ftui.core.events import EventWriter
from ftui.core.generate import GenerationOptions, generate_batch
from ftui.core.train.callbacks import RunOutcome
from transformers import TrainerCallback

MAX_ASSERTION_PROMPTS = 64
__all__ = ["EvalEventCallback", "assertion_report", "call_assertion", "load_assertion"]


def assertion_report(
    model: Any,
    tokenizer: Any,
    prompts: list[dict[str, Any]],
    func: Callable[..., Any] | None,
    table_size: int,
    max_new_tokens: int,
) -> dict[str, Any]:
    """Greedy generations for the validation prompts; pass rate and sample rows for the eval event."""
    count = min(len(prompts), MAX_ASSERTION_PROMPTS) if func else min(len(prompts), table_size)
    if count == 0:
        return {}
    chosen = prompts[:count]
    generated = generate_batch(
        model, tokenizer, [p["prompt_ids"] for p in chosen], GenerationOptions(max_new_tokens=max_new_tokens)
    )
    rows = []
    passed_total = 0
    for item, output in zip(chosen, generated, strict=True):
        prompt = tokenizer.decode(item["prompt_ids"], skip_special_tokens=False)
        expected = tokenizer.decode(item["expected_ids"], skip_special_tokens=True)
        passed = call_assertion(func, output, expected, prompt) if func else None
        passed_total += bool(passed)
        rows.append({"prompt": prompt, "expected": expected, "generated": output, "passed": passed})
    report: dict[str, Any] = {}
    if func:
        report["assertion_pass_rate"] = passed_total / len(rows)
        report["assertion_total"] = len(rows)
    if table_size:
        report["samples"] = rows[:table_size]
    return report


@dataclass(eq=False)  # eq=False: callbacks compare (and hash) by identity
class EvalEventCallback(TrainerCallback):
    """Writes one `eval` event per evaluation (rank 0), with assertion results when configured."""

    writer: EventWriter
    outcome: RunOutcome
    tokenizer: Any
    prompts: list[dict[str, Any]]
    assertion: Callable[..., Any] | None
    table_size: int
    max_new_tokens: int
    quiet: bool = False
    on_report: Callable[[dict[str, Any], int], None] | None = None  # the trainer sends it to the trackers
    extra_metrics: Callable[[dict[str, Any]], dict[str, Any]] | None = None  # flat keys (preference)

    def on_evaluate(self, args, state, control, metrics=None, model=None, **kwargs):
        if not state.is_world_process_zero:
            return
        metrics = metrics or {}
        loss = metrics.get("eval_loss")
        if isinstance(loss, float) and math.isfinite(loss):
            best = self.outcome.best_eval_loss
            self.outcome.best_eval_loss = loss if best is None else min(best, loss)
        report = {}
        if model is not None and (self.assertion or self.table_size):
            report = assertion_report(
                _unwrap(model),
                self.tokenizer,
                self.prompts,
                self.assertion,
                self.table_size,
                self.max_new_tokens,
            )
        extra = self.extra_metrics(metrics) if self.extra_metrics is not None else {}
        self.writer.emit(
            "eval",
            step=state.global_step,
            epoch=round(state.epoch or 0.0, 4),
            eval_loss=loss,
            **report,
            **extra,
        )
        if self.on_report is not None and report:
            self.on_report(report, state.global_step)
        if not self.quiet:
            import sys

            line = f"eval at step {state.global_step}: eval_loss {loss:.4f}" if loss is not None else "eval"
            if "assertion_pass_rate" in report:
                line += (
                    f" | assertions passed {report['assertion_pass_rate']:.0%} of {report['assertion_total']}"
                )
            print(line, file=sys.stderr, flush=True)


def _unwrap(model: Any) -> Any:
    return getattr(model, "module", model)
