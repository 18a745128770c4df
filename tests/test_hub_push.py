"""Pushing to the Hub with huggingface_hub, against a small local server on 127.0.0.1 (tests/hub_server.py)
that the tests start and point HF_ENDPOINT at: no network. Large files take the Hub's LFS protocol
(HF_HUB_DISABLE_XET=1; the Xet path is huggingface_hub's own). A run without a token or a reachable Hub
still finishes, with one warning."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from ftui.core.config import parse_config
from ftui.core.events import TERMINAL_EVENTS, read_events
from ftui.core.hub_push import HubError, hub_target, push_run
from hub_server import FakeHub
from test_train import ASSERTION_FILE, train
from test_train_support import run_cli, write_config

TOKEN = "hf_test_token"


def hub_env(mp: pytest.MonkeyPatch, hub_url: str | None, home: Path, token: str | None = TOKEN) -> None:
    import huggingface_hub.constants

    if hub_url:
        mp.setenv("HF_ENDPOINT", hub_url)
    mp.setenv("HF_HOME", str(home / "hf-home"))  # no token saved by `hf auth login` on this machine
    mp.setattr(huggingface_hub.constants, "HF_TOKEN_PATH", str(home / "hf-home" / "token"))
    mp.delenv("HF_HUB_OFFLINE", raising=False)  # the suite runs offline; this endpoint is 127.0.0.1
    mp.delenv("TRANSFORMERS_OFFLINE", raising=False)  # huggingface_hub reads it as HF_HUB_OFFLINE too
    mp.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", False)
    mp.setenv("HF_HUB_DISABLE_XET", "1")
    mp.setattr(huggingface_hub.constants, "HF_HUB_DISABLE_XET", True)
    if token:
        mp.setenv("HF_TOKEN", token)
    else:
        mp.delenv("HF_TOKEN", raising=False)


@pytest.fixture(scope="module")
def pushed_run(tmp_path_factory, tiny_chatml_model_dir):
    """One tiny LoRA run with hub_strategy: checkpoint, pushed while it trains."""
    folder = tmp_path_factory.mktemp("pushed")
    (folder / "checks.py").write_text(ASSERTION_FILE)
    config = write_config(
        folder,
        tiny_chatml_model_dir,
        val_set_size=4,
        evals_per_epoch=1,
        max_steps=4,
        save_steps=2,
        save_total_limit=1,
        eval_assertions="checks.py:ends_with_period",
        eval_max_new_tokens=4,
        hub_model_id="me/tiny-lora",
        hub_strategy="checkpoint",
        hub_private_repo=True,
    )
    with FakeHub(folder / "hub") as hub, pytest.MonkeyPatch.context() as mp:
        hub_env(mp, hub.url, folder)
        result = train(config)
        yield {"result": result, "out": folder / "out", "hub": hub, "folder": folder}


@pytest.mark.slow
def test_training_pushes_checkpoints_then_the_model_with_a_card(pushed_run):
    hub, out = pushed_run["hub"], pushed_run["out"]
    assert pushed_run["result"].status == "finished"
    events = read_events(out)
    assert events[-1]["type"] == "finished" and sum(e["type"] in TERMINAL_EVENTS for e in events) == 1
    assert events[0]["hub"] == {
        "repo": "me/tiny-lora",
        "strategy": "checkpoint",
        "private": True,
        "token": True,
    }
    pushed = [e for e in events if e["type"] == "pushed"]
    assert [e["what"] for e in pushed] == ["last-checkpoint", "last-checkpoint", "model"]
    assert pushed[-1]["url"] == f"{hub.url}/me/tiny-lora" and pushed[-1]["commit"]
    assert not [e for e in events if e["type"] == "warning" and e.get("kind") == "hub"]
    assert hub.repos["me/tiny-lora"]["visibility"] == "private"
    assert all(r["auth"] == f"Bearer {TOKEN}" for r in hub.requests if not r["path"].startswith("/lfs/"))
    files = hub.files("me/tiny-lora")
    assert files["adapter_model.safetensors"] == (out / "adapter_model.safetensors").read_bytes()  # via LFS
    assert {"adapter_config.json", "tokenizer.json", "README.md"} <= files.keys()
    assert {"last-checkpoint/optimizer.pt", "last-checkpoint/trainer_state.json"} <= files.keys()
    assert json.loads(files["last-checkpoint/trainer_state.json"])["global_step"] == 4
    assert not any(name.startswith(("events", "estimate", "ftui_run", "training_args")) for name in files)
    assert not (out / ".hub-upload").exists()
    assert "trainer_state.json" not in files and "config.json" not in files  # an adapter repo
    card = files["README.md"].decode()
    pass_rate = [e for e in events if e["type"] == "eval"][-1]["assertion_pass_rate"]
    assert card.startswith("---\n") and "library_name: peft" in card and "- ftui" in card
    assert f"| eval assertion pass rate | {pass_rate:.1%} of 4 prompts |" in card
    assert f"| final train loss | {events[-1]['final_loss']:.4f} |" in card
    assert "LoRA, r=4, alpha=8" in card and "| `learning_rate` | 0.01 |" in card
    assert "`data.jsonl`" in card and "- ftui 0.1.0" in card
    assert "`tiny-llama-chatml` (a local model)" in card and str(pushed_run["folder"]) not in card


@pytest.mark.slow
def test_ftui_push_again_and_push_merged(pushed_run, monkeypatch):
    from ftui.core.merge import merge_run

    hub, out = pushed_run["hub"], pushed_run["out"]
    hub_env(monkeypatch, hub.url, pushed_run["folder"])
    done = run_cli(["push", str(out), "--repo", "me/again", "--public"], cwd=pushed_run["folder"])
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"{hub.url}/me/again"
    assert hub.repos["me/again"]["visibility"] == "public"
    assert "adapter_model.safetensors" in hub.files("me/again")

    missing = run_cli(["push", str(out), "--merged"], cwd=pushed_run["folder"])
    assert missing.returncode == 1 and "ftui merge" in missing.stderr and "Traceback" not in missing.stderr

    merge_run(out)
    result = push_run(out, merged=True)  # the run's hub_model_id + "-merged"
    assert result.repo_id == "me/tiny-lora-merged"
    files = hub.files("me/tiny-lora-merged")
    assert "adapter_config.json" not in files
    assert "model.safetensors" in files and "config.json" in files
    assert "library_name: transformers" in files["README.md"].decode()
    assert "merged into the base weights" in files["README.md"].decode()


@pytest.mark.slow
def test_a_run_without_a_token_still_finishes_with_one_warning(tmp_path, tiny_chatml_model_dir, monkeypatch):
    hub_env(monkeypatch, None, tmp_path, token=None)
    config = write_config(tmp_path, tiny_chatml_model_dir, max_steps=2, save_steps=1, hub_model_id="me/x")
    assert train(config).status == "finished"
    events = read_events(tmp_path / "out")
    assert events[0]["hub"]["token"] is False and events[-1]["type"] == "finished"
    warnings = [e for e in events if e["type"] == "warning" and e.get("kind") == "hub"]
    assert len(warnings) == 1 and "no Hugging Face token" in warnings[0]["message"]
    assert f"ftui push {tmp_path / 'out'}" in warnings[0]["hint"]
    assert not [e for e in events if e["type"] == "pushed"]
    assert (tmp_path / "out" / "adapter_model.safetensors").exists()


def _saved_run(folder: Path) -> Path:
    """A run folder as training leaves it, without training (for the error paths)."""
    out = folder / "run"
    out.mkdir()
    (out / "adapter_model.safetensors").write_bytes(b"not really weights")
    (out / "adapter_config.json").write_text('{"base_model_name_or_path": "/local/base"}')
    (out / "config.yml").write_text("hub_model_id: me/saved\nbase_model: /local/base\n")
    return out


def test_unreachable_hub_is_one_message(tmp_path, monkeypatch):
    import socket

    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    hub_env(monkeypatch, f"http://127.0.0.1:{port}", tmp_path)
    done = run_cli(["push", str(_saved_run(tmp_path))], cwd=tmp_path)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert f"cannot reach http://127.0.0.1:{port} to push to me/saved" in done.stderr
    assert "push it later with `ftui push" in done.stderr and TOKEN not in done.stderr


def test_wrong_token_and_no_token(tmp_path, monkeypatch):
    run = _saved_run(tmp_path)
    with FakeHub(tmp_path / "hub") as hub:
        hub_env(monkeypatch, hub.url, tmp_path, token="hf_wrong")
        with pytest.raises(HubError, match="refused the token"):
            push_run(run)
        hub_env(monkeypatch, hub.url, tmp_path, token=None)
        with pytest.raises(HubError, match="no Hugging Face token"):
            push_run(run)
        hub_env(monkeypatch, hub.url, tmp_path)
        import huggingface_hub.constants

        monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
        with pytest.raises(HubError, match="HF_HUB_OFFLINE is set"):
            push_run(run)
        monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", False)
        assert push_run(run).files == 3
        assert (
            json.loads(hub.files("me/saved")["adapter_config.json"])["base_model_name_or_path"]
            == "/local/base"
        )


def test_hub_target_and_strategy_keys():
    base = "base_model: m\ndatasets:\n  - path: d.jsonl\n    type: alpaca\n"
    assert hub_target(parse_config(base).config) is None
    target = hub_target(parse_config(base + "hub_model_id: me/m\nhub_strategy: every_save\n").config)
    assert (target.repo_id, target.strategy, target.private) == ("me/m", "every_save", None)
    assert "at every checkpoint" in target.describe()
    from ftui.core.config import ConfigError

    with pytest.raises(ConfigError, match="hub_strategy"):
        parse_config(base + "hub_model_id: me/m\nhub_strategy: sometimes\n")
