"""Config rules of preference training (run by core/config/rules.py): a method's key set for another
method is reported (never silently ignored), and combinations Axolotl refuses are errors."""

from __future__ import annotations

from typing import Any

from ftui.core.config.errors import Problem
from ftui.core.preference.methods import METHOD_KEYS, METHODS, SFT, method_name


def preference_problems(c: Any) -> list[Problem]:
    method = method_name(c)
    out: list[Problem] = []
    for key, methods in METHOD_KEYS.items():
        if key in c.model_fields_set and getattr(c, key) not in (None, False) and method not in methods:
            names = ", ".join(f"rl: {m}" for m in methods)
            what = "supervised fine-tuning" if method == SFT else f"rl: {method}"
            out.append(
                Problem(
                    (key,),
                    f"acts only with {names}; this config trains {what}, so it has no effect",
                    "warning",
                )
            )
    if method == SFT:
        return out
    if c.sample_packing:
        out.append(
            Problem(
                ("sample_packing",), f"does not work with preference training (rl: {method}), as in Axolotl"
            )
        )
    if c.pretraining_dataset:
        out.append(
            Problem(("pretraining_dataset",), "raw text has no preference pairs; give datasets: instead")
        )
    if c.dpo_loss_weights and len(c.dpo_loss_weights) != len(c.dpo_loss_type or ["sigmoid"]):
        out.append(Problem(("dpo_loss_weights",), "needs one weight per dpo_loss_type entry (as Axolotl)"))
    if c.dpo_loss_weights and not c.dpo_loss_type:
        out.append(Problem(("dpo_loss_weights",), "needs dpo_loss_type (as Axolotl)"))
    if c.max_prompt_len and c.max_prompt_len >= c.sequence_len:
        out.append(
            Problem(
                ("max_prompt_len",),
                f"is not below sequence_len ({c.sequence_len}): no room is left for the answers",
            )
        )
    if method == "kto" and c.micro_batch_size < 2:
        out.append(
            Problem(
                ("micro_batch_size",),
                "KTO needs at least 2 (its KL term pairs each example with another in the batch; TRL)",
            )
        )
    if method == "ipo" and c.dpo_label_smoothing:
        out.append(
            Problem(("dpo_label_smoothing",), "IPO has no label smoothing (TRL ignores it)", "warning")
        )
    if not METHODS[method].reference and c.precompute_ref_log_probs:
        out.append(
            Problem(
                ("precompute_ref_log_probs",), f"{METHODS[method].label} uses no reference model", "warning"
            )
        )
    return out
