"""Activation memory: the tensors autograd saves for backward, counted op by op for a HF decoder layer.

Per token and layer (a = bytes of the compute dtype, r = bytes of the residual stream, h hidden,
q = heads*head_dim, kv = kv_heads*head_dim, i intermediate), what the backward pass needs:
- RMSNorm: its fp32 input copy (4h), plus the normalized output (r*h) when the norm weight trains.
- attention kernel (SDPA/flash, run in the compute dtype under autocast): q, k, v (k/v repeated to all heads
  for SDPA with a mask), the output, and the fp32 log-sum-exp per head; eager attention also keeps the fp32
  softmax and its a-byte copy (s values per head and token).
- a Linear's input only when its weight trains (full fine-tune). A LoRA-adapted Linear keeps the autocast copy
  of its input for the fp32 adapter's weight gradient (one per adapted module: a*d_in) and A's r-wide output.
- MLP: gate output, activation output and up output (3*r*i); MoE multiplies by the active experts.
QLoRA/8-bit: PEFT's prepare_model_for_kbit_training casts embeddings and norms to fp32, so the residual stream
and the MLP's elementwise tensors are fp32 (r = 4) while matmuls still run in the compute dtype.
Gradient checkpointing keeps only each layer's input (r*h) and recomputes one layer at a time.
Liger's kernels keep less: its RMSNorm saves the input in its own dtype and one fp32 rstd per row (no fp32
copy, no output), its SwiGLU/GeGLU keeps gate and up outputs but not the activation output; RoPE saves
nothing either way. The fused loss keeps no logits, only one chunk's (fused_logits_bytes).
docs/memory.md derives each term.
"""

from __future__ import annotations

from dataclasses import dataclass

from ftui.core.memory.constants import DTYPE_BYTES
from ftui.core.memory.inputs import EstimateInput
from ftui.core.models.facts import ModelFacts
from ftui.core.models.params import linear_layers, lora_layer_shapes


@dataclass(frozen=True)
class ActivationMemory:
    saved: int  # all tensors saved for backward at the end of forward (whole model)
    per_layer: int  # one decoder layer's saved tensors (what a checkpointed layer recomputes)
    working: int  # transient tensors while one layer runs backward (incl. dequantized 4/8-bit weights)
    logits_peak: int  # logits + fp32 upcast + log-softmax + its gradient, at their largest
    mask: int  # materialized attention mask


def norm_bytes(width: int, inp: EstimateInput, trains: bool, fp32_out: bool = False) -> float:
    """Per token: what one RMSNorm over `width` keeps for backward (HF: fp32 input copy, plus its output
    when the norm weight trains; Liger: the input as it is and an fp32 rstd)."""
    r = stream_bytes(inp)
    if "rms_norm" in inp.liger_kernels:
        return r * width + 4
    return (4 + ((4 if fp32_out else r) if trains else 0)) * width


