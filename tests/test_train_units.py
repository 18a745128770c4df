"""Fast unit tests of the trainer's parts: settings, collator, callbacks, watchdog, packing attention, launch CLI."""

from __future__ import annotations

import math
from types import SimpleNamespace

import pytest
from ftui.core.events import read_events
from ftui.core.train.data import Collator, TokenCounter, prompt_of
from ftui.core.train.settings import TrainSettings, redact
from test_train_support import run_cli, write_config


def _control():
    return SimpleNamespace(should_training_stop=False, should_save=False)


def _state(step=1):
    return SimpleNamespace(global_step=step, max_steps=10, epoch=0.1, is_world_process_zero=True)


def test_settings_from_dict_and_redaction():
    s = TrainSettings.from_config(
        {
            "base_model": "x",
            "adapter": "none",
            "lora_target_modules": "all-linear",
            "output_dir": "o",
            "hf_token": "t",
        }
    )
    assert s.adapter is None and s.lora_target_linear is True
    assert s.warmup(100) == 0
    s.warmup_ratio = 0.05
    assert s.warmup(100) == 5
    assert redact(
        {
            "hf_token": "abc",
            "nested": {"wandb_api_key": "k"},
            "eval_max_new_tokens": 5,
            "special_tokens": {"pad_token": "<p>"},
        }
    ) == {  # one rule (core/config/secrets.py): top-level string credentials only
        "nested": {"wandb_api_key": "k"},
        "eval_max_new_tokens": 5,
        "special_tokens": {"pad_token": "<p>"},
    }


def test_collator_pads_counts_and_keeps_packed_positions():
    collate = Collator(pad_id=0, pad_to=8)
    batch = collate([{"input_ids": [5, 6, 7], "labels": [-100, 6, 7]}, {"input_ids": [8], "labels": [8]}])
    assert batch["input_ids"].shape == (2, 8)
    assert batch["attention_mask"][0].tolist() == [1, 1, 1, 0, 0, 0, 0, 0]
    counter = TokenCounter()
    counter.count(batch)
    assert counter.take() == (16, 3, 2) and counter.take() == (0, 0, 0)
    packed = Collator(pad_id=0)([{"input_ids": [1, 2, 3], "labels": [-100, 2, 3], "position_ids": [0, 1, 0]}])
    assert "attention_mask" not in packed and packed["position_ids"].tolist() == [[0, 1, 0]]


def test_prompt_of_splits_at_the_first_trained_span():
    row = {"input_ids": [1, 2, 3, 4, 5, 6], "labels": [-100, -100, 3, 4, -100, 6]}
    assert prompt_of(row) == {"prompt_ids": [1, 2], "expected_ids": [3, 4]}
    assert prompt_of({"input_ids": [1], "labels": [-100]}) is None


def test_watchdog_nan_and_threshold():
    from ftui.core.train.callbacks import RunOutcome, WatchdogCallback

    class Writer:
        def __init__(self):
            self.events = []

        def emit(self, event_type, **fields):
            self.events.append((event_type, fields))

    writer, outcome = Writer(), RunOutcome()
    dog = WatchdogCallback(writer, outcome, threshold=None, patience=None)
    control = _control()
    dog.on_log(None, _state(), control, logs={"loss": 1.0, "grad_norm": math.inf})
    assert control.should_training_stop and not control.should_save
    assert outcome.stop_reason == "watchdog" and "grad norm is inf" in outcome.failure

    writer, outcome = Writer(), RunOutcome()
    dog = WatchdogCallback(writer, outcome, threshold=2.0, patience=3)
    for step, loss in enumerate([3.0, 3.0, 1.0, 3.0, 3.0], start=1):
        control = _control()
        dog.on_log(None, _state(step), control, logs={"loss": loss, "grad_norm": 0.1})
        assert not control.should_training_stop  # the streak was broken at step 3
    control = _control()
    dog.on_log(None, _state(6), control, logs={"loss": 3.0, "grad_norm": 0.1})
    assert control.should_training_stop and "3 consecutive" in outcome.failure


def test_early_stopping_counts_evaluations_without_improvement():
    from ftui.core.train.callbacks import EarlyStoppingCallback, RunOutcome

    outcome = RunOutcome()
    stopper = EarlyStoppingCallback(outcome, patience=2)
    for loss, stop in [(2.0, False), (1.5, False), (1.6, False), (1.7, True)]:
        control = _control()
        stopper.on_evaluate(None, _state(), control, metrics={"eval_loss": loss})
        assert control.should_training_stop is stop
    assert outcome.stop_reason == "early_stopping"


