"""Pushing a model to the Hugging Face Hub with huggingface_hub: what goes up, and one clear message when
it cannot (no token, no network, no write access).

Used by `ftui push RUN_DIR [--merged] [--repo ID]` and, during training, by core/train/hub_sync.py
(`hub_model_id` + `hub_strategy`). The endpoint is huggingface_hub's `HF_ENDPOINT` (read at each push,
which is how the tests point it at a local server), the token its own (`HF_TOKEN`, `hf auth login`; the
config's `hf_token`/`hub_token` travel as HF_TOKEN and are never written).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ftui.core.errors import UserError
from ftui.core.runs.layout import (
    ADAPTER_CONFIG,
    CONFIG_FILE,
    ESTIMATE_FILE,
    LAUNCH_FILE,
    MERGE_INFO_FILE,
    MERGED_DIR,
    MODEL_CONFIG,
    RUN_INFO_FILE,
    TRAINER_STATE_FILE,
)

HUB_STRATEGIES = ("end", "every_save", "checkpoint", "all_checkpoints")
# A model folder's files that make the model (weights, configs, tokenizer, chat template).
MODEL_SUFFIXES = (".safetensors", ".json", ".model", ".jinja", ".txt", ".tiktoken")
# ftui's and the Trainer's own records: local facts (paths, pickled arguments), not the model.
NOT_MODEL = frozenset(
    {
        "training_args.bin",
        TRAINER_STATE_FILE,
        ESTIMATE_FILE,
        RUN_INFO_FILE,
        LAUNCH_FILE,
        MERGE_INFO_FILE,
        "README.md",
    }
)


class HubError(UserError):
    """A push that could not happen; the message says why, the hint how to push later."""


@dataclass(frozen=True)
class HubTarget:
    repo_id: str
    strategy: str = "end"
    private: bool | None = None

    def describe(self) -> str:
        visibility = {True: "private", False: "public"}.get(self.private, "the account's default visibility")
        when = {
            "end": "at the end",
            "every_save": "at every checkpoint and at the end",
            "checkpoint": "at every checkpoint (plus last-checkpoint/ for resuming) and at the end",
            "all_checkpoints": "every checkpoint into its own folder, and the model at the end",
        }[self.strategy]
        return f"{self.repo_id} ({visibility}), {when}"


def hub_target(config: Any) -> HubTarget | None:
    """Where a run of this config pushes, or None (no hub_model_id)."""
    repo = getattr(config, "hub_model_id", None)
    if not repo:
        return None
    return HubTarget(
        repo, getattr(config, "hub_strategy", "end") or "end", getattr(config, "hub_private_repo", None)
    )


def endpoint() -> str:
    from huggingface_hub import constants

    return (os.environ.get("HF_ENDPOINT") or constants.ENDPOINT).rstrip("/")


def token() -> str | None:
    """huggingface_hub's token: HF_TOKEN, else the one `hf auth login` saved."""
    if os.environ.get("HF_TOKEN"):
        return os.environ["HF_TOKEN"]
    from huggingface_hub import get_token

    return get_token()


def no_token_message(repo_id: str) -> str:
    return (
        f"no Hugging Face token here to push to {repo_id}: set HF_TOKEN (or hf_token in the config), "
        "or run `hf auth login`"
    )


def model_files(folder: Path) -> list[Path]:
    """The files of a saved model (adapter or full) at the top of `folder`."""
    return sorted(
        p for p in folder.iterdir() if p.is_file() and p.suffix in MODEL_SUFFIXES and p.name not in NOT_MODEL
    )


def operations(files: list[Path], root: Path, prefix: str = "", base_model: str | None = None) -> list[Any]:
    """Commit operations for `files` (paths kept relative to `root`, under `prefix`). An adapter's
    base_model_name_or_path becomes the base model's Hub id, so the pushed adapter loads from the Hub."""
    from huggingface_hub import CommitOperationAdd

    ops = []
    for path in files:
        name = f"{prefix}{path.relative_to(root).as_posix()}"
        content: Any = str(path)
        if path.name == ADAPTER_CONFIG and base_model:
            data = json.loads(path.read_text(encoding="utf-8"))
            data["base_model_name_or_path"] = base_model
            content = (json.dumps(data, indent=2) + "\n").encode()
        ops.append(CommitOperationAdd(path_in_repo=name, path_or_fileobj=content))
    return ops


