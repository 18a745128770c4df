"""The chunked linear cross-entropy equals the plain head + loss: loss and every gradient, within 1e-5
relative in fp32, on tiny models of each catalog family, with packing, prompt masks, tied and untied
embeddings, Gemma 2 soft-capping and LoRA / modules_to_save on the LM head."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from ftui.core.errors import UserError  # noqa: E402
from ftui.core.train.fused_head import fused_trainer_class, install_fused_loss  # noqa: E402
from ftui.core.train.fused_loss import linear_cross_entropy  # noqa: E402

RTOL = 1e-5
VOCAB = 300


def close(a: torch.Tensor, b: torch.Tensor) -> bool:
    """Relative to the tensor's scale (a few grads are ~0, so elementwise rtol alone would be noise)."""
    a, b = a.detach(), b.detach()
    return float((a - b).abs().max()) <= RTOL * max(float(b.abs().max()), 1e-12) + 1e-7


@pytest.mark.parametrize("softcap", [None, 30.0, 0.5])
@pytest.mark.parametrize("chunks", [1, 3, 64])
def test_function_matches_plain_loss_and_gradients(softcap, chunks):
    torch.manual_seed(0)
    hidden = torch.randn(50, 16, requires_grad=True)
    weight = torch.randn(VOCAB, 16, requires_grad=True)
    bias = torch.randn(VOCAB, requires_grad=True)
    targets = torch.randint(0, VOCAB, (50,))
    targets[::4] = -100
    targets[:9] = -100  # a whole first chunk without targets

    logits = hidden @ weight.t() + bias
    if softcap:
        logits = torch.tanh(logits / softcap) * softcap
    plain = torch.nn.functional.cross_entropy(logits, targets, reduction="sum")
    plain.backward()
    expected = [t.grad.clone() for t in (hidden, weight, bias)]
    for t in (hidden, weight, bias):
        t.grad = None

    fused = linear_cross_entropy(hidden, weight, targets, bias=bias, softcap=softcap, num_chunks=chunks)
    (fused * 0.5).backward()  # the upstream gradient scales every gradient
    assert close(fused, plain)
    for tensor, want in zip((hidden, weight, bias), expected, strict=True):
        assert close(tensor.grad, want * 0.5)


def test_no_grad_computes_only_the_loss():
    hidden, weight = torch.randn(8, 4), torch.randn(VOCAB, 4)
    targets = torch.randint(0, VOCAB, (8,))
    with torch.no_grad():
        loss = linear_cross_entropy(hidden, weight, targets)
    want = torch.nn.functional.cross_entropy(hidden @ weight.t(), targets, reduction="sum")
    assert close(loss, want)


FAMILIES = {
    "llama": {},
    "mistral": {},
    "mixtral": {"num_local_experts": 4, "num_experts_per_tok": 2},
    "qwen2": {},
    "qwen3": {"head_dim": 16},
    "phi3": {},
    "gemma2": {"head_dim": 16, "final_logit_softcapping": 30.0, "attn_logit_softcapping": 50.0},
    "gemma3_text": {"head_dim": 16, "final_logit_softcapping": 30.0},
}


def tiny_model(model_type: str, tied: bool, **extra):
    from transformers import AutoConfig, AutoModelForCausalLM

    config = AutoConfig.for_model(
        model_type,
        vocab_size=VOCAB,
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=256,
        tie_word_embeddings=tied,
        pad_token_id=0,
        **{**FAMILIES[model_type], **extra},
    )
    config.use_cache = False
    torch.manual_seed(0)
    model = AutoModelForCausalLM.from_config(
        config, dtype=torch.float32, attn_implementation="eager" if model_type == "gemma2" else "sdpa"
    )
    return model


def packed_batch() -> dict[str, torch.Tensor]:
    """Two packed rows (positions restart per example, no attention_mask), prompt tokens and padding
    masked with -100 as train_on_inputs: false and the collator leave them."""
    torch.manual_seed(1)
    ids = torch.randint(1, VOCAB, (2, 24))
    positions = torch.tensor([list(range(10)) + list(range(14)), list(range(16)) + list(range(8))])
    labels = ids.clone()
    labels[0, :4] = -100  # prompt of example 1
    labels[0, 10:13] = -100  # boundary + prompt of example 2
    labels[1, 16:] = -100  # padding
    return {"input_ids": ids, "position_ids": positions, "labels": labels}


