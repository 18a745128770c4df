"""Every number the estimator uses that is not derived from the model, with where it comes from.

docs/memory.md explains each one; keep the two in sync.
"""

from __future__ import annotations

from dataclasses import dataclass

from ftui.core.units import GIB  # noqa: F401  (re-exported: the estimator names it here)

DTYPE_BYTES = {"bf16": 2, "fp16": 2, "fp32": 4}

# bitsandbytes NF4 (QLoRA): 4-bit codes = 0.5 B/param; absmax per block of 64 values. With double quantization
# the absmax are 8-bit (1 B per 64 params) plus one fp32 second-level scale per 256 blocks (4 B per 16384).
# Source: Dettmers et al. 2023, "QLoRA", section 2 (blocksize 64, 256 for the second level); bitsandbytes
# `quantize_4bit` defaults. Checked on CPU against real Params4bit storage in tests/test_memory_reality.py.
NF4_BLOCK = 64
NF4_DOUBLE_QUANT_BLOCK = 256
# LLM.int8(): int8 weights (1 B/param) plus one fp32 scale per output row (SCB).
INT8_ROW_SCALE_BYTES = 4

# bitsandbytes 8-bit optimizers: states stored as uint8 with one fp32 absmax per block of 256 values
# (blockwise quantization, Dettmers et al. 2022 "8-bit Optimizers via Block-wise Quantization"); tensors
# with fewer than 4096 elements keep 32-bit states (bitsandbytes Optimizer8bit `min_8bit_size=4096`).
BNB_8BIT_BLOCK = 256
BNB_MIN_8BIT_SIZE = 4096


@dataclass(frozen=True)
class OptimizerSpec:
    """`states` per parameter, each `state_bytes` wide (None = the parameter's own dtype)."""

    states: int
    state_bytes: int | None
    kind: str  # "torch", "bnb8", "bnb32", "adafactor", "none"
    paged: bool = False
    # foreach implementations allocate temporaries of about one state's size during `step()`
    step_temp_states: float = 0.0


# torch.optim.AdamW keeps exp_avg and exp_avg_sq like the parameter (zeros_like: same dtype); the default
# foreach implementation allocates ~1 state-sized temporary in step() (_multi_tensor_adamw: sqrt of exp_avg_sq).
# The fused implementation updates in place. SGD in transformers has momentum 0: no state. Adafactor keeps
# factored row/column second moments (no first moment: beta1=None by default in transformers).
OPTIMIZERS: dict[str, OptimizerSpec] = {
    "adamw_torch": OptimizerSpec(2, None, "torch", step_temp_states=1.0),
    "adamw_hf": OptimizerSpec(2, None, "torch", step_temp_states=1.0),
    "adamw_torch_fused": OptimizerSpec(2, None, "torch"),
    "adamw_anyprecision": OptimizerSpec(2, 4, "torch"),
    "adamw_bnb_8bit": OptimizerSpec(2, 1, "bnb8"),
    "adamw_8bit": OptimizerSpec(2, 1, "bnb8"),
    "paged_adamw_8bit": OptimizerSpec(2, 1, "bnb8", paged=True),
    "paged_adamw_32bit": OptimizerSpec(2, 4, "bnb32", paged=True),
    "paged_adamw": OptimizerSpec(2, 4, "bnb32", paged=True),
    "lion_8bit": OptimizerSpec(1, 1, "bnb8"),
    "paged_lion_8bit": OptimizerSpec(1, 1, "bnb8", paged=True),
    "lion_32bit": OptimizerSpec(1, 4, "bnb32"),
    "paged_lion_32bit": OptimizerSpec(1, 4, "bnb32", paged=True),
    "adafactor": OptimizerSpec(1, None, "adafactor"),
    "sgd": OptimizerSpec(0, None, "none"),
    "adagrad": OptimizerSpec(1, None, "torch", step_temp_states=1.0),
    "rmsprop": OptimizerSpec(1, None, "torch", step_temp_states=1.0),
}
DEFAULT_OPTIMIZER = "adamw_torch"

# Runtime memory outside PyTorch's allocated tensors (what nvidia-smi shows on top of
# torch.cuda.max_memory_allocated): the CUDA context with kernels (lazy loading, CUDA >= 11.7) and the
# caching allocator's reserved-but-unallocated blocks. Assumed values, to be calibrated with
# bench/measure_memory.py (docs/memory.md, "Measurements").
CUDA_CONTEXT_BYTES = int(0.5 * GIB)
ALLOCATOR_FRAGMENTATION = 0.05  # fraction of the allocated peak

# Verdicts: "tight" above this share of the GPU's memory.
TIGHT_FRACTION = 0.90
