"""Which loss and which Liger kernels a config gets on this machine: the one rule, without torch.

`cut_cross_entropy`, `liger_fused_linear_cross_entropy` and Axolotl's `chunked_cross_entropy` all mean
"never make the [tokens x vocab] logits". On CUDA the maintained kernel runs when its package is installed
(cut-cross-entropy, liger-kernel); on CPU and where it is missing, ftui's chunked linear cross-entropy
(core/train/fused_loss.py), which gives the same loss and gradients in any precision. That is why ftui
accepts `cut_cross_entropy` in fp32, where Axolotl asks for bf16/fp16 (its kernel needs half precision).

Liger's other kernels (RoPE, RMSNorm, GLU, LayerNorm) are Triton kernels patched in by liger-kernel: they
need a CUDA GPU and the package, and are refused with one line otherwise rather than silently skipped.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

CHUNK_ELEMENTS = 1 << 23  # logits per chunk of the fallback (32 MiB in fp32): small next to a model, fast

# key -> (package of the CUDA kernel or None, impl name passed to fused_loss), in order of precedence.
LOSS_KEYS: dict[str, tuple[str | None, str]] = {
    "cut_cross_entropy": ("cut_cross_entropy", "cut_cross_entropy"),
    "liger_fused_linear_cross_entropy": ("liger_kernel", "liger"),
    "chunked_cross_entropy": (None, "chunked"),
}
# What `run_started.loss_impl` says for each impl.
LOSS_IMPL_NAMES = {
    "plain": "plain",
    "cut_cross_entropy": "cut_cross_entropy",
    "liger": "liger_fused_linear_cross_entropy",
    "chunked": "chunked_linear_cross_entropy",
}
# config key -> keyword of liger-kernel's apply_liger_kernel_to_<family>(...).
LIGER_KERNELS: dict[str, str] = {
    "liger_rope": "rope",
    "liger_rms_norm": "rms_norm",
    "liger_glu_activation": "swiglu",
    "liger_swiglu": "swiglu",  # Axolotl's older name of liger_glu_activation
    "liger_layer_norm": "layer_norm",
}


def _installed(package: str) -> bool:
    return importlib.util.find_spec(package) is not None


@dataclass(frozen=True)
class LossPlan:
    key: str | None  # the config key that asked for a fused loss; None: the plain loss
    impl: str  # "plain", "cut_cross_entropy", "liger", "chunked"
    num_chunks: int | None = None
    note: str | None = None  # why the fallback runs instead of the asked-for kernel

    @property
    def fused(self) -> bool:
        return self.impl != "plain"

    @property
    def loss_impl(self) -> str:
        return LOSS_IMPL_NAMES[self.impl]


def fused_key(raw: Mapping[str, Any]) -> str | None:
    """The first fused-loss key that is on in the config (cut > liger > chunked)."""
    return next((key for key in LOSS_KEYS if raw.get(key) is True), None)


def loss_plan(raw: Mapping[str, Any], cuda: bool, preference: bool = False) -> LossPlan:
    """The loss a config trains with here. Preference training (rl:) gets the plain head, with a note:
    TRL's trainers compute per-token log-probs from the logits themselves."""
    key = fused_key(raw)
    if key is None:
        return LossPlan(None, "plain")
    if preference:
        return LossPlan(
            None, "plain", note=f"{key}: not applied to preference training (TRL computes the log-probs "
            "from full logits); the plain LM head runs",
        )  # fmt: skip
    chunks = raw.get("chunked_cross_entropy_num_chunks") if key == "chunked_cross_entropy" else None
    package, impl = LOSS_KEYS[key]
    if package is None:
        return LossPlan(key, impl, chunks)
    if cuda and _installed(package):
        return LossPlan(key, impl)
    why = "no CUDA GPU here" if not cuda else f"the {package.replace('_', '-')} package is not installed"
    return LossPlan(
        key, "chunked", note=f"{key}: {why}, so ftui's chunked linear cross-entropy runs (same loss)"
    )


def liger_keys(raw: Mapping[str, Any]) -> list[str]:
    """Liger kernel keys that are on."""
    return [key for key in LIGER_KERNELS if raw.get(key) is True]


def liger_reason(raw: Mapping[str, Any], cuda: bool) -> str | None:
    """Why the asked-for Liger kernels cannot run here; None when they can (or none is asked for)."""
    if not liger_keys(raw):
        return None
    if not cuda:
        return (
            "Liger kernels are Triton GPU kernels and this machine has no CUDA GPU; remove them to train here"
        )
    if not _installed("liger_kernel"):
        return "the liger-kernel package is not installed; pip install 'ftui[liger]' or remove them"
    return None


def liger_refusal(raw: Mapping[str, Any], cuda: bool) -> str | None:
    """The one line `ftui train` stops with (the keys, then the reason)."""
    reason = liger_reason(raw, cuda)
    return None if reason is None else f"{', '.join(liger_keys(raw))}: {reason}"


def apply_liger(model: Any, raw: Mapping[str, Any]) -> list[str]:
    """Patch the asked-for Liger kernels into `model` with liger-kernel's own per-family function
    (apply_liger_kernel_to_<family>); the loss stays ftui's (fused_head). Returns the keys applied."""
    keys = liger_keys(raw)
    if not keys:
        return []
    from ftui.core.errors import UserError
    from liger_kernel.transformers.monkey_patch import MODEL_TYPE_TO_APPLY_LIGER_FN

    model_type = getattr(model.config, "model_type", None)
    apply = MODEL_TYPE_TO_APPLY_LIGER_FN.get(model_type)
    if apply is None:
        raise UserError(
            f"{', '.join(keys)}: liger-kernel has no kernels for {model_type} models",
            hint=f"remove the liger_* keys; liger-kernel supports {', '.join(sorted(MODEL_TYPE_TO_APPLY_LIGER_FN))}",
        )
    import inspect

    accepted = inspect.signature(apply).parameters
    glu = "swiglu" if "swiglu" in accepted else "geglu"  # Gemma's MLP is a GeGLU
    wanted = {(glu if LIGER_KERNELS[key] == "swiglu" else LIGER_KERNELS[key]): key for key in keys}
    missing = [key for kernel, key in wanted.items() if kernel not in accepted]
    if missing:
        raise UserError(
            f"{', '.join(missing)}: liger-kernel has no such kernel for {model_type} models",
            hint="remove those keys",
        )
    kernels = ("rope", "rms_norm", "swiglu", "geglu", "layer_norm")
    options = {name: name in wanted for name in kernels if name in accepted}
    for off in ("cross_entropy", "fused_linear_cross_entropy"):  # ftui's fused_head owns the loss
        if off in accepted:
            options[off] = False
    apply(model=model, **options)
    return keys
