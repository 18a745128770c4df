"""Verdicts per GPU (fits / tight / does not fit) and ranked suggestions when a run does not fit.

Each suggestion is re-estimated with the change applied, so the user sees what it buys, not a rule of thumb.
Ranking: changes that make the run fit come first, least disruptive first (checkpointing costs ~30% speed,
an 8-bit optimizer almost nothing; QLoRA changes the numerics; a shorter sequence changes the data; more GPUs
cost money); then the rest by how much they save. If no single change fits, the best combination is added.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ftui.core.memory.constants import TIGHT_FRACTION
from ftui.core.memory.estimate import GpuVerdict, MemoryEstimate, Suggestion
from ftui.core.memory.inputs import EstimateInput
from ftui.core.memory.static import optimizer_spec
from ftui.core.units import gib


@dataclass(frozen=True)
class GpuTarget:
    name: str
    memory_bytes: int


def verdict(total_bytes: int, gpu: GpuTarget) -> GpuVerdict:
    usage = total_bytes / gpu.memory_bytes if gpu.memory_bytes else float("inf")
    status = "fits" if usage <= TIGHT_FRACTION else "tight" if usage <= 1.0 else "does_not_fit"
    return GpuVerdict(gpu=gpu.name, memory_bytes=gpu.memory_bytes, status=status, usage=round(usage, 4))


def fits_on(total_bytes: int, name: str, memory_bytes: int) -> bool:
    """The estimator's own "fits" rule (headroom included), for lists of GPUs that only need yes or no."""
    return verdict(total_bytes, GpuTarget(name, memory_bytes)).status == "fits"


FUSED_TIP_MIN_SHARE = 0.05  # a tip only when the fused loss saves at least this share of the peak


def fused_loss_saving(inp: EstimateInput, estimate: Callable[[EstimateInput], MemoryEstimate]) -> int:
    """Bytes of the peak the fused linear cross-entropy would save (0 when it is already on)."""
    if inp.fused_loss:
        return 0
    return estimate(inp).total_bytes - estimate(inp.with_changes(fused_loss=True)).total_bytes


def tips(
    inp: EstimateInput,
    estimate: Callable[[EstimateInput], MemoryEstimate],
    size: Callable[[int], str] = gib,
) -> list[str]:
    """Changes worth making whether or not the run fits: same training, less memory. `size` formats bytes
    in the caller's unit (the wizard's panel shows GB, `ftui estimate` GiB)."""
    current = estimate(inp).total_bytes
    saved = fused_loss_saving(inp, estimate)
    if saved <= 0 or saved < FUSED_TIP_MIN_SHARE * current:
        return []
    return [f"enable cut_cross_entropy: saves {size(saved)} (no logits buffer, same loss)"]


