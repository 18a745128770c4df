"""Packed rows under FlashAttention: the batch is flattened into one row, the layout in which transformers
runs varlen FlashAttention from position_ids (it only does so for a batch of one row). On CPU the same
flattened batch through SDPA gives the same per-token logits as the padded packed batch, so the example
boundaries travel in position_ids alone."""

from __future__ import annotations

import pytest
from ftui.core.packing import PackedCollator

torch = pytest.importorskip("torch")

ROWS = [
    {"input_ids": [5, 6, 7, 8, 9], "labels": [-100, 6, 7, -100, 9], "position_ids": [0, 1, 2, 0, 1]},
    {"input_ids": [3, 4, 5], "labels": [-100, 4, 5], "position_ids": [0, 1, 2]},
]


def test_flatten_puts_the_batch_in_one_unpadded_row():
    batch = PackedCollator(pad_token_id=0, pad_to=8, flatten=True)(ROWS)
    assert batch["input_ids"].tolist() == [[5, 6, 7, 8, 9, 3, 4, 5]]
    assert batch["labels"].tolist() == [[-100, 6, 7, -100, 9, -100, 4, 5]]
    assert batch["position_ids"].tolist() == [[0, 1, 2, 0, 1, 0, 1, 2]]
    assert "attention_mask" not in batch


def test_flattened_batch_keeps_examples_apart(tiny_chatml_model_dir):
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(tiny_chatml_model_dir, attn_implementation="sdpa")
    model.config.use_cache = False
    padded = PackedCollator(pad_token_id=0)(ROWS)
    flat = PackedCollator(pad_token_id=0, flatten=True)(ROWS)
    with torch.no_grad():
        rows = model(input_ids=padded["input_ids"], position_ids=padded["position_ids"]).logits
        one = model(input_ids=flat["input_ids"], position_ids=flat["position_ids"]).logits
        alone = model(input_ids=torch.tensor([[8, 9]]), position_ids=torch.tensor([[0, 1]])).logits
    assert torch.allclose(one[0, :5], rows[0, :5], atol=1e-5)
    assert torch.allclose(one[0, 5:], rows[1, :3], atol=1e-5)
    assert torch.allclose(one[0, 3:5], alone[0], atol=1e-5)  # the second example never saw the first


def test_the_trainer_flattens_only_for_flash_attention(tiny_chatml_model_dir):
    from ftui.core.train.trainer_setup import flash_attention
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(tiny_chatml_model_dir, attn_implementation="sdpa")
    assert not flash_attention(model)
    for name, flat in (
        ("flash_attention_2", True),
        ("kernels-community/flash-attn3", True),
        ("eager", False),
    ):
        model.config._attn_implementation = name
        assert flash_attention(model) is flat