def loss_and_grads(model, batch, fused: bool, num_items=None):
    hook = getattr(model, "ftui_fused_head", None)
    model.zero_grad(set_to_none=True)
    if hook is not None:
        hook.armed = fused
    torch.manual_seed(5)
    kwargs = {"num_items_in_batch": num_items} if num_items is not None else {}
    out = model(**batch, **kwargs)
    if hook is not None:
        hook.armed = False
    assert (out.logits.shape[-1] == 1) == fused  # the fused path never made the [tokens x vocab] logits
    out.loss.backward()
    grads = {n: p.grad.clone() for n, p in model.named_parameters() if p.grad is not None}
    return out.loss.detach(), grads


def assert_same(model, batch, num_items=None):
    plain_loss, plain_grads = loss_and_grads(model, batch, fused=False, num_items=num_items)
    fused_loss, fused_grads = loss_and_grads(model, batch, fused=True, num_items=num_items)
    assert close(fused_loss, plain_loss), (fused_loss, plain_loss)
    assert plain_grads.keys() == fused_grads.keys() and plain_grads
    for name, grad in plain_grads.items():
        assert close(fused_grads[name], grad), name


@pytest.mark.parametrize("tied", [False, True])
@pytest.mark.parametrize("model_type", list(FAMILIES))
def test_every_family_full_finetune_packed_and_masked(model_type, tied):
    model = tiny_model(model_type, tied)
    install_fused_loss(model, "chunked", "cut_cross_entropy", num_chunks=5)
    assert_same(model, packed_batch())
    assert_same(model, packed_batch(), num_items=torch.tensor(7))  # gradient-accumulation normalization


def test_padded_rows_with_attention_mask():
    model = tiny_model("llama", tied=True)
    install_fused_loss(model, "chunked", "chunked_cross_entropy")
    batch = packed_batch()
    batch.pop("position_ids")
    batch["attention_mask"] = (batch["labels"] != -100).long()
    assert_same(model, batch)


@pytest.mark.parametrize("dropout", [0.0, 0.3])
@pytest.mark.parametrize("model_type", ["llama", "gemma2"])
def test_lora_on_the_lm_head(model_type, dropout):
    from peft import LoraConfig, get_peft_model

    model = tiny_model(model_type, tied=False)
    config = LoraConfig(r=4, lora_alpha=8, lora_dropout=dropout, target_modules=["q_proj", "lm_head"])
    model = get_peft_model(model, config)
    for name, param in model.named_parameters():  # B starts at 0: move it so the adapter matters
        if "lora_B" in name:
            torch.nn.init.normal_(param, std=0.1)
    model.train()
    install_fused_loss(model, "chunked", "cut_cross_entropy", num_chunks=4)
    assert_same(model, packed_batch())


def test_lm_head_in_modules_to_save():
    from peft import LoraConfig, get_peft_model

    model = tiny_model("qwen2", tied=False)
    config = LoraConfig(r=4, lora_alpha=8, target_modules=["v_proj"], modules_to_save=["lm_head"])
    model = get_peft_model(model, config)
    install_fused_loss(model, "chunked", "liger_fused_linear_cross_entropy")
    assert_same(model, packed_batch())


def test_generation_gets_real_logits_when_not_armed():
    model = tiny_model("llama", tied=False)
    before = model(input_ids=packed_batch()["input_ids"]).logits
    install_fused_loss(model, "chunked", "cut_cross_entropy")
    after = model(input_ids=packed_batch()["input_ids"]).logits
    assert after.shape == (2, 24, VOCAB) and torch.equal(before, after)


def test_scaled_logits_are_refused():
    from transformers import CohereConfig, CohereForCausalLM

    config = CohereConfig(
        vocab_size=VOCAB, hidden_size=64, intermediate_size=128, num_hidden_layers=1,
        num_attention_heads=4, num_key_value_heads=2, logit_scale=0.0625,
    )  # fmt: skip
    with pytest.raises(UserError, match="cut_cross_entropy: cohere scales its logits"):
        install_fused_loss(CohereForCausalLM(config), "chunked", "cut_cross_entropy")


def test_trainer_arms_only_while_computing_the_loss():
    class Base:
        def compute_loss(self, model, inputs, *args, **kwargs):
            return model.ftui_fused_head.armed

    model = tiny_model("llama", tied=False)
    trainer = fused_trainer_class(Base)()
    trainer.ftui_fused_head = install_fused_loss(model, "chunked", "cut_cross_entropy")
    assert trainer.compute_loss(model, {"labels": 1}) is True
    assert trainer.compute_loss(model, {"input_ids": 1}) is False
    assert model.ftui_fused_head.armed is False
