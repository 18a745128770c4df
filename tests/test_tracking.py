"""Experiment tracking through transformers' integrations: the plan (which trackers, where, which
environment), the missing-tracker message, and a real tiny CPU run whose TensorBoard event files and W&B
offline run are read back (loss, eval_loss, the assertion pass rate). No network: W&B runs offline."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from ftui.core.config import parse_config
from ftui.core.errors import UserError
from ftui.core.events import read_events
from ftui.core.tracking import check_installed, report_targets, tracking_plan
from test_train import ASSERTION_FILE, train
from test_train_support import write_config

MINIMAL = "base_model: m\ndatasets:\n  - path: d.jsonl\n    type: alpaca\n"


def config_of(extra: str):
    return parse_config(MINIMAL + extra).config


@pytest.mark.parametrize(
    ("extra", "targets"),
    [
        ("", []),
        ("wandb_project: p\n", ["wandb"]),
        ("wandb_project: p\nuse_wandb: false\n", []),
        ("wandb_project: p\nwandb_mode: disabled\n", []),
        ("mlflow_tracking_uri: http://127.0.0.1:5000\n", ["mlflow"]),
        ("use_mlflow: true\n", ["mlflow"]),
        ("trackio_project_name: t\n", ["trackio"]),
        ("use_comet: true\n", ["comet_ml"]),
        ("report_to: [mlflow, comet_ml, trackio]\n", ["mlflow", "comet_ml", "trackio"]),
        ("report_to: none\nuse_tensorboard: true\n", []),
    ],
)
def test_which_trackers_a_config_asks_for(extra, targets):
    assert report_targets(config_of(extra)) == targets


def test_unknown_report_to_is_a_config_error():
    from ftui.core.config import ConfigError

    with pytest.raises(ConfigError, match="report_to"):
        parse_config(MINIMAL + "report_to: wandbb\n")


def test_wandb_defaults_to_offline_files_under_output_dir_without_a_key(tmp_path):
    env = {"HOME": str(tmp_path)}  # no netrc, no wandb settings, no WANDB_API_KEY
    plan = tracking_plan(
        config_of("wandb_project: p\nwandb_entity: e\nwandb_name: n\n"), tmp_path / "out", env
    )
    assert plan.env["WANDB_MODE"] == "offline" and plan.env["WANDB_DIR"] == str(tmp_path / "out")
    assert plan.env["WANDB_PROJECT"] == "p" and plan.env["WANDB_ENTITY"] == "e" and plan.run_name == "n"
    assert plan.places == [{"tracker": "wandb", "where": str(tmp_path / "out" / "wandb"), "mode": "offline"}]
    assert plan.describe()[0] == f"Weights & Biases (offline): {tmp_path / 'out' / 'wandb'}"
    assert any("wandb sync" in note for note in plan.notes)


def test_wandb_mode_from_config_env_key_or_settings(tmp_path):
    home = {"HOME": str(tmp_path)}
    cfg = config_of("wandb_project: p\n")
    assert "WANDB_MODE" not in tracking_plan(cfg, tmp_path, {**home, "WANDB_API_KEY": "k"}).env  # online
    assert "WANDB_MODE" not in tracking_plan(cfg, tmp_path, {**home, "WANDB_MODE": "online"}).env
    assert tracking_plan(config_of("wandb_project: p\nwandb_mode: online\n"), tmp_path, home).env[
        "WANDB_MODE"
    ] == ("online")
    (tmp_path / ".netrc").write_text("machine api.wandb.ai\n  login user\n  password secretkey\n")
    assert "WANDB_MODE" not in tracking_plan(cfg, tmp_path, home).env
    (tmp_path / ".netrc").unlink()
    settings = tmp_path / ".config" / "wandb" / "settings"
    settings.parent.mkdir(parents=True)
    settings.write_text("[default]\nmode = online\n")
    assert "WANDB_MODE" not in tracking_plan(cfg, tmp_path, home).env  # wandb reads its own settings
    assert tracking_plan(cfg, tmp_path, {**home, "WANDB_DIR": "/elsewhere"}).env.get("WANDB_DIR") is None


def test_tensorboard_and_mlflow_default_under_output_dir(tmp_path):
    plan = tracking_plan(
        config_of("report_to: [tensorboard, mlflow]\nmlflow_experiment_name: x\n"), tmp_path, {}
    )
    assert plan.places[0] == {"tracker": "tensorboard", "where": str(tmp_path / "runs")}
    assert plan.env["MLFLOW_TRACKING_URI"] == f"sqlite:///{tmp_path / 'mlflow.db'}"
    assert plan.env["MLFLOW_EXPERIMENT_NAME"] == "x" and plan.mlflow_artifacts == str(
        tmp_path / "mlartifacts"
    )
    server = tracking_plan(config_of("mlflow_tracking_uri: http://h:5000\n"), tmp_path, {})
    assert server.env["MLFLOW_TRACKING_URI"] == "http://h:5000" and server.mlflow_artifacts is None
    assert "MLFLOW_EXPERIMENT_NAME" not in server.env  # the server's Default experiment


def test_a_missing_tracker_is_one_message_with_the_install_command(monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "comet_ml" else real(name, *a)
    )
    with pytest.raises(UserError) as err:
        check_installed(config_of("use_comet: true\n"), "c.yml")
    assert "c.yml: use_comet asks for Comet (comet_ml), which is not installed" in err.value.message
    assert "pip install 'ftui[comet]'" in err.value.hint


def test_train_refuses_a_missing_tracker_before_loading_anything(tmp_path, monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "trackio" else real(name, *a)
    )
    config = write_config(tmp_path, tmp_path / "no-such-model", report_to="trackio")
    with pytest.raises(UserError, match="trackio") as err:
        train(config)
    assert "pip install 'ftui[trackio]'" in err.value.hint
    assert not (tmp_path / "out").exists()  # refused before the model (which does not exist) was looked at


def _tensorboard_scalars(folder: Path) -> dict[str, list[tuple[int, float]]]:
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    files = list(folder.rglob("events.out.tfevents.*"))
    assert files, f"no TensorBoard event file under {folder}"
    acc = EventAccumulator(str(files[0].parent), size_guidance={"scalars": 0, "tensors": 0})
    acc.Reload()
    out = {tag: [(e.step, e.value) for e in acc.Scalars(tag)] for tag in acc.Tags()["scalars"]}
    for tag in acc.Tags().get("tensors", []):  # add_text lands as a string tensor
        out.setdefault("text:" + tag, [(e.step, 0.0) for e in acc.Tensors(tag)])
    return out


def _wandb_records(log: Path) -> list[bytes]:
    """The records of a .wandb transaction log: a 7-byte header (`:W&B`, magic, version), then LevelDB's
    log format (32 KiB blocks; records of crc32c[4] length[2] type[1] data, split FIRST/MIDDLE/LAST)."""
    data = log.read_bytes()
    assert data[:4] == b":W&B"
    records, pending, pos = [], b"", 7
    while pos + 7 <= len(data):
        left = 32768 - pos % 32768
        if left < 7:  # a block's tail too short for a header is padding
            pos += left
            continue
        length, kind = int.from_bytes(data[pos + 4 : pos + 6], "little"), data[pos + 6]
        chunk = data[pos + 7 : pos + 7 + length]
        pos += 7 + length
        if kind == 0 and length == 0:
            continue
        pending = chunk if kind in (1, 2) else pending + chunk
        if kind in (1, 4):
            records.append(pending)
            pending = b""
    return records


def _wandb_history(run_dir: Path) -> list[dict]:
    """The logged rows of an offline W&B run, read from its .wandb file with wandb's own protobuf types."""
    from wandb.proto import wandb_internal_pb2

    rows = []
    for data in _wandb_records(next(run_dir.glob("*.wandb"))):
        record = wandb_internal_pb2.Record()
        record.ParseFromString(data)
        if record.WhichOneof("record_type") == "history":
            items = record.history.item
            rows.append(
                {item.key or "/".join(item.nested_key): json.loads(item.value_json) for item in items}
            )
    return rows


