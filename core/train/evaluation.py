"""Evaluation events: eval_loss, plus greedy generations for the validation prompts checked by a user function.

`eval_assertions: path/to/file.py:function` names a function called as `function(output, expected, prompt)`
(it may take fewer parameters) that returns truthy when a generation is acceptable; the pass rate is logged
with every `eval` event. `eval_table_size: N` logs N sample generations.
"""

from __future__ import annotations

import importlib.util
import inspect
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ftui.core.errors import ConfigUserError
from ftui.core.events import EventWriter
from ftui.core.generate import GenerationOptions, generate_batch
from ftui.core.train.callbacks import RunOutcome
from transformers import TrainerCallback

MAX_ASSERTION_PROMPTS = 64


def load_assertion(spec: str, base_dir: str | Path) -> Callable[..., Any]:
    """Import `file.py:function` (path relative to the config's folder)."""
    if ":" not in spec:
        raise ConfigUserError(
            f"eval_assertions: {spec!r} must look like path/to/file.py:function_name",
            hint="e.g. eval_assertions: checks.py:is_valid_json",
        )
    file_part, func_name = spec.rsplit(":", 1)
    path = Path(file_part).expanduser()
    if not path.is_absolute():
        path = Path(base_dir) / path
    if not path.is_file():
        raise ConfigUserError(
            f"eval_assertions: file not found: {path}", hint="check the path (relative to the config)"
        )
    module_spec = importlib.util.spec_from_file_location(f"ftui_assertions_{path.stem}", path)
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    func = getattr(module, func_name, None)
    if not callable(func):
        raise ConfigUserError(f"eval_assertions: {path} has no function {func_name!r}")
    return func


def call_assertion(func: Callable[..., Any], output: str, expected: str, prompt: str) -> bool:
    """Call with as many of (output, expected, prompt) as the function takes; an exception counts as a fail."""
    try:
        params = [
            p
            for p in inspect.signature(func).parameters.values()
            if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
        ]
        has_varargs = any(p.kind == p.VAR_POSITIONAL for p in inspect.signature(func).parameters.values())
        n = 3 if has_varargs else min(len(params), 3)
        return bool(func(*(output, expected, prompt)[: max(n, 1)]))
    except Exception:  # noqa: BLE001 - a user check that raises means "not passed"
        return False


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


class EvalEventCallback(TrainerCallback):
    """Writes one `eval` event per evaluation (rank 0), with assertion results when configured."""

    def __init__(
        self,
        writer: EventWriter,
        outcome: RunOutcome,
        tokenizer: Any,
        prompts: list[dict[str, Any]],
        assertion: Callable[..., Any] | None,
        table_size: int,
        max_new_tokens: int,
        quiet: bool = False,
    ) -> None:
        self.writer = writer
        self.outcome = outcome
        self.tokenizer = tokenizer
        self.prompts = prompts
        self.assertion = assertion
        self.table_size = table_size
        self.max_new_tokens = max_new_tokens
        self.quiet = quiet

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
        self.writer.emit(
            "eval", step=state.global_step, epoch=round(state.epoch or 0.0, 4), eval_loss=loss, **report
        )
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
