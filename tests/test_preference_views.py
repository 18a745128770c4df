"""Preference tuning in the estimator, the monitor (reward charts, the runs list's method) and the wizard."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from ftui.core.events import EventWriter
from ftui.core.memory import EstimateInput, estimate_memory
from ftui.core.runs.state import RunState

MODEL = "HuggingFaceTB/SmolLM2-135M-Instruct"


def _estimate(**changes):
    base = dict(model=MODEL, sequence_len=1024, micro_batch_size=2)
    return estimate_memory(EstimateInput(**(base | changes)))


def test_estimator_counts_pairs_and_the_reference_model():
    sft = _estimate()
    dpo = _estimate(preference="dpo")
    # chosen + rejected: twice the rows for activations and logits
    assert dpo.components["activations"] == 2 * sft.components["activations"]
    orpo = _estimate(preference="orpo")  # TRL's ORPO keeps full logits: SFT's term for twice the rows
    assert orpo.components["logits_and_loss"] == 2 * sft.components["logits_and_loss"]
    # DPO scores tokens with TRL's fused LM head: one [4096 x 32768] bf16 tile, the fp32 hidden gradient and
    # its cast, not the [tokens x vocab] logits (4096 tokens here)
    tokens, hidden = 2 * 2 * 1024, 576
    assert dpo.components["logits_and_loss"] == 4096 * 32768 * 2 + 6 * tokens * hidden
    cpu = _estimate(preference="dpo", device="cpu")  # the torch fallback adds fp32 temporaries of the tile
    assert cpu.components["logits_and_loss"] - dpo.components["logits_and_loss"] == 29 * 4096 * 32768
    # full fine-tune: a second copy of the weights as the reference
    assert dpo.components["reference_model"] == sft.components["base_weights"]
    assert _estimate(preference="dpo", precompute_ref_log_probs=True).components["reference_model"] == 0
    for method in ("orpo", "simpo"):  # no reference at all
        assert _estimate(preference=method).components["reference_model"] == 0
    lora = _estimate(preference="dpo", adapter="lora")
    assert (
        0 < lora.components["reference_model"] == lora.components["trainable_params"]
    )  # TRL's frozen ref adapter
    kto = _estimate(preference="kto")
    assert kto.components["activations"] == sft.components["activations"]  # one completion per example
    assert kto.components["reference_model"] > 0
    assert any(n.startswith("DPO: chosen + rejected") for n in dpo.notes)


def test_estimate_input_reads_rl_from_the_config():
    inp = EstimateInput.from_config({"base_model": MODEL, "rl": "orpo", "precompute_ref_log_probs": True})
    assert inp.preference == "orpo" and inp.precompute_ref_log_probs
    assert EstimateInput.from_config({"base_model": MODEL, "rl": "grpo"}).preference is None


def write_preference_run(run_dir: Path, steps: int = 6) -> Path:
    writer = EventWriter(run_dir)
    writer.emit("run_started", run_id=run_dir.name, config={"base_model": "m", "rl": "dpo"}, method="dpo",
                total_steps=steps, resumed_from_step=0, pid=None)  # fmt: skip
    for step in range(1, steps + 1):
        writer.emit("step", step=step, total_steps=steps, loss=0.7 - 0.05 * step, lr=1e-4,
                    rewards_margin=0.1 * step, rewards_accuracy=min(1.0, 0.5 + 0.1 * step))  # fmt: skip
    writer.emit("eval", step=steps, eval_loss=0.5, eval_rewards_margin=0.4, eval_rewards_accuracy=0.75)
    writer.emit("finished", step=steps, final_loss=0.4, best_eval_loss=0.5, output_dir=str(run_dir))
    writer.close()
    return run_dir


def test_run_state_keeps_reward_series_and_the_method(tmp_path):
    state = RunState(write_preference_run(tmp_path / "dpo-run")).read_all()
    assert state.method == "dpo" and state.summary().method == "dpo"
    assert state.series.rewards_margin.points()[1][-1] == pytest.approx(0.6)
    assert state.series.rewards_accuracy.points()[1][-1] == pytest.approx(1.0)
    assert state.series.eval_rewards_margin.points() == ([6], [0.4])


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.mark.anyio
async def test_monitor_shows_reward_chart_and_runs_list_shows_method(tmp_path):
    from ftui.tui.monitor import MonitorApp, RunsScreen
    from ftui.tui.monitor.charts import RewardChart
    from ftui.tui.monitor.system import SystemSample
    from textual.widgets import DataTable

    def sample() -> SystemSample:
        return SystemSample(cpu_percent=1.0, ram_percent=1.0, ram_used=1 << 30, ram_total=2 << 30)

    run = write_preference_run(tmp_path / "runs" / "dpo-run")
    app = MonitorApp(run, sampler=sample)
    async with app.run_test(size=(120, 40)) as pilot:
        deadline = time.monotonic() + 15
        while not app.screen.query_one(RewardChart).display and time.monotonic() < deadline:
            await pilot.pause(0.05)
        chart = app.screen.query_one(RewardChart)
        assert chart.display and chart.state.series.rewards_margin.points()[0]
    app = MonitorApp(workspace=tmp_path / "runs", sampler=sample)
    async with app.run_test(size=(140, 40)) as pilot:
        await pilot.pause(0.3)
        assert isinstance(app.screen, RunsScreen)
        table = app.screen.query_one(DataTable)
        row = table.get_row_at(0)
        assert "dpo" in [str(cell) for cell in row]


def test_wizard_method_field_writes_rl_and_params_follow_the_method():
    from ftui.core.preference.methods import METHOD_KEYS
    from ftui.tui.wizard.settings_fields import FIELD_BY_KEY, get_pseudo, set_pseudo

    values: dict = {}
    assert get_pseudo(values, "rl_method") == "sft"
    set_pseudo(values, "rl_method", "simpo")
    assert values["rl"] == "simpo" and get_pseudo(values, "rl_method") == "simpo"
    set_pseudo(values, "rl_method", "sft")
    assert "rl" not in values
    shown = [key for key in METHOD_KEYS if key in FIELD_BY_KEY]
    assert {"rl_beta", "simpo_gamma", "kto_desirable_weight", "max_prompt_len"} <= set(shown)


@pytest.mark.anyio
async def test_settings_step_method_choice_writes_rl_and_shows_its_parameters(
    tmp_path, tiny_chatml_model_dir, monkeypatch
):
    import json

    from ftui.tui.app import FtuiApp, load_state
    from ftui.tui.widgets.memory_panel import MemoryPanel
    from ftui.tui.wizard import backend
    from tui_helpers import FIXED_HARDWARE, settle

    monkeypatch.setattr(backend.Backend, "detect_hardware", lambda self: FIXED_HARDWARE)
    data = tmp_path / "pairs.jsonl"
    data.write_text(json.dumps({"prompt": "hi", "chosen": "hello", "rejected": "go away"}) + "\n")
    config = tmp_path / "c.yml"
    config.write_text(
        f"base_model: {tiny_chatml_model_dir}\nadapter: lora\nchat_template: chatml\nsequence_len: 256\n"
        f"datasets:\n  - path: {data}\n"
    )
    app = FtuiApp(load_state(config), start_step="settings")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert not screen.query_one("#row-rl_beta").display  # SFT: no method parameters shown
        sft_total = screen.query_one("#settings-memory", MemoryPanel).view.total_bytes
        await pilot.click("#f-rl_method")
        await pilot.press("down", "enter")  # SFT -> DPO
        await settle(pilot)
        assert app.state.values.get("rl") == "dpo"
        assert screen.query_one("#row-rl_beta").display and not screen.query_one("#row-simpo_gamma").display
        # chosen + rejected activations, and TRL's fused LM head instead of the [tokens x vocab] logits
        assert screen.query_one("#settings-memory", MemoryPanel).view.total_bytes != sft_total
