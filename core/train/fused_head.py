"""Putting the fused linear cross-entropy into a transformers causal LM, under the HF Trainer.

transformers' causal LMs end with `logits = self.lm_head(hidden)` and `loss = self.loss_function(logits,
labels, ...)`. While the Trainer computes a loss (`FusedLossTrainer.compute_loss` arms the hook), the LM
head keeps its input instead of making logits (it returns a [batch, tokens, 1] placeholder), and the
model's `loss_function` computes the loss from that input with `fused_loss.linear_cross_entropy`. Nothing
else changes: the model is called through the Trainer (DDP, PEFT, accelerate wrappers), labels, packing
masks and `num_items_in_batch` flow as before, and generation (no armed hook) gets real logits.

The head may be a plain Linear (tied or untied to the embeddings), a PEFT LoRA layer (its low-rank path is
folded in exactly, dropout included, by widening the hidden states and the weight) or a `modules_to_save`
copy. Logit soft-capping (Gemma 2) is applied inside the fused loss; other logit post-processing is refused.
"""

from __future__ import annotations

import inspect
import types
from dataclasses import dataclass
from typing import Any

import torch
from ftui.core.errors import UserError
from ftui.core.labels import IGNORE_INDEX
from ftui.core.train.fused_loss import linear_cross_entropy, normalize, shifted_targets


@dataclass
class HeadParts:
    """What the fused loss multiplies: hidden (possibly widened by LoRA) and weight, plus bias."""

    hidden: torch.Tensor
    weight: torch.Tensor
    bias: torch.Tensor | None


def head_parts(head: Any, hidden: torch.Tensor, what: str) -> HeadParts:
    """The head's linear map as (hidden, weight, bias), LoRA adapters folded in exactly."""
    from torch import nn

    if hasattr(head, "modules_to_save") and hasattr(head, "original_module"):  # PEFT modules_to_save
        active = [a for a in head.active_adapters if a in head.modules_to_save]
        module = (
            head.original_module if head.disable_adapters or not active else head.modules_to_save[active[0]]
        )
        return head_parts(module, hidden, what)
    if hasattr(head, "base_layer") and hasattr(head, "lora_A"):  # PEFT LoRA layer
        parts = head_parts(head.base_layer, hidden, what)
        if head.disable_adapters or head.merged:
            return parts
        extra_h, extra_w = [parts.hidden], [parts.weight]
        for name in head.active_adapters:
            if name not in head.lora_A:
                continue
            if name in getattr(head, "lora_variant", {}):
                raise UserError(
                    f"{what}: the fused loss cannot fold a DoRA/variant adapter on the LM head",
                    hint="leave lm_head out of lora_target_modules, or turn the fused loss off",
                )
            lora_a, lora_b = head.lora_A[name], head.lora_B[name]
            x = head.lora_dropout[name](hidden.to(lora_a.weight.dtype))
            extra_h.append((lora_a(x) * head.scaling[name]).to(parts.hidden.dtype))
            extra_w.append(lora_b.weight.to(parts.weight.dtype))
        return HeadParts(torch.cat(extra_h, -1), torch.cat(extra_w, -1), parts.bias)
    weight = getattr(head, "weight", None)
    if isinstance(head, nn.Linear) and type(weight) is nn.Parameter and weight.is_floating_point():
        return HeadParts(hidden, weight, head.bias)
    raise UserError(
        f"{what}: the LM head is a {type(head).__name__} layer (quantized or custom), which the fused "
        "loss cannot read",
        hint="keep the LM head unquantized (the default), or turn the fused loss off",
    )


def causal_lm(model: Any) -> Any:
    """The transformers model that owns lm_head and loss_function (under PEFT and wrappers)."""
    inner = model
    while hasattr(inner, "module") and not hasattr(inner, "lm_head"):  # DDP-style wrappers
        inner = inner.module
    if hasattr(inner, "get_base_model"):
        inner = inner.get_base_model()
    return inner