@pytest.mark.slow
def test_a_real_run_logs_to_tensorboard_and_wandb_offline(tmp_path, tiny_chatml_model_dir, monkeypatch):
    for name in (
        "WANDB_MODE",
        "WANDB_DIR",
        "WANDB_API_KEY",
        "TENSORBOARD_LOGGING_DIR",
        "WANDB_PROJECT",
        "HF_TOKEN",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))  # no `wandb login` of this machine's user
    monkeypatch.setenv("WANDB_SILENT", "true")
    (tmp_path / "checks.py").write_text(ASSERTION_FILE)
    config = write_config(
        tmp_path,
        tiny_chatml_model_dir,
        val_set_size=4,
        evals_per_epoch=1,
        max_steps=4,
        eval_assertions="checks.py:ends_with_period",
        eval_table_size=2,
        eval_max_new_tokens=4,
        report_to=["tensorboard", "wandb"],
        wandb_project="ftui-test",
        wandb_name="tiny",
        wandb_mode="offline",  # the config's word wins over the key below
        wandb_api_key="wandb-secret-key-0123456789",
        hf_token="hf_secret_token_0123456789",
    )
    result = train(config)
    assert result.status == "finished"
    out = tmp_path / "out"
    events = read_events(out)
    started = events[0]
    places = {p["tracker"]: p for p in started["trackers"]}
    assert Path(places["tensorboard"]["where"]).parent == out / "runs"
    assert Path(places["wandb"]["where"]).parent == out / "wandb"
    assert Path(places["wandb"]["where"]).name.startswith("offline-run-")
    pass_rates = [e["assertion_pass_rate"] for e in events if e["type"] == "eval"]
    losses = [e["loss"] for e in events if e["type"] == "step"]

    scalars = _tensorboard_scalars(out / "runs")
    assert [v for _, v in scalars["train/loss"]] == pytest.approx(losses, rel=1e-5)
    assert len(scalars["eval/loss"]) == len(pass_rates)
    assert [v for _, v in scalars["eval/assertion_pass_rate"]] == pytest.approx(pass_rates)
    assert "text:eval/samples/text_summary" in scalars

    history = _wandb_history(Path(places["wandb"]["where"]))
    logged = {key for row in history for key in row}
    assert {"train/loss", "eval/loss", "eval/assertion_pass_rate", "eval/samples/path"} <= logged
    table_row = next(r for r in history if "eval/samples/path" in r)
    assert table_row["eval/samples/_type"] == "table-file" and table_row["eval/samples/nrows"] == 2
    table = json.loads(
        (Path(places["wandb"]["where"]) / "files" / table_row["eval/samples/path"]).read_text()
    )
    assert table["columns"] == ["prompt", "expected", "generated", "passed"] and len(table["data"]) == 2
    assert [r["train/loss"] for r in history if "train/loss" in r] == pytest.approx(losses, rel=1e-5)
    assert [
        r["eval/assertion_pass_rate"] for r in history if "eval/assertion_pass_rate" in r
    ] == pytest.approx(pass_rates)
    for name in ("WANDB_MODE", "WANDB_API_KEY", "HF_TOKEN", "WANDB_DIR"):
        assert os.environ.get(name) is None, name  # the run's environment did not leak into this process
    for path in out.rglob("*"):  # secrets are used, never written: not in events, tracker files, checkpoints
        if path.is_file():
            data = path.read_bytes()
            assert b"wandb-secret-key" not in data and b"hf_secret_token" not in data, path


