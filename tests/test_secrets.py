"""One secret rule (core/config/secrets.py): used for the run, never written - events, config copies, logs,
estimate.json, launch.json, checkpoints (training_args.bin) - and a save over the user's own file keeps it."""

from __future__ import annotations

import hashlib
import json

import pytest
from ftui.core.config import load_config
from ftui.core.config.secrets import is_secret, secret_env, secrets_of, without_secrets
from test_train_support import write_config

# Every spelling the rule knows, each with its own value (all must stay out of every file).
SECRETS = {
    "hf_token": "hf_VALUEhftoken111",
    "huggingface_token": "hf_VALUEhuggingface222",
    "hf_api_token": "hf_VALUEhfapi333",
    "hub_token": "hf_VALUEhub444",
    "wandb_api_key": "VALUEwandb555",
    "mlflow_tracking_token": "VALUEmlflow666",
    "comet_api_key": "VALUEcomet777",
    "my_service_token": "VALUEservice888",
    "custom_api_key": "VALUEcustom999",
    "db_secret": "VALUEsecretAAA",
    "db_password": "VALUEpasswordBBB",
}


def test_the_rule_top_level_string_credentials_only():
    for key in SECRETS:
        assert is_secret(key, "x"), key
    assert not is_secret("hf_use_auth_token", True)  # not a string: a flag
    assert not is_secret("hf_token", "")  # empty: nothing to hide
    assert not is_secret("eos_token", 3)
    data = {"hf_token": "v", "special_tokens": {"eos_token": "</s>"}, "seed": 1}
    assert without_secrets(data) == {"special_tokens": {"eos_token": "</s>"}, "seed": 1}
    assert secret_env({"hf_api_token": "a", "wandb_api_key": "b", "db_password": "c"}) == {
        "HF_TOKEN": "a",
        "WANDB_API_KEY": "b",
        "DB_PASSWORD": "c",
    }


def test_saves_keep_the_users_lines_and_drop_secrets_elsewhere(tmp_path, tiny_chatml_model_dir):
    config = write_config(tmp_path, tiny_chatml_model_dir, **SECRETS)
    original = config.read_text()
    loaded = load_config(config)
    assert secrets_of(loaded.config) == SECRETS  # read, so the run can use them
    assert loaded.save() == [] and config.read_text() == original  # their file, their lines
    other = tmp_path / "elsewhere" / "copy.yml"
    notes = loaded.save(other)
    assert len(notes) == len(SECRETS) and all("was not written" in n for n in notes)
    text = other.read_text()
    assert not [v for v in SECRETS.values() if v in text]


def test_wizard_save_elsewhere_drops_secrets_with_a_note(tmp_path, tiny_chatml_model_dir):
    from ftui.tui.wizard.config_io import load_state, save_state

    config = write_config(tmp_path, tiny_chatml_model_dir, **SECRETS)
    state = load_state(config)
    saved, notes = save_state(state, tmp_path / "other" / "c.yml")
    assert len(notes) == len(SECRETS)
    assert not [v for v in SECRETS.values() if v in saved.read_text()]
    _, notes = save_state(state, config)  # over the file it came from: unchanged
    assert notes == [] and all(v in config.read_text() for v in SECRETS.values())


CHECK = """
import hashlib, os

def env_has_the_secrets(output, expected):
    return all(hashlib.sha256(os.environ.get(name, "").encode()).hexdigest() == digest
               for name, digest in {digests!r}.items())
"""


@pytest.mark.slow
def test_a_run_with_every_spelling_writes_no_secret_anywhere(tmp_path, tiny_chatml_model_dir):
    """Launch `ftui train` (launch.json, launch.log = the console), train with a checkpoint, eval and the
    estimate; then grep every file of the run dir, pickles included, for every value: zero hits."""
    from ftui.core.events import read_events
    from ftui.core.launch import launch_training

    digests = {
        name: hashlib.sha256(SECRETS[key].encode()).hexdigest()
        for key, name in (("wandb_api_key", "WANDB_API_KEY"), ("db_password", "DB_PASSWORD"))
    }
    (tmp_path / "checks.py").write_text(CHECK.format(digests=digests))
    config = write_config(
        tmp_path,
        tiny_chatml_model_dir,
        val_set_size=2,
        evals_per_epoch=1,
        saves_per_epoch=2,
        eval_assertions="checks.py:env_has_the_secrets",
        eval_table_size=1,
        eval_max_new_tokens=2,
        **SECRETS,
    )
    launched = launch_training(config, cwd=tmp_path)
    assert launched.wait(timeout=600) == 0, launched.log_path.read_text()[-3000:]
    out = tmp_path / "out"
    events = read_events(out)
    assert events[-1]["type"] == "finished"
    evals = [e for e in events if e["type"] == "eval"]
    assert evals and all(e["assertion_pass_rate"] == 1.0 for e in evals)  # the run had the values
    files = [p for p in out.rglob("*") if p.is_file()]
    assert any(p.name == "training_args.bin" for p in files)
    assert {"events.jsonl", "config.yml", "estimate.json", "launch.json", "launch.log"} <= {p.name for p in files}
    hits = [
        (str(p.relative_to(out)), key)
        for p in files
        for key, value in SECRETS.items()
        if value.encode() in p.read_bytes()
    ]
    assert hits == []
    assert json.loads((out / "launch.json").read_text())["config"] == str(config.resolve())
