"""core/train/cpu_memory.py: the shared float attention mask changes nothing but memory; the heap setting
is a safe no-op where it does not apply."""

from __future__ import annotations

from ftui.core.packing import PackedCollator, pack_rows
from ftui.core.train.cpu_memory import FORCE_GQA_ENV, limit_heap_growth, native_gqa, share_float_mask


def _model_and_batch():
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(0)
    config = LlamaConfig(
        vocab_size=50, hidden_size=256, intermediate_size=64, num_hidden_layers=3, num_attention_heads=4,
        num_key_value_heads=2, max_position_embeddings=64, attn_implementation="sdpa", use_cache=False,
    )  # fmt: skip
    model = LlamaForCausalLM(config)
    examples = [
        {"input_ids": [3, 7, 11, 13, 17], "labels": [-100, 7, 11, 13, 17]},
        {"input_ids": [19, 23, 29], "labels": [19, 23, 29]},
        {"input_ids": [31, 37, 41, 43], "labels": [31, 37, 41, 43]},
    ]
    rows = [r.as_dict() for r in pack_rows(examples, capacity=8)]
    return model, PackedCollator(pad_token_id=0, pad_to=8)(rows)


def _loss_grads_masks(model, batch):
    import torch

    masks = set()

    def pack(t):
        if t.dim() == 4 and t.shape[1] == 1 and t.shape[-1] == t.shape[-2] == 8:
            masks.add((t.untyped_storage().data_ptr(), t.dtype))
        return t

    model.zero_grad()
    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        loss = model(**batch).loss
    loss.backward()
    return loss.detach(), [p.grad.clone() for p in model.parameters()], masks


def test_shared_float_mask_gives_the_same_loss_and_gradients_with_one_saved_mask():
    import torch

    model, batch = _model_and_batch()
    loss, grads, _ = _loss_grads_masks(model, batch)
    assert share_float_mask(model) == 3
    shared_loss, shared_grads, masks = _loss_grads_masks(model, batch)
    assert torch.equal(loss, shared_loss)
    assert all(torch.allclose(a, b, rtol=1e-6, atol=1e-7) for a, b in zip(grads, shared_grads, strict=True))
    assert len(masks) <= 1  # torch's own bool->float conversion saved one copy per layer


def _saved_bytes(model, batch) -> tuple:
    import torch

    saved = []
    model.zero_grad()
    with torch.autograd.graph.saved_tensors_hooks(lambda t: saved.append(t) or t, lambda t: t):
        loss = model(**batch).loss
    loss.backward()
    storages = {t.untyped_storage().data_ptr(): t.untyped_storage().nbytes() for t in saved}
    return loss.detach(), [p.grad.clone() for p in model.parameters()], sum(storages.values())


def test_native_gqa_keeps_kv_heads_unrepeated_with_the_same_loss_and_gradients(monkeypatch):
    """Packed rows give SDPA a mask, and transformers then repeats k/v to all 4 heads (2 k/v heads here);
    under native_gqa SDPA takes them as they are: less saved, same numbers; the variable is gone after."""
    import os

    import torch

    monkeypatch.delenv(FORCE_GQA_ENV, raising=False)
    model, batch = _model_and_batch()
    share_float_mask(model)
    loss, grads, repeated = _saved_bytes(model, batch)
    with native_gqa():
        gqa_loss, gqa_grads, native = _saved_bytes(model, batch)
    assert FORCE_GQA_ENV not in os.environ
    assert torch.allclose(loss, gqa_loss, rtol=1e-6)
    assert all(torch.allclose(a, b, rtol=1e-5, atol=1e-6) for a, b in zip(grads, gqa_grads, strict=True))
    # per layer (3): k and v, [2 rows, 4 -> 2 heads, 8 tokens, 64] fp32: 2 of 4 heads not kept
    assert repeated - native == 3 * 2 * (2 * (4 - 2) * 8 * 64 * 4)


def test_native_gqa_leaves_the_users_setting(monkeypatch):
    import os

    monkeypatch.setenv(FORCE_GQA_ENV, "0")
    with native_gqa():
        assert os.environ[FORCE_GQA_ENV] == "0"
    assert os.environ[FORCE_GQA_ENV] == "0"


def test_heap_setting_respects_the_users_malloc_variables(monkeypatch):
    monkeypatch.setenv("MALLOC_MMAP_THRESHOLD_", "65536")
    assert limit_heap_growth() is False
    monkeypatch.delenv("MALLOC_MMAP_THRESHOLD_")
    assert isinstance(limit_heap_growth(), bool)