def fused_logits_bytes(facts: ModelFacts, inp: EstimateInput, tokens: int) -> int:
    """The fused linear cross-entropy's buffers (core/train/fused_loss.py): one chunk of fp32 logits (and
    its compute-dtype matmul output, and tanh under soft-capping), the hidden-state gradient it hands to
    backward, the fp32 head-weight gradient when the head trains, and the widened weight of a LoRA head.
    The CUDA kernels (cut-cross-entropy, Liger) keep at most as much."""
    from ftui.core.train import kernels

    a, h, v = DTYPE_BYTES[inp.dtype], facts.hidden_size, facts.vocab_size
    chunk = min(tokens, max(1, kernels.CHUNK_ELEMENTS // max(v, 1))) * v
    per_value = 4 + (a if a != 4 else 0) + (4 if facts.family == "gemma2" else 0)
    total = chunk * per_value + a * h * tokens
    if not inp.is_lora:
        total += 4 * v * h
    elif "lm_head" in inp.lora_target_modules:
        total += a * v * (h + inp.lora_r) + a * tokens * (h + inp.lora_r)
    return total


def stream_bytes(inp: EstimateInput) -> int:
    """Bytes of the residual stream: fp32 once prepare_model_for_kbit_training upcast embeddings and norms."""
    return 4 if inp.is_lora and inp.quant_bits else DTYPE_BYTES[inp.dtype]


def _lora_input_bytes(d_in: int, inp: EstimateInput) -> float:
    """Saved per token by one LoRA-adapted Linear: autocast copy of its input (+ dropout mask), A's output."""
    saved = DTYPE_BYTES[inp.dtype] * d_in + 4 * inp.lora_r
    if inp.lora_dropout > 0:
        saved += d_in  # dropout mask (bool)
    return saved


def effective_attention(facts: ModelFacts, inp: EstimateInput) -> str:
    """Gemma 2 has no SDPA path in transformers (soft-capping): it runs eager unless flash is requested."""
    if facts.family == "gemma2" and inp.attention == "sdpa":
        return "eager"
    return inp.attention


def attention_core_bytes(facts: ModelFacts, inp: EstimateInput) -> float:
    """Per token: what the attention kernel keeps for backward."""
    a = DTYPE_BYTES[inp.dtype]
    q = facts.num_heads * facts.head_dim
    kv = facts.num_kv_heads * facts.head_dim
    attention = effective_attention(facts, inp)
    if attention == "eager":
        # matmuls keep q and k/v repeated to every head; softmax keeps its fp32 output and the a-byte copy
        total = a * 3 * q + (4 + a) * facts.num_heads * inp.sequence_len
        if facts.family == "gemma2":  # attention-logit soft-capping keeps tanh's output too
            total += a * facts.num_heads * inp.sequence_len
        return total
    # SDPA uses native GQA unless a mask is materialized (packing), which repeats k/v to every head (not
    # on CPU runs: core/train/cpu_memory.native_gqa); the kernel keeps its output (shared with o_proj's
    # input) and an fp32 log-sum-exp per head.
    kv_saved = q if (attention == "sdpa" and inp.sample_packing and inp.device != "cpu") else kv
    return a * (q + 2 * kv_saved) + a * q + 4 * facts.num_heads


def _first_layer_discount(facts: ModelFacts, inp: EstimateInput) -> float:
    """Per token: nothing before the first trainable tensor needs saving. With LoRA that leaves out layer 0's
    input norm and attention when no q/k/v projection is adapted (the embeddings are frozen)."""
    if not inp.is_lora:
        return 0.0
    adapted = {
        layer.name for layer in lora_layer_shapes(facts, inp.lora_target_modules, inp.targets_all_linear)
    }
    if adapted & {"q_proj", "k_proj", "v_proj", "qkv_proj"}:
        return 0.0
    return 4 * facts.hidden_size + attention_core_bytes(facts, inp)


def layer_bytes_per_token(facts: ModelFacts, inp: EstimateInput) -> float:
    a, r = DTYPE_BYTES[inp.dtype], stream_bytes(inp)
    full = not inp.is_lora
    h, i = facts.hidden_size, facts.intermediate_size
    q = facts.num_heads * facts.head_dim
    kv = facts.num_kv_heads * facts.head_dim
    family = facts.family
    experts = max(facts.experts_per_token, 1) if facts.is_moe else 1
    norm_count = 4 if family in ("gemma2", "gemma3") else 2
    total = norm_count * norm_bytes(h, inp, full, fp32_out=family.startswith("gemma"))
    if family in ("qwen3", "gemma3"):  # per-head q/k RMSNorm
        total += norm_bytes(q + kv, inp, full)
    attention = effective_attention(facts, inp)
    total += attention_core_bytes(facts, inp)
    if full:
        total += a * (h + h) + a * i * experts  # inputs of q/k/v (shared), gate/up (shared), down
        if attention == "eager":
            total += a * q  # o_proj's input is a fresh copy of the attention output
        if facts.is_moe:
            total += a * h * experts  # tokens gathered per expert
    else:
        adapted = [
            layer
            for layer in lora_layer_shapes(facts, inp.lora_target_modules, inp.targets_all_linear)
            if layer.part == "text"
        ]
        for layer in adapted:
            total += _lora_input_bytes(layer.d_in, inp)
    glu_saved = 2 if "swiglu" in inp.liger_kernels else 3  # Liger recomputes the activation output
    total += glu_saved * r * i * experts  # activation input, activation output, up output
    if facts.is_moe:
        total += 4 * facts.num_experts * 2  # router logits + softmax (fp32)
    return total


def activation_memory(facts: ModelFacts, inp: EstimateInput) -> ActivationMemory:
    a, r = DTYPE_BYTES[inp.dtype], stream_bytes(inp)
    b, s = inp.micro_batch_size, inp.sequence_len
    tokens = b * s
    h, i = facts.hidden_size, facts.intermediate_size
    per_layer = int(layer_bytes_per_token(facts, inp) * tokens)
    full = not inp.is_lora
    final_norm = int(norm_bytes(h, inp, full) * tokens)
    lm_head_in = 0
    if inp.fused_loss:
        lm_head_in = 0  # the fused loss saves no head input: its gradients are made in the forward pass
    elif full:
        lm_head_in = a * h * tokens
    elif "lm_head" in inp.lora_target_modules:
        lm_head_in = int(_lora_input_bytes(h, inp) * tokens)
    if inp.gradient_checkpointing:
        saved = facts.num_layers * r * h * tokens + final_norm + lm_head_in
    else:
        saved = facts.num_layers * per_layer + final_norm + lm_head_in
        saved -= int(_first_layer_discount(facts, inp) * tokens)
    experts = max(facts.experts_per_token, 1) if facts.is_moe else 1
    working = (3 * r * i * experts + 2 * r * h) * tokens
    bits = inp.quant_bits if inp.is_lora else None
    if bits:
        largest = max(
            (layer.d_in * layer.d_out for layer in linear_layers(facts) if layer.part == "text"), default=0
        )
        working += largest * a  # bitsandbytes dequantizes one weight to the compute dtype per matmul
    logits = 12 * tokens * facts.vocab_size  # fp32 log-softmax output + its gradient + the input gradient
    if facts.family == "gemma2":
        logits += 2 * a * tokens * facts.vocab_size  # final logit soft-capping keeps tanh's output
    if inp.fused_loss:
        logits = fused_logits_bytes(facts, inp, tokens)
    mask = 0
    attention = effective_attention(facts, inp)
    if attention == "eager":
        mask = b * s * s * a  # additive float mask
    elif attention == "sdpa" and inp.sample_packing:
        mask = b * s * s  # boolean block-diagonal mask for packed rows
    return ActivationMemory(saved=saved, per_layer=per_layer, working=working, logits_peak=logits, mask=mask)
