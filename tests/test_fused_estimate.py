"""The estimator knows the fused loss and Liger's kernels: what autograd really keeps with the fused head,
the `enable cut_cross_entropy: saves X GiB` tip, the suggestion, and the config keys it reads."""

from __future__ import annotations

import pytest
from ftui.core.memory import EstimateInput, GpuTarget, breakdown, estimate_memory
from ftui.core.memory.activations import activation_memory
from ftui.core.models import catalog
from ftui.core.models.facts import facts_from_config
from test_memory_activations import BATCH, SEQ, VOCAB, _build, _config, _saved_bytes

GIB = 1024**3
SMOL = EstimateInput(
    model="HuggingFaceTB/SmolLM2-135M-Instruct", adapter="lora", lora_target_modules=("q_proj", "v_proj"),
    sequence_len=2048, micro_batch_size=2, sample_packing=True,
)  # fmt: skip


@pytest.mark.parametrize(
    "model_type,extra,adapter",
    [("llama", {}, "lora"), ("llama", {}, None), ("gemma2", {"head_dim": 32}, "lora")],
)
def test_fused_head_keeps_what_the_estimator_says(model_type, extra, adapter):
    """With the hook armed no [tokens x vocab] tensor is kept: the saved tensors are the layers' activations
    plus the fused loss's hidden-state gradient (and the fp32 head gradient when the head trains)."""
    from ftui.core.train.fused_head import install_fused_loss

    config = _config(model_type, **extra)
    model = _build(config, "eager" if model_type == "gemma2" else "sdpa")
    if adapter:
        from peft import LoraConfig, get_peft_model

        model = get_peft_model(model, LoraConfig(r=8, target_modules="all-linear"))
    model.train()
    install_fused_loss(model, "chunked", "cut_cross_entropy").armed = True
    inp = EstimateInput(
        adapter=adapter, lora_r=8, micro_batch_size=BATCH, sequence_len=SEQ, fused_loss=True,
        attention="eager" if model_type == "gemma2" else "sdpa",
    )  # fmt: skip
    facts = facts_from_config(config, "tiny", "local")
    hidden_grad = 2 * BATCH * SEQ * config["hidden_size"]  # bf16 under autocast
    head_grad = 0 if adapter else 4 * VOCAB * config["hidden_size"]
    expected = activation_memory(facts, inp).saved + hidden_grad + head_grad
    assert _saved_bytes(model) == pytest.approx(expected, rel=0.05)


def test_estimate_command_prints_the_tip(capsys):
    from ftui.tui.cli import main

    assert main(["estimate", "--model", SMOL.model, "--adapter", "lora", "--targets", "q_proj,v_proj",
                 "--seq", "2048", "--batch", "2", "--packing"]) == 0  # fmt: skip
    out = capsys.readouterr().out
    assert "tip: enable cut_cross_entropy: saves " in out
    assert main(["estimate", "--model", SMOL.model, "--fused-loss"]) == 0
    out = capsys.readouterr().out
    assert "tip:" not in out and "fused loss" in out


def test_the_fused_loss_shrinks_the_logits_component_and_the_peak():
    facts = catalog()[SMOL.model]
    plain, fused = breakdown(facts, SMOL), breakdown(facts, SMOL.with_changes(fused_loss=True))
    assert plain.components["logits_and_loss"] > 2 * GIB  # 12 B x 4096 tokens x 49k vocab
    assert activation_memory(facts, SMOL.with_changes(fused_loss=True)).logits_peak < 0.1 * GIB
    assert fused.total_bytes < 0.75 * plain.total_bytes


def test_tip_says_how_much_cut_cross_entropy_saves():
    result = estimate_memory(SMOL)
    saved = result.total_bytes - estimate_memory(SMOL.with_changes(fused_loss=True)).total_bytes
    assert result.tips == [
        f"enable cut_cross_entropy: saves {saved / GIB:.2f} GiB (no logits buffer, same loss)"
    ]
    in_gb = estimate_memory(SMOL, size=lambda n: f"{n / 1e9:.2f} GB").tips
    assert in_gb == [f"enable cut_cross_entropy: saves {saved / 1e9:.2f} GB (no logits buffer, same loss)"]
    assert estimate_memory(SMOL.with_changes(fused_loss=True)).tips == []
    assert "tips" in result.to_dict()


def test_fused_loss_is_a_suggestion_when_the_run_does_not_fit():
    result = estimate_memory(SMOL, gpus=[GpuTarget("small", int(6 * GIB))])
    titles = [s.title for s in result.suggestions]
    assert any(t.startswith("cut_cross_entropy: true") for t in titles)


@pytest.mark.parametrize(
    "key", ["cut_cross_entropy", "liger_fused_linear_cross_entropy", "chunked_cross_entropy"]
)
def test_every_fused_key_reads_as_the_fused_loss(key):
    assert EstimateInput.from_config({"base_model": "embedded", key: True}).fused_loss
    assert not EstimateInput.from_config({"base_model": "embedded", key: False}).fused_loss


def test_liger_kernels_keep_less_for_backward():
    facts = catalog()["meta-llama/Llama-3.2-1B"]
    base = EstimateInput(model="meta-llama/Llama-3.2-1B", adapter="lora", sequence_len=2048, dtype="bf16")
    inp = EstimateInput.from_config(
        {"base_model": base.model, "adapter": "lora", "sequence_len": 2048, "liger_rms_norm": True,
         "liger_glu_activation": True, "liger_rope": True}
    )  # fmt: skip
    assert inp.liger_kernels == ("rope", "rms_norm", "swiglu")
    saved, liger = activation_memory(facts, base).saved, activation_memory(facts, inp).saved
    tokens, h, i, layers = 2048, facts.hidden_size, facts.intermediate_size, facts.num_layers
    # per layer: the SwiGLU's activation output (2i bytes) and, per RMSNorm, 4h fp32 copy -> 2h + 4 rstd
    per_token = layers * (2 * i + 2 * (4 * h - (2 * h + 4))) + (4 * h - (2 * h + 4))
    assert saved - liger == per_token * tokens