def check_fused_supported(model: Any, what: str) -> None:
    """Refuse models whose forward does more to the logits than transformers' usual head + loss."""
    config = model.config.get_text_config() if hasattr(model.config, "get_text_config") else model.config
    source = inspect.getsource(type(model).forward)
    for scale in ("logit_scale", "logits_scaling", "output_multiplier"):
        if getattr(config, scale, None) not in (None, 1, 1.0):
            raise UserError(
                f"{what}: {model.config.model_type} scales its logits ({scale}), which the fused loss does "
                "not reproduce",
                hint="turn the fused loss off for this model",
            )
    if "self.lm_head(" not in source or "self.loss_function(" not in source:
        raise UserError(
            f"{what}: {type(model).__name__} computes its loss in its own way; the fused loss cannot "
            "replace it",
            hint="turn the fused loss off for this model",
        )


class FusedHead:
    """The installed hook on one causal LM: head stashing its input, loss_function using the stash."""

    def __init__(self, model: Any, impl: str, what: str, num_chunks: int | None = None) -> None:
        check_fused_supported(model, what)
        self.impl, self.what, self.num_chunks = impl, what, num_chunks
        self.armed = False
        self._hidden: torch.Tensor | None = None
        config = model.config.get_text_config() if hasattr(model.config, "get_text_config") else model.config
        self.softcap = getattr(config, "final_logit_softcapping", None) or None
        self.model = model
        self.original_loss = model.loss_function
        model.loss_function = self.loss_function
        self._patch_head()

    def _patch_head(self) -> None:
        head = self.model.lm_head
        hook = self
        original = head.forward

        def forward(module: Any, hidden: torch.Tensor, *args: Any, **kwargs: Any) -> torch.Tensor:
            if not hook.armed:
                return original(hidden, *args, **kwargs)
            hook._hidden = hidden
            return hidden.new_zeros((*hidden.shape[:-1], 1))

        head.forward = types.MethodType(forward, head)

    def loss_function(
        self,
        logits: torch.Tensor,
        labels: torch.Tensor,
        vocab_size: int | None = None,
        num_items_in_batch: Any = None,
        ignore_index: int = IGNORE_INDEX,
        shift_labels: torch.Tensor | None = None,
        **kwargs: Any,
    ) -> torch.Tensor:
        hidden, self._hidden = self._hidden, None
        if hidden is None:  # not armed: the model made real logits
            return self.original_loss(
                logits, labels, vocab_size, num_items_in_batch=num_items_in_batch,
                ignore_index=ignore_index, shift_labels=shift_labels, **kwargs,
            )  # fmt: skip
        targets = shifted_targets(labels, shift_labels).to(hidden.device)
        parts = head_parts(self.model.lm_head, hidden, self.what)
        total = linear_cross_entropy(
            parts.hidden, parts.weight, targets, bias=parts.bias, softcap=self.softcap,
            impl=self.impl, num_chunks=self.num_chunks,
        )  # fmt: skip
        return normalize(total, targets, num_items_in_batch)


def install_fused_loss(model: Any, impl: str, what: str, num_chunks: int | None = None) -> FusedHead:
    """Hook the fused loss into `model` (a transformers causal LM, possibly PEFT-wrapped)."""
    inner = causal_lm(model)
    if not hasattr(inner, "lm_head") or not hasattr(inner, "loss_function"):
        raise UserError(
            f"{what}: {type(inner).__name__} has no lm_head to fuse with the loss",
            hint="turn the fused loss off for this model",
        )
    hook = FusedHead(inner, impl, what, num_chunks)
    model.ftui_fused_head = hook
    return hook


def fused_trainer_class(base: type) -> type:
    """A Trainer subclass that arms the fused head while it computes a loss (train and eval)."""

    class FusedLossTrainer(base):
        ftui_fused_head: FusedHead | None = None

        def compute_loss(self, model, inputs, *args, **kwargs):
            hook = self.ftui_fused_head
            if hook is None or "labels" not in inputs:
                return super().compute_loss(model, inputs, *args, **kwargs)
            hook.armed = True
            try:
                return super().compute_loss(model, inputs, *args, **kwargs)
            finally:
                hook.armed = False
                hook._hidden = None

    return FusedLossTrainer
