"""What preference training adds to a step's memory (docs/memory.md, "Preference tuning").

- Paired methods (DPO, IPO, SimPO, ORPO) run chosen and rejected sequences in one batch: twice the rows
  for activations and logits. KTO runs one completion per example (its KL forward is under no_grad).
- The reference model: none extra for LoRA/QLoRA (TRL switches the adapter off, and keeps a frozen copy of
  the adapter when one is trained: a second adapter's worth), a second copy of the base weights for a full
  fine-tune unless `precompute_ref_log_probs`, none at all for ORPO and SimPO.
"""

from __future__ import annotations

from ftui.core.memory.inputs import EstimateInput
from ftui.core.memory.static import StaticMemory


def activation_input(inp: EstimateInput) -> EstimateInput:
    """The input whose activations match one step of the method (paired: 2 x micro_batch_size rows)."""
    from ftui.core.preference.methods import METHODS

    method = METHODS.get(inp.preference or "")
    if method is None or not method.paired:
        return inp
    return inp.with_changes(micro_batch_size=inp.micro_batch_size * 2)


def reference_bytes(static: StaticMemory, inp: EstimateInput) -> int:
    from ftui.core.preference.methods import METHODS

    method = METHODS.get(inp.preference or "")
    if method is None or not method.reference:
        return 0
    if inp.is_lora:
        return static.adapters  # the frozen "ref" adapter; the base model is shared
    if inp.precompute_ref_log_probs:
        return 0
    return static.weights + static.quantized_weights


def note(inp: EstimateInput) -> str | None:
    from ftui.core.preference.methods import METHODS

    method = METHODS.get(inp.preference or "")
    if method is None:
        return None
    rows = "chosen + rejected sequences per example" if method.paired else "one completion per example"
    if not method.reference:
        ref = "no reference model"
    elif inp.is_lora:
        ref = "reference = the base model with the adapter switched off"
    elif inp.precompute_ref_log_probs:
        ref = "reference log-probs computed once before training (no second copy)"
    else:
        ref = "a second, frozen copy of the model as the reference"
    return f"{method.label}: {rows}; {ref}"
