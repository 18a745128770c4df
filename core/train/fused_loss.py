"""Linear cross-entropy without the [tokens x vocab] logits: the LM head and the loss in one step.

The plain path computes fp32 logits for every token (and keeps them, their log-softmax and their gradient
alive through the backward pass), which is the largest single buffer of most fine-tunes. Here the head runs
over chunks of tokens: each chunk's logits are made, turned into the loss and into d(loss)/d(logits), folded
into the gradients of the hidden states (and of the head weight when it trains), and freed before the next
chunk. The gradients are computed in the forward pass (as Liger's kernel does) rather than by recomputing
the logits in backward: that costs the same matrix products as the plain path instead of one more.

On CUDA the maintained kernels run when installed (cut-cross-entropy, liger-kernel); everywhere else the
plain-PyTorch `ChunkedLinearCrossEntropy` below. All three take the same inputs: flat hidden states, the
head's weight (and bias), flat targets (already shifted, -100 = ignored) and an optional logit soft-cap.
"""

from __future__ import annotations

from typing import Any

import torch
from ftui.core.labels import IGNORE_INDEX
from ftui.core.train import kernels


def chunk_tokens(vocab: int, num_chunks: int | None, tokens: int) -> int:
    """Tokens per chunk: from `chunked_cross_entropy_num_chunks` when given, else a fixed logits budget."""
    if num_chunks:
        return max(1, -(-tokens // num_chunks))
    return max(1, kernels.CHUNK_ELEMENTS // max(vocab, 1))


class ChunkedLinearCrossEntropy(torch.autograd.Function):
    """sum over valid tokens of CE(softcap(hidden @ weight.T + bias), target); gradients made chunk by chunk.

    Returns the summed loss (fp32 scalar) and the number of valid targets is left to the caller, so the
    normalization (mean, or transformers' num_items_in_batch) stays the caller's choice.
    """

    @staticmethod
    def forward(ctx, hidden, weight, bias, targets, softcap, chunk):  # noqa: D401 - autograd signature
        needs_hidden, needs_weight = ctx.needs_input_grad[0], ctx.needs_input_grad[1]
        needs_bias = bias is not None and ctx.needs_input_grad[2]
        grads = needs_hidden or needs_weight or needs_bias
        weight_h = weight.to(hidden.dtype)
        grad_hidden = torch.zeros_like(hidden) if needs_hidden else None
        grad_weight = torch.zeros_like(weight, dtype=torch.float32) if needs_weight else None
        grad_bias = torch.zeros_like(bias, dtype=torch.float32) if needs_bias else None
        total = torch.zeros((), dtype=torch.float32, device=hidden.device)
        for start in range(0, hidden.shape[0], chunk):
            target = targets[start : start + chunk]
            valid = target != IGNORE_INDEX
            if not bool(valid.any()):
                continue
            part = hidden[start : start + chunk]
            logits = (part @ weight_h.t()).float()
            if bias is not None:
                logits += bias.float()
            if softcap:
                tanh = torch.tanh(logits / softcap)
                logits = tanh * softcap
            safe = torch.where(valid, target, 0)
            lse = torch.logsumexp(logits, dim=-1)
            picked = logits.gather(1, safe.unsqueeze(1)).squeeze(1)
            total += ((lse - picked) * valid).sum()
            if not grads:
                continue
            # d(loss)/d(logits) = softmax - one_hot, on valid rows only (in place, to keep one buffer)
            grad = logits.sub_(lse.unsqueeze(1)).exp_()
            grad.scatter_add_(1, safe.unsqueeze(1), torch.full_like(picked, -1.0).unsqueeze(1))
            grad.mul_(valid.unsqueeze(1))
            if softcap:
                grad.mul_(1.0 - tanh * tanh)
                del tanh
            if grad_bias is not None:
                grad_bias += grad.sum(0)
            if grad_weight is not None:
                grad_weight.addmm_(grad.t(), part.float())
            if grad_hidden is not None:
                grad_hidden[start : start + chunk] = grad.to(hidden.dtype) @ weight_h
        ctx.save_for_backward(grad_hidden, grad_weight, grad_bias)
        ctx.weight_dtype = weight.dtype
        ctx.bias_dtype = bias.dtype if bias is not None else None
        return total

    @staticmethod
    def backward(ctx, grad_total):
        grad_hidden, grad_weight, grad_bias = ctx.saved_tensors
        scale = grad_total.float()
        out_hidden = (grad_hidden * scale.to(grad_hidden.dtype)) if grad_hidden is not None else None
        out_weight = (grad_weight * scale).to(ctx.weight_dtype) if grad_weight is not None else None
        out_bias = (grad_bias * scale).to(ctx.bias_dtype) if grad_bias is not None else None
        return out_hidden, out_weight, out_bias, None, None, None


def linear_cross_entropy(
    hidden: torch.Tensor,
    weight: torch.Tensor,
    targets: torch.Tensor,
    *,
    bias: torch.Tensor | None = None,
    softcap: float | None = None,
    impl: str = "chunked",
    num_chunks: int | None = None,
) -> torch.Tensor:
    """Summed cross-entropy of `hidden @ weight.T (+ bias)` against `targets` (flat, -100 ignored)."""
    hidden = hidden.reshape(-1, hidden.shape[-1])
    targets = targets.reshape(-1).to(hidden.device)
    if impl == "cut_cross_entropy":
        from cut_cross_entropy import linear_cross_entropy as cce

        return cce(hidden, weight, targets, bias=bias, softcap=softcap, reduction="sum").float()
    if impl == "liger":
        from liger_kernel.transformers.functional import liger_fused_linear_cross_entropy

        out = liger_fused_linear_cross_entropy(
            hidden, weight, targets, bias=bias, softcap=softcap, reduction="sum"
        )
        return (out[0] if isinstance(out, tuple) else out).float()
    chunk = chunk_tokens(weight.shape[0], num_chunks, hidden.shape[0])
    return ChunkedLinearCrossEntropy.apply(hidden, weight, bias, targets, softcap, chunk)


def shifted_targets(labels: torch.Tensor, shift_labels: torch.Tensor | None = None) -> torch.Tensor:
    """Next-token targets as transformers' causal-LM loss makes them: labels moved left, -100 at the end."""
    if shift_labels is not None:
        return shift_labels
    return torch.nn.functional.pad(labels, (0, 1), value=IGNORE_INDEX)[..., 1:]


def normalize(total: torch.Tensor, targets: torch.Tensor, num_items_in_batch: Any = None) -> torch.Tensor:
    """The summed loss divided as transformers' ForCausalLMLoss divides: by num_items_in_batch when the
    Trainer passes it (gradient accumulation), else by this batch's valid targets."""
    if num_items_in_batch is not None:
        if torch.is_tensor(num_items_in_batch):
            num_items_in_batch = num_items_in_batch.to(total.device)
        return total / num_items_in_batch
    return total / (targets != IGNORE_INDEX).sum().to(total.device)
