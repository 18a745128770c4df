"""What preference training adds to a step's memory (docs/memory.md, "Preference tuning").

- Paired methods (DPO, IPO, SimPO, ORPO) run chosen and rejected sequences in one batch: twice the rows
  for activations and logits. KTO runs one completion per example (its KL forward is under no_grad).
- DPO/IPO and KTO (TRL 1.16) score tokens with TRL's fused LM head: no [tokens x vocab] logits, one
  [min(tokens, 4096) x 32768] tile buffer in the compute dtype (its full width even when the vocabulary is
  smaller), the fp32 hidden-state gradient and its cast; on the CPU (no Triton) the torch fallback also keeps
  fp32 temporaries of the tile while backward runs through it. SimPO (CPO) and ORPO keep SFT's logits.
- The reference model: none extra for LoRA/QLoRA (TRL switches the adapter off, and keeps a frozen copy of
  the adapter when one is trained: a second adapter's worth), a second copy of the base weights for a full
  fine-tune unless `precompute_ref_log_probs`, none at all for ORPO and SimPO.
"""

from __future__ import annotations

from ftui.core.memory.constants import DTYPE_BYTES
from ftui.core.memory.inputs import EstimateInput
from ftui.core.memory.static import StaticMemory
from ftui.core.models.facts import ModelFacts

# TRL 1.16's fused LM head (trl/kernels/chunked_logprob.py TOKEN_CHUNK_SIZE, trl/trainer/utils.py
# _CHUNKED_LOGPROB_CHUNK_SIZE): tokens are scored in tiles of at most this many rows and columns.
TRL_TOKEN_TILE = 4096
TRL_VOCAB_TILE = 32768
# Its torch fallback (`_backward_tile`, used where Triton is missing) at its largest: 7 fp32 copies of the
# tile (upcast, scaled, log-probs, probs, gradient, target mask as float, difference) and the bool target mask.
# Counted from the live tensors of a real DPO and KTO step (bench/preference_peak.py).
CPU_TILE_TEMP_BYTES = 7 * 4 + 1


def activation_input(inp: EstimateInput) -> EstimateInput:
    """The input whose activations match one step of the method: paired methods run 2 x micro_batch_size
    rows; ftui's fused loss applies to SFT only (core/preference/run.py warns), so it is off here."""
    from ftui.core.preference.methods import METHODS

    method = METHODS.get(inp.preference or "")
    if method is None:
        return inp
    rows = inp.micro_batch_size * (2 if method.paired else 1)
    return inp.with_changes(micro_batch_size=rows, fused_loss=False)


def logits_bytes(facts: ModelFacts, inp: EstimateInput, sft_logits: int) -> int:
    """The logits-and-loss term of one step: TRL's fused LM head where the method's trainer uses it (`inp` is
    the step's input: paired methods already count both sequences), else SFT's (`sft_logits`)."""
    from ftui.core.preference.methods import METHODS

    method = METHODS.get(inp.preference or "")
    if method is None or not method.fused_head:
        return sft_logits
    tokens = inp.micro_batch_size * inp.sequence_len
    rows = min(tokens, TRL_TOKEN_TILE)
    a, h = DTYPE_BYTES[inp.dtype], facts.hidden_size
    total = rows * TRL_VOCAB_TILE * a + (4 + a) * tokens * h  # tile buffer, fp32 hidden gradient + its cast
    if inp.device == "cpu":
        total += CPU_TILE_TEMP_BYTES * rows * min(facts.vocab_size, TRL_VOCAB_TILE)
    return total


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