@dataclass
class PushResult:
    repo_id: str
    url: str
    commit: str | None
    files: int


def push(
    repo_id: str,
    ops: list[Any],
    *,
    private: bool | None,
    message: str,
    api: Any = None,
    later: str | None = None,
) -> PushResult:
    """Create the repo when missing and commit `ops` in one commit; any failure is one HubError."""
    from huggingface_hub import HfApi

    hint = f"nothing is lost: push it later with `{later}`" if later else None
    secret = token()
    if not secret:
        raise HubError(no_token_message(repo_id), hint=hint)
    api = api or HfApi(endpoint=endpoint())
    try:
        url = api.create_repo(repo_id, token=secret, private=private, exist_ok=True, repo_type="model")
        info = api.create_commit(repo_id, ops, commit_message=message, token=secret, repo_type="model")
    except Exception as err:  # noqa: BLE001 - every library/network failure becomes one message
        raise HubError(describe_failure(err, repo_id), hint=hint) from None
    return PushResult(repo_id, str(url), getattr(info, "oid", None), len(ops))


def describe_failure(err: BaseException, repo_id: str) -> str:
    """What went wrong with a push, in one line (never the token)."""
    from huggingface_hub.errors import HfHubHTTPError, OfflineModeIsEnabled

    where = endpoint()
    if isinstance(err, OfflineModeIsEnabled):
        return f"cannot push to {repo_id}: HF_HUB_OFFLINE is set"
    if isinstance(err, HfHubHTTPError):
        status = getattr(getattr(err, "response", None), "status_code", None)
        if status == 401:
            return f"{where} refused the token (401) for {repo_id}: check HF_TOKEN or `hf auth login`"
        if status == 403:
            return f"the token may not write to {repo_id} (403): use a write token, or a repo you own"
        first = str(err).splitlines()[0] if str(err) else type(err).__name__
        return f"pushing to {repo_id} failed: {where} answered {status}: {first}"
    text = str(err).splitlines()[0] if str(err) else ""
    return f"cannot reach {where} to push to {repo_id} ({type(err).__name__}{': ' + text if text else ''})"


def push_run(
    run_dir: str | Path, *, repo_id: str | None = None, merged: bool = False, private: bool | None = None
) -> PushResult:
    """`ftui push`: the run's final model (or RUN_DIR/merged, by default to `<hub_model_id>-merged`) and
    a generated model card, in one commit."""
    from ftui.core.model_card import card_text, hub_base_model

    root = Path(run_dir)
    saved = run_config(root)
    if not repo_id and saved.get("hub_model_id"):
        # The merged model gets its own repo: an adapter and full weights in one repo load ambiguously.
        repo_id = saved["hub_model_id"] + ("-merged" if merged else "")
    if not repo_id:
        raise HubError(
            f"{root}: no Hub repo to push to", hint="pass --repo USER/NAME, or set hub_model_id in the config"
        )
    if private is None:
        private = saved.get("hub_private_repo")
    folder = root / MERGED_DIR if merged else root
    if merged and not (folder / MODEL_CONFIG).is_file():
        raise HubError(f"{folder}: no merged model here", hint=f"run `ftui merge {root}` first")
    files = model_files(folder) if folder.is_dir() else []
    if not any(p.suffix == ".safetensors" for p in files):
        raise HubError(
            f"{folder}: no saved model (no .safetensors) to push",
            hint="push a run that finished, or `ftui merge` it and push --merged",
        )
    card = card_text(root, repo_id, merged=merged).encode()
    from huggingface_hub import CommitOperationAdd

    ops = operations(files, folder, base_model=None if merged else hub_base_model(root))
    ops.append(CommitOperationAdd(path_in_repo="README.md", path_or_fileobj=card))
    what = "merged model" if merged else "model"
    later = f"ftui push {root}" + (" --merged" if merged else "") + (f" --repo {repo_id}" if repo_id else "")
    return push(repo_id, ops, private=private, message=f"ftui: {what} from run {root.name}", later=later)


def run_config(root: Path) -> dict[str, Any]:
    """A run's saved config.yml (written without secrets), {} when it has none."""
    import yaml

    try:
        data = yaml.safe_load((root / CONFIG_FILE).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return {}
    return data if isinstance(data, dict) else {}
