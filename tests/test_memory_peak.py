"""The whole estimate (all components and the peak-phase model) against the live-tensor peak of a real
training step on CPU.

A TorchDispatchMode records every storage an op creates and a weakref callback subtracts it when freed, so
`peak` is the maximum of live tensor bytes during one step (forward, loss, backward, clipping, optimizer
step, zero_grad) on top of what existed before (weights, buffers, optimizer states): the CPU analogue of
`torch.cuda.max_memory_allocated()`, which `peak_allocated_bytes` predicts. The CUDA context and allocator
fragmentation are GPU-only and not part of this check.
"""

from __future__ import annotations

import weakref

import pytest
from ftui.core.memory import EstimateInput, breakdown
from ftui.core.models.facts import facts_from_config

VOCAB = 1000
pytestmark = pytest.mark.slow  # ~8 s per case on 2 CPU cores


class _LiveBytes:
    """Peak bytes of storages created inside the context, excluding storages that existed before."""

    def __init__(self, existing) -> None:
        from torch.utils._python_dispatch import TorchDispatchMode

        self.ignore = {t.untyped_storage().data_ptr() for t in existing}
        self.live = self.peak = 0
        self.refs: dict[int, weakref.ref] = {}
        tracker = self

        class Mode(TorchDispatchMode):
            def __torch_dispatch__(self, func, types, args=(), kwargs=None):
                import torch
                from torch.utils._pytree import tree_flatten

                out = func(*args, **(kwargs or {}))
                for tensor in tree_flatten(out)[0]:
                    if isinstance(tensor, torch.Tensor) and tensor.device.type == "cpu":
                        tracker.track(tensor)
                return out

        self.mode = Mode()

    def track(self, tensor) -> None:
        storage = tensor.untyped_storage()
        key, size = storage.data_ptr(), storage.nbytes()
        if key in self.ignore or key in self.refs or size == 0:
            return

        def freed(_ref, key=key, size=size):
            self.live -= size
            self.refs.pop(key, None)

        self.refs[key] = weakref.ref(storage, freed)
        self.live += size
        self.peak = max(self.peak, self.live)


def _bytes(tensors) -> int:
    return sum(t.numel() * t.element_size() for t in tensors)


def _measure(config: dict, inp: EstimateInput) -> int:
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM

    cfg = dict(config)
    model_type = cfg.pop("model_type")
    torch.manual_seed(0)
    model = AutoModelForCausalLM.from_config(
        AutoConfig.for_model(model_type, **cfg), dtype=torch.bfloat16, attn_implementation="sdpa"
    )
    if inp.is_lora:
        from peft import LoraConfig, get_peft_model

        model = get_peft_model(model, LoraConfig(r=inp.lora_r, target_modules="all-linear"))
    model.train()
    if inp.gradient_checkpointing:
        model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
        if inp.is_lora:
            model.enable_input_require_grads()
    if inp.fused_loss:
        from ftui.core.train.fused_head import install_fused_loss

        install_fused_loss(model, "chunked", "cut_cross_entropy").armed = True
    params = [p for p in model.parameters() if p.requires_grad]
    fused = inp.optimizer == "adamw_torch_fused"
    optimizer = torch.optim.AdamW(params, lr=1e-5, fused=fused, foreach=not fused)
    ids = torch.randint(0, VOCAB, (inp.micro_batch_size, inp.sequence_len))

    def step() -> None:
        for _ in range(inp.gradient_accumulation_steps):
            with torch.autocast("cpu", dtype=torch.bfloat16):
                loss = model(input_ids=ids, labels=ids).loss
            (loss / inp.gradient_accumulation_steps).backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)

    step()  # optimizer states exist from here on, as in steady-state training
    states = [v for state in optimizer.state.values() for v in state.values() if torch.is_tensor(v)]
    existing = [*model.parameters(), *model.buffers(), *states, ids]
    tracker = _LiveBytes(existing)
    with tracker.mode:
        step()
    buffers_and_steps = _bytes(model.buffers()) + _bytes(v for v in states if v.numel() == 1)
    return (
        _bytes(model.parameters())
        + _bytes(v for v in states if v.numel() > 1)
        + buffers_and_steps
        + tracker.peak
    )


CONFIG = dict(
    model_type="llama",
    vocab_size=VOCAB,
    hidden_size=256,
    intermediate_size=704,
    num_hidden_layers=4,
    num_attention_heads=8,
    num_key_value_heads=4,
    tie_word_embeddings=False,
    max_position_embeddings=512,
)
CASES = {
    "full (peak at forward end)": dict(micro_batch_size=2, sequence_len=128),
    "full + grad accumulation": dict(micro_batch_size=2, sequence_len=128, gradient_accumulation_steps=2),
    "full, short rows (peak at the foreach AdamW step)": dict(micro_batch_size=1, sequence_len=16),
    "full, short rows, fused AdamW": dict(micro_batch_size=1, sequence_len=16, optimizer="adamw_torch_fused"),
    "full + checkpointing": dict(micro_batch_size=2, sequence_len=128, gradient_checkpointing=True),
    "lora all-linear": dict(adapter="lora", micro_batch_size=2, sequence_len=128),
    "lora + checkpointing (peak in backward)": dict(
        adapter="lora", micro_batch_size=2, sequence_len=128, gradient_checkpointing=True
    ),
    # the fused linear cross-entropy in chunks of 32 tokens (core/train/fused_loss.py)
    "full + fused loss": dict(micro_batch_size=2, sequence_len=128, fused_loss=True),
    "lora + fused loss": dict(adapter="lora", micro_batch_size=2, sequence_len=128, fused_loss=True),
}


@pytest.mark.parametrize("name", list(CASES))
def test_peak_allocated_matches_a_real_step(name, monkeypatch):
    from ftui.core.train import kernels

    monkeypatch.setattr(kernels, "CHUNK_ELEMENTS", 32 * VOCAB)
    inp = EstimateInput(lora_r=8, **CASES[name])
    facts = facts_from_config(CONFIG, "tiny", "local")
    assert breakdown(facts, inp).peak_allocated_bytes == pytest.approx(_measure(CONFIG, inp), rel=0.05)
