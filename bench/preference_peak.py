"""Estimate vs a real preference step on CPU: `breakdown().peak_allocated_bytes` for DPO, ORPO and KTO (LoRA
r8, all linear layers) against the live-tensor peak of TRL's second training step, measured as
tests/test_memory_peak.py measures SFT (its TorchDispatchMode tracker, on the same tiny Llama, vocab 1000).

    python bench/preference_peak.py [dpo orpo kto simpo] [--checkpointing]

The trainer is ftui's (core/preference/trainers.trainer_class) fed pre-tokenized random rows: prompt 32 +
answer 96 tokens, 2 examples a step, bf16. Prints measured, estimate and estimate/measured per method; tests/test_preference_peak.py holds the ratios.
Measured numbers and the known gap: docs/preference.md ("Memory").
"""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))
from test_memory_peak import CONFIG, VOCAB, _bytes, _LiveBytes  # noqa: E402

MB, PROMPT, ANSWER = 2, 32, 96


def _rows(method: str) -> list[dict]:
    import torch

    gen = torch.Generator().manual_seed(0)

    def ids(n: int) -> list[int]:
        return torch.randint(3, VOCAB, (n,), generator=gen).tolist()

    if method == "kto":
        return [
            {"prompt_ids": ids(PROMPT), "completion_ids": ids(ANSWER), "label": i % 2 == 0} for i in range(16)
        ]
    return [
        {"prompt_ids": ids(PROMPT), "chosen_ids": ids(ANSWER), "rejected_ids": ids(ANSWER)} for _ in range(16)
    ]


FAMILY = {"dpo": "dpo", "orpo": "orpo", "kto": "kto", "simpo": "cpo"}  # method -> TRL trainer family
METHOD_ARGS = {"simpo": {"loss_type": "simpo", "simpo_gamma": 0.5, "cpo_alpha": 1.0}}  # as ftui passes them


def _config_class(method: str):
    if method == "simpo":
        from trl.experimental.cpo import CPOConfig

        return CPOConfig
    if method == "dpo":
        from trl import DPOConfig

        return DPOConfig
    if method == "kto":
        from trl import KTOConfig

        return KTOConfig
    from trl.experimental.orpo import ORPOConfig

    return ORPOConfig


def measure(method: str, out: Path, checkpointing: bool = False) -> int:
    """Weights + optimizer states + buffers + the live-tensor peak of step 2 (TrainerCallback brackets it)."""
    import torch
    from datasets import Dataset
    from ftui.core.models.embedded import embedded_model_dir
    from ftui.core.preference.trainers import trainer_class
    from peft import LoraConfig
    from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer, TrainerCallback

    cfg = dict(CONFIG)
    model_type = cfg.pop("model_type")
    torch.manual_seed(0)
    model = AutoModelForCausalLM.from_config(
        AutoConfig.for_model(model_type, **cfg), dtype=torch.bfloat16, attn_implementation="sdpa"
    )

    class Track(TrainerCallback):
        tracker: _LiveBytes | None = None
        states: list = []
        trainer = None

        def on_step_begin(self, args, state, control, **kwargs):
            if state.global_step == 1:
                opt = self.trainer.optimizer
                self.states = [v for s in opt.state.values() for v in s.values() if torch.is_tensor(v)]
                m = self.trainer.model
                self.tracker = _LiveBytes([*m.parameters(), *m.buffers(), *self.states])
                self.tracker.mode.__enter__()

        def on_step_end(self, args, state, control, **kwargs):
            if self.tracker is not None and state.global_step == 2:
                self.tracker.mode.__exit__(None, None, None)

    track = Track()
    args = _config_class(method)(
        output_dir=str(out), per_device_train_batch_size=MB, max_steps=2, use_cpu=True, bf16=True,
        report_to=[], save_strategy="no", optim="adamw_torch", max_grad_norm=1.0, remove_unused_columns=False,
        gradient_checkpointing=checkpointing,  # TRL 1.16 defaults it to True; ftui passes the config's
        **METHOD_ARGS.get(method, {}),
    )  # fmt: skip
    trainer = trainer_class(FAMILY[method])(
        model=model, args=args, train_dataset=Dataset.from_list(_rows(method)),
        processing_class=AutoTokenizer.from_pretrained(embedded_model_dir(progress=False)),
        peft_config=LoraConfig(r=8, target_modules="all-linear"), callbacks=[track],
    )  # fmt: skip
    track.trainer = trainer
    trainer.train()
    m = trainer.model
    return _bytes(m.parameters()) + _bytes(m.buffers()) + _bytes(track.states) + track.tracker.peak


def estimate(method: str, checkpointing: bool = False) -> int:
    from ftui.core.memory import EstimateInput, breakdown
    from ftui.core.models.facts import facts_from_config

    inp = EstimateInput(
        lora_r=8, adapter="lora", micro_batch_size=MB, sequence_len=PROMPT + ANSWER, preference=method,
        gradient_checkpointing=checkpointing, device="cpu",
    )  # fmt: skip
    return breakdown(facts_from_config(CONFIG, "tiny", "local"), inp).peak_allocated_bytes


def main() -> int:
    import tempfile

    checkpointing = "--checkpointing" in sys.argv
    for method in [a for a in sys.argv[1:] if not a.startswith("--")] or list(FAMILY):
        with tempfile.TemporaryDirectory() as tmp:
            real = measure(method, Path(tmp), checkpointing)
        est = estimate(method, checkpointing)
        print(
            f"{method}{' (checkpointing)' if checkpointing else ''}: measured {real / 2**20:.1f} MiB, "
            f"estimate {est / 2**20:.1f} MiB, ratio {est / real:.2f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