def test_packed_rows_do_not_attend_to_each_other(tiny_chatml_model_dir):
    """The packed batch gives each example exactly the logits it has alone (block-diagonal attention)."""
    import torch
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(tiny_chatml_model_dir, dtype=torch.float32).eval()
    model.config.use_cache = False
    a, b = [5, 17, 300, 42], [7, 8, 900]
    packed = Collator(pad_id=0)(
        [{"input_ids": a + b, "labels": [-100] * 7, "position_ids": [0, 1, 2, 3, 0, 1, 2]}]
    )
    with torch.no_grad():
        together = model(input_ids=packed["input_ids"], position_ids=packed["position_ids"]).logits[0]
        alone_a = model(input_ids=torch.tensor([a])).logits[0]
        alone_b = model(input_ids=torch.tensor([b])).logits[0]
    torch.testing.assert_close(together[:4], alone_a, rtol=1e-4, atol=1e-4)
    torch.testing.assert_close(together[4:], alone_b, rtol=1e-4, atol=1e-4)


def test_cli_prints_the_accelerate_command(tmp_path, tiny_chatml_model_dir):
    config = write_config(tmp_path, tiny_chatml_model_dir)
    proc = run_cli(
        ["train", str(config), "--num-processes", "2", "--print-launch-command"], cwd=tmp_path, timeout=120
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert (
        "accelerate.commands.launch --num_processes 2" in proc.stdout and "ftui.tui.cli train" in proc.stdout
    )
    assert not read_events(tmp_path / "out")  # nothing trained


@pytest.mark.parametrize("bad", ["checks.py", "checks.txt:fn"])
def test_eval_assertions_reference_is_validated(tmp_path, tiny_chatml_model_dir, bad):
    from ftui.core.config import load_config
    from ftui.core.errors import UserError

    config = write_config(tmp_path, tiny_chatml_model_dir, eval_assertions=bad)
    with pytest.raises(UserError):
        load_config(config)


def test_out_of_memory_failure_carries_the_estimators_suggestions(tmp_path):
    from ftui.core.events import EventWriter
    from ftui.core.train.endings import RunProgress, emit_crash

    class OutOfMemoryError(RuntimeError):
        pass

    writer = EventWriter(tmp_path)
    estimate = {"suggestions": [{"title": "Use QLoRA", "changes": {"adapter": "qlora"}}]}
    try:
        raise OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
    except OutOfMemoryError as err:
        emit_crash(writer, err, RunProgress(step=7, estimate=estimate))
    writer.close()
    failed = read_events(tmp_path)[-1]
    assert failed["type"] == "failed" and failed["step"] == 7 and failed["error_class"] == "OutOfMemoryError"
    assert failed["suggestions"] == ["Use QLoRA (adapter: qlora)"]
    assert "out of memory" in failed["hint"] and "Use QLoRA" in failed["hint"]
    assert "Tried to allocate" in failed["traceback_tail"]


def test_the_cpu_allocators_failure_counts_as_out_of_memory():
    from ftui.core.train.endings import is_out_of_memory

    cpu = RuntimeError(
        "[enforce fail at alloc_cpu.cpp:124] data. DefaultCPUAllocator: can't allocate memory: you tried to "
        "allocate 2147483648 bytes. Error code 12 (Cannot allocate memory)"
    )
    assert is_out_of_memory(cpu) and is_out_of_memory(MemoryError())
    assert not is_out_of_memory(RuntimeError("shape mismatch"))


def test_resume_checkpoint_choice(tmp_path):
    from ftui.core.errors import UserError
    from ftui.core.train.checkpoints import resume_checkpoint

    out = tmp_path / "out"
    for step in (3, 6):
        (out / f"checkpoint-{step}").mkdir(parents=True)
        (out / f"checkpoint-{step}" / "trainer_state.json").write_text("{}")
    settings = TrainSettings.from_config({"output_dir": str(out)}, tmp_path)
    assert resume_checkpoint(settings, resume=False) is None
    assert resume_checkpoint(settings, resume=True) == str(out / "checkpoint-6")
    settings.resume_from_checkpoint = "out/checkpoint-3"  # relative to the config's folder
    assert resume_checkpoint(settings, resume=False) == str(tmp_path / "out" / "checkpoint-3")
    settings.resume_from_checkpoint = "out/checkpoint-9"
    with pytest.raises(UserError, match="not a complete checkpoint"):
        resume_checkpoint(settings, resume=False)
    auto = TrainSettings.from_config({"output_dir": str(out), "auto_resume_from_checkpoints": True}, tmp_path)
    assert resume_checkpoint(auto, resume=False) == str(out / "checkpoint-6")


def test_attention_choice():
    from ftui.core.train.loading import Precision, attention_implementation

    cpu = Precision("cpu", "x86_64", False, False, False)
    assert attention_implementation(TrainSettings.from_config({"flash_attention": True}), cpu) is None
    assert attention_implementation(TrainSettings.from_config({"sdp_attention": True}), cpu) == "sdpa"
    assert attention_implementation(TrainSettings.from_config({}), cpu) is None
