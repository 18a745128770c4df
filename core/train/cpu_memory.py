"""Keeping CPU training's peak RSS to what autograd really holds (measured in bench/fused_loss.py).

Three costs that are not the model's, on CPU with packed rows and SDPA (issue 16):
- transformers gives SDPA a boolean block-diagonal mask; torch converts it to a float mask inside every
  attention call and saves that copy for backward, so each layer keeps its own [batch, 1, seq, seq] fp32
  mask (30 layers x 32 MiB = 0.94 GiB for SmolLM2 at seq 2048, batch 2). `share_float_mask` converts it
  once per forward, exactly as torch does (-inf where masked, 0 elsewhere), and all layers share that one.
- glibc raises its mmap threshold to the size of the largest freed block (up to 32 MiB), so the forward's
  many temporaries of 10-30 MiB land in the heap between tensors saved for backward and stay resident
  after they are freed (1.8 GiB of free heap at the end of the forward). `limit_heap_growth` fixes the
  threshold at 1 MiB: large tensors get their own mappings and go back to the system when freed.
- with a mask, transformers repeats k and v to every query head before SDPA (its rule for CUDA, where a
  mask with native GQA falls back to the math kernel), and SDPA saves the repeated copies. Torch's CPU
  flash kernel takes the mask and the k/v heads as they are (`enable_gqa`, same outputs and gradients), so
  `native_gqa` switches transformers' own TRANSFORMERS_SDPA_FORCE_GQA on while training: SmolLM2 (9 heads,
  3 k/v heads) at seq 2048, batch 2, fp32 saves 2/3 of 19 MB per layer, 0.35 GiB over 30 layers.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

FORCE_GQA_ENV = "TRANSFORMERS_SDPA_FORCE_GQA"  # read by transformers' sdpa_attention_forward at every call
MMAP_THRESHOLD = 1 << 20
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # glibc's mallopt parameters (malloc.h)


def limit_heap_growth() -> bool:
    """Fix glibc's mmap and trim thresholds (no-op elsewhere, or when the user set MALLOC_*_ himself)."""
    if any(os.environ.get(k) for k in ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_")):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    return bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(mallopt(_M_TRIM_THRESHOLD, MMAP_THRESHOLD))


def share_float_mask(model: Any) -> int:
    """Give every attention layer one float copy of the forward's boolean mask; returns layers hooked."""
    import torch

    last: dict[str, Any] = {}

    def to_float(module: Any, args: tuple, kwargs: dict) -> tuple[tuple, dict]:
        mask = kwargs.get("attention_mask")
        hidden = kwargs.get("hidden_states")
        if mask is None or hidden is None or mask.dtype != torch.bool or mask.device.type != "cpu":
            return args, kwargs
        if last.get("bool") is not mask or last["float"].dtype != hidden.dtype:
            last["bool"] = mask
            last["float"] = torch.zeros(mask.shape, dtype=hidden.dtype).masked_fill_(~mask, float("-inf"))
        kwargs["attention_mask"] = last["float"]
        return args, kwargs

    hooked = 0
    for name, module in model.named_modules():
        if name.endswith("self_attn"):
            module.register_forward_pre_hook(to_float, with_kwargs=True)
            hooked += 1
    return hooked


@contextmanager
def native_gqa() -> Iterator[None]:
    """SDPA on the k/v heads as they are, for the duration (the user's own setting of the variable wins).
    Scoped, not set for good: the process may go on to other work (tests train in-process)."""
    if FORCE_GQA_ENV in os.environ:
        yield
        return
    os.environ[FORCE_GQA_ENV] = "1"
    try:
        yield
    finally:
        os.environ.pop(FORCE_GQA_ENV, None)


def keep_cpu_peak_low(model: Any) -> None:
    """The first two of the above, for a run on CPU (`native_gqa` wraps the training itself)."""
    limit_heap_growth()
    share_float_mask(model)