@pytest.mark.slow
def test_a_real_run_logs_to_mlflow_under_output_dir(tmp_path, tiny_chatml_model_dir, monkeypatch):
    from mlflow.tracking import MlflowClient

    for name in ("MLFLOW_TRACKING_URI", "MLFLOW_EXPERIMENT_NAME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "checks.py").write_text(ASSERTION_FILE)
    config = write_config(
        tmp_path,
        tiny_chatml_model_dir,
        val_set_size=4,
        evals_per_epoch=1,
        max_steps=3,
        eval_assertions="checks.py:ends_with_period",
        eval_table_size=2,
        eval_max_new_tokens=4,
        use_mlflow=True,
    )
    assert train(config).status == "finished"
    out = tmp_path / "out"
    events = read_events(out)
    place = events[0]["trackers"][0]
    assert place["where"] == f"sqlite:///{out / 'mlflow.db'} (experiment ftui)" and place["run_id"]
    client = MlflowClient(f"sqlite:///{out / 'mlflow.db'}")
    run_id = place["run_id"]
    history = {
        name: [m.value for m in client.get_metric_history(run_id, name)] for name in ("loss", "eval_loss")
    }
    assert history["loss"] == pytest.approx([e["loss"] for e in events if e["type"] == "step"], rel=1e-5)
    evals = [e for e in events if e["type"] == "eval"]
    assert history["eval_loss"] == pytest.approx([e["eval_loss"] for e in evals], rel=1e-5)
    rates = [m.value for m in client.get_metric_history(run_id, "eval_assertion_pass_rate")]
    assert rates == pytest.approx([e["assertion_pass_rate"] for e in evals])
    samples = sorted((out / "mlartifacts" / run_id / "artifacts" / "eval_samples").glob("step-*.json"))
    assert len(samples) == len(evals) and len(json.loads(samples[-1].read_text())) == 2
    assert not (tmp_path / "mlruns").exists()  # nothing in the working folder


def test_ftui_train_stops_on_a_missing_tracker_before_launching(tmp_path, monkeypatch, capsys):
    import importlib.util

    from ftui.tui.cli import main

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "comet_ml" else real(name, *a)
    )
    config = tmp_path / "c.yml"
    config.write_text(MINIMAL + f"output_dir: {tmp_path / 'out'}\nuse_comet: true\nnum_processes: 2\n")
    assert main(["train", str(config)]) == 1
    err = capsys.readouterr().err
    assert f"error: {config}: use_comet asks for Comet (comet_ml), which is not installed here" in err
    assert "hint: run `pip install 'ftui[comet]'`" in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()
