"""Memory that does not depend on the batch: weights, trainable adapters, gradients, optimizer states.

Everything is computed per tensor from the model's inventory (core/models/params.py), because the exact
rules are per tensor: bitsandbytes quantizes nn.Linear weights only (never lm_head), keeps 32-bit optimizer
states for tensors under 4096 elements, and Adafactor factors 2-D tensors.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ftui.core.memory.constants import (
    BNB_8BIT_BLOCK,
    BNB_MIN_8BIT_SIZE,
    DEFAULT_OPTIMIZER,
    DTYPE_BYTES,
    INT8_ROW_SCALE_BYTES,
    NF4_BLOCK,
    NF4_DOUBLE_QUANT_BLOCK,
    OPTIMIZERS,
    OptimizerSpec,
)
from ftui.core.memory.inputs import EstimateInput
from ftui.core.models.facts import ModelFacts
from ftui.core.models.params import count_parameters, linear_layers, lora_layer_shapes, total_parameters


@dataclass(frozen=True)
class TensorGroup:
    """`count` trainable tensors of shape (rows, cols) (cols=1 for vectors), `dtype_bytes` wide."""

    rows: int
    cols: int
    count: int
    dtype_bytes: int

    @property
    def numel(self) -> int:
        return self.rows * self.cols

    @property
    def params(self) -> int:
        return self.numel * self.count


@dataclass(frozen=True)
class StaticMemory:
    params: int
    trainable_params: int
    quantized_weights: int  # bytes of 4/8-bit Linear weights incl. their scales
    weights: int  # bytes of everything else in the base model (16/32-bit)
    adapters: int  # bytes of trainable copies: LoRA A/B, modules_to_save
    gradients: int
    optimizer_states: int
    optimizer_paged: bool
    optimizer_step_temp: int
    lm_head_gradient: int  # produced first in backward (full fine-tune)


def optimizer_spec(name: str) -> OptimizerSpec:
    return OPTIMIZERS.get(name, OPTIMIZERS[DEFAULT_OPTIMIZER])


def nf4_bytes(numel: int, double_quant: bool = True) -> int:
    """Storage of one NF4 tensor: packed 4-bit codes + absmax (8-bit + fp32 second level with double quant)."""
    blocks = math.ceil(numel / NF4_BLOCK)
    codes = math.ceil(numel / 2)
    if not double_quant:
        return codes + 4 * blocks
    return codes + blocks + 4 * math.ceil(blocks / NF4_DOUBLE_QUANT_BLOCK)


def quantized_linear_bytes(facts: ModelFacts, bits: int) -> int:
    total = 0
    for layer in linear_layers(facts):
        if layer.part == "head":
            continue  # transformers never quantizes lm_head
        numel = layer.d_in * layer.d_out
        per_tensor = nf4_bytes(numel) if bits == 4 else numel + INT8_ROW_SCALE_BYTES * layer.d_out
        total += per_tensor * layer.count
    return total


def _full_tensors(facts: ModelFacts, p: int) -> list[TensorGroup]:
    """Every parameter of the model as tensor groups (for a full fine-tune)."""
    counts = count_parameters(facts)
    h = facts.hidden_size
    groups = [TensorGroup(facts.vocab_size, h, 1 if facts.tied_embeddings else 2, p)]
    for layer in linear_layers(facts):
        if layer.part == "head":
            continue
        groups.append(TensorGroup(layer.d_out, layer.d_in, layer.count, p))
        if layer.bias:
            groups.append(TensorGroup(layer.d_out, 1, layer.count, p))
    if counts.norms:
        groups.append(TensorGroup(h, 1, counts.norms // h, p))
        if counts.norms % h:
            groups.append(TensorGroup(counts.norms % h, 1, 1, p))
    if counts.experts:
        per_expert = counts.experts // (facts.num_layers * facts.num_experts)
        groups.append(TensorGroup(per_expert // h, h, facts.num_layers * facts.num_experts, p))
    if counts.other:
        groups.append(TensorGroup(counts.other, 1, 1, p))
    return groups


def _lora_tensors(facts: ModelFacts, inp: EstimateInput) -> list[TensorGroup]:
    """LoRA A (r x d_in) and B (d_out x r) per adapted Linear; PEFT keeps them in fp32."""
    r = inp.lora_r
    groups = []
    for layer in lora_layer_shapes(facts, inp.lora_target_modules, inp.targets_all_linear):
        groups.append(TensorGroup(r, layer.d_in, layer.count, 4))
        groups.append(TensorGroup(layer.d_out, r, layer.count, 4))
    return groups


def _modules_to_save(facts: ModelFacts, inp: EstimateInput, p: int) -> list[TensorGroup]:
    """PEFT's modules_to_save: a full trainable copy of embed_tokens / lm_head."""
    groups = []
    for name in inp.lora_modules_to_save:
        if name in ("embed_tokens", "lm_head"):
            groups.append(TensorGroup(facts.vocab_size, facts.hidden_size, 1, p))
    return groups


def optimizer_bytes(groups: list[TensorGroup], spec: OptimizerSpec) -> int:
    total = 0
    for g in groups:
        n = g.numel
        if spec.kind == "none" or spec.states == 0:
            per = 0
        elif spec.kind == "bnb8":
            per = (
                spec.states * (n + 4 * math.ceil(n / BNB_8BIT_BLOCK))
                if n >= BNB_MIN_8BIT_SIZE
                else spec.states * 4 * n
            )
        elif spec.kind == "bnb32":
            per = spec.states * 4 * n
        elif spec.kind == "adafactor":
            per = (g.rows + g.cols) * g.dtype_bytes if g.cols > 1 and g.rows > 1 else n * g.dtype_bytes
        else:
            per = spec.states * (spec.state_bytes or g.dtype_bytes) * n
        total += per * g.count
    return total


def static_memory(facts: ModelFacts, inp: EstimateInput) -> StaticMemory:
    p = DTYPE_BYTES[inp.dtype]
    counts = count_parameters(facts)
    params = total_parameters(facts)
    bits = inp.quant_bits if inp.is_lora else None
    if bits:
        quantized = quantized_linear_bytes(facts, bits)
        # PEFT's prepare_model_for_kbit_training casts every non-quantized parameter to fp32.
        weights = (params - counts.quantizable) * 4
        saved_p = 4
    else:
        quantized = 0
        weights = params * p
        saved_p = p
    if inp.is_lora:
        trainable = _lora_tensors(facts, inp) + _modules_to_save(facts, inp, saved_p)
    else:
        trainable = _full_tensors(facts, p)
    trainable_params = sum(g.params for g in trainable)
    if (
        not inp.is_lora and params != counts.total
    ):  # unknown architecture: scale the inventory to the exact count
        trainable = [TensorGroup(params, 1, 1, p)]
        trainable_params = params
    adapters = sum(g.params * g.dtype_bytes for g in trainable) if inp.is_lora else 0
    gradients = sum(g.params * g.dtype_bytes for g in trainable)
    spec = optimizer_spec(inp.optimizer)
    states = optimizer_bytes(trainable, spec)
    step_temp = int(states / spec.states * spec.step_temp_states) if spec.states else 0
    lm_head_grad = 0 if inp.is_lora else facts.vocab_size * facts.hidden_size * p
    return StaticMemory(
        params=params,
        trainable_params=trainable_params,
        quantized_weights=quantized,
        weights=weights,
        adapters=adapters,
        gradients=gradients,
        optimizer_states=states,
        optimizer_paged=spec.paged,
        optimizer_step_temp=step_temp,
        lm_head_gradient=lm_head_grad,
    )