def _candidates(inp: EstimateInput) -> list[tuple[str, dict]]:
    """(title, changes) in order of how little they disturb the run."""
    out: list[tuple[str, dict]] = []
    if not inp.fused_loss:
        out.append(("cut_cross_entropy: true (fused linear cross-entropy, same loss)", {"fused_loss": True}))
    if not inp.gradient_checkpointing:
        out.append(
            (
                "enable gradient checkpointing (~30% slower, much smaller activations)",
                {"gradient_checkpointing": True},
            )
        )
    spec = optimizer_spec(inp.optimizer)
    if spec.states >= 2 and spec.kind in ("torch", "bnb32"):
        out.append(("8-bit AdamW (optimizer: adamw_bnb_8bit)", {"optimizer": "adamw_bnb_8bit"}))
        out.append(
            (
                "paged 8-bit AdamW (optimizer: paged_adamw_8bit; states can spill to CPU RAM)",
                {"optimizer": "paged_adamw_8bit"},
            )
        )
    if inp.attention == "eager":
        out.append(("flash attention (flash_attention: true)", {"attention": "flash"}))
    if inp.micro_batch_size > 1:
        b, ga = inp.micro_batch_size // 2, inp.gradient_accumulation_steps * 2
        out.append(
            (
                f"micro_batch_size {b} with gradient_accumulation_steps {ga} (same effective batch)",
                {"micro_batch_size": b, "gradient_accumulation_steps": ga},
            )
        )
    if not inp.is_lora:
        out.append(
            (
                "LoRA on all linear layers instead of a full fine-tune",
                {"adapter": "lora", "lora_target_linear": True},
            )
        )
    if inp.quant_bits != 4:
        changes = {"adapter": "qlora", "load_in_4bit": True, "load_in_8bit": False}
        if not inp.is_lora:
            changes["lora_target_linear"] = True
        out.append(("QLoRA: 4-bit base model + LoRA adapters", changes))
    if inp.sequence_len > 256:
        out.append(
            (
                f"sequence_len {inp.sequence_len // 2} (longer rows are dropped or truncated)",
                {"sequence_len": inp.sequence_len // 2},
            )
        )
    if inp.sharding not in ("fsdp", "zero3"):
        for n in (2, 4, 8):
            if n > inp.num_gpus:
                out.append(
                    (
                        f"{n} GPUs with FSDP full-shard (fsdp: [full_shard, auto_wrap], num_processes: {n})",
                        {"num_gpus": n, "sharding": "fsdp"},
                    )
                )
    return out


def suggestions(
    inp: EstimateInput, estimate: Callable[[EstimateInput], MemoryEstimate], target: GpuTarget | None
) -> list[Suggestion]:
    """Ranked alternatives for a run that does not fit (or is tight on) `target`."""
    current = estimate(inp).total_bytes
    limit = target.memory_bytes * TIGHT_FRACTION if target else None
    found: list[tuple[int, Suggestion]] = []
    gpu_rows_kept = False
    for order, (title, changes) in enumerate(_candidates(inp)):
        total = estimate(inp.with_changes(**changes)).total_bytes
        if total >= current * 0.99:
            continue
        fits = total <= limit if limit is not None else None
        if "num_gpus" in changes:  # only the smallest GPU count that fits, or the largest tried
            if gpu_rows_kept:
                continue
            if not fits and changes["num_gpus"] < 8:
                continue
            gpu_rows_kept = True
        found.append((order, Suggestion(title, changes, total, current - total, fits)))
    found.sort(key=lambda item: (not item[1].fits, item[0] if item[1].fits else item[1].total_bytes))
    ranked = [s for _, s in found]
    if any(s.fits for s in ranked):  # more hardware that still does not fit is noise next to a real fix
        ranked = [s for s in ranked if s.fits or "num_gpus" not in s.changes]
    if limit is not None and ranked and not any(s.fits for s in ranked):
        combined = _combine(inp, estimate, limit)
        if combined is not None:
            ranked.insert(0, combined)
    return ranked


def _combine(
    inp: EstimateInput, estimate: Callable[[EstimateInput], MemoryEstimate], limit: float
) -> Suggestion | None:
    """Greedily apply the most saving change until the run fits (at most six changes); on the same hardware
    first, adding GPUs only when that is not enough."""
    for allow_more_gpus in (False, True):
        found = _greedy(inp, estimate, limit, allow_more_gpus)
        if found is not None:
            return found
    return None


def _greedy(
    inp: EstimateInput,
    estimate: Callable[[EstimateInput], MemoryEstimate],
    limit: float,
    allow_more_gpus: bool,
) -> Suggestion | None:
    current, start = inp, estimate(inp).total_bytes
    steps: list[tuple[str, dict]] = []
    for _ in range(6):
        options = [
            (estimate(current.with_changes(**c)).total_bytes, t, c)
            for t, c in _candidates(current)
            if allow_more_gpus or "num_gpus" not in c
        ]
        if not options:
            return None
        total, title, change = min(options, key=lambda o: o[0])
        if total >= estimate(current).total_bytes:
            return None
        current = current.with_changes(**change)
        steps.append((title.split(" (")[0], change))
        if total <= limit:
            return _pruned(inp, estimate, limit, steps, start)
    return None


def _pruned(
    inp: EstimateInput,
    estimate: Callable[[EstimateInput], MemoryEstimate],
    limit: float,
    steps: list[tuple[str, dict]],
    start: int,
) -> Suggestion:
    """Drop changes the combination does not need (an 8-bit optimizer is moot once QLoRA is chosen)."""

    def apply(chosen: list[tuple[str, dict]]) -> EstimateInput:
        changed = inp
        for _, change in chosen:
            changed = changed.with_changes(**change)
        return changed

    for step in list(steps):
        rest = [s for s in steps if s is not step]
        if rest and estimate(apply(rest)).total_bytes <= limit:
            steps = rest
    final = apply(steps)
    total = estimate(final).total_bytes
    changes: dict = {}
    for _, change in steps:
        changes.update(change)
    return Suggestion("combine: " + " + ".join(t for t, _ in steps), changes, total, start - total, True)
