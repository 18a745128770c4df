"""Hugging Face hub ids through `datasets.load_dataset`, failing fast and clearly when offline.

Without network `datasets` retries for about half a minute before failing with a long traceback. Here one
quick connection attempt (or HF_HUB_OFFLINE / HF_DATASETS_OFFLINE) switches it to cache-only mode, so a
dataset that is not cached gives one `DataError` at once.
"""

from __future__ import annotations

import contextlib
import os
import socket
from collections.abc import Iterator
from typing import Any

from ftui.core.data.model import RawRow, RowOrigin
from ftui.core.data.report import DataError
from ftui.core.data.settings import DatasetSettings


def _offline_by_env() -> bool:
    values = (os.environ.get(name, "") for name in ("HF_DATASETS_OFFLINE", "HF_HUB_OFFLINE"))
    return any(value.strip().upper() in ("1", "ON", "YES", "TRUE") for value in values)


def _hub_reachable(timeout: float = 2.0) -> bool:
    """One quick connection attempt, so no network means one clear error, not minutes of retries."""
    from urllib.parse import urlparse

    if any(os.environ.get(name) for name in ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy")):
        return True  # behind a proxy a direct connection says nothing; let `datasets` try
    endpoint = urlparse(os.environ.get("HF_ENDPOINT", "https://huggingface.co"))
    host = endpoint.hostname or "huggingface.co"
    port = endpoint.port or (80 if endpoint.scheme == "http" else 443)
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


@contextlib.contextmanager
def _forced_offline(offline: bool):
    """Make `datasets` and `huggingface_hub` use only the local cache (their flags are read at import)."""
    import datasets.config
    import huggingface_hub.constants

    saved = (datasets.config.HF_HUB_OFFLINE, huggingface_hub.constants.HF_HUB_OFFLINE)
    if offline:
        datasets.config.HF_HUB_OFFLINE = huggingface_hub.constants.HF_HUB_OFFLINE = True
    try:
        yield
    finally:
        datasets.config.HF_HUB_OFFLINE, huggingface_hub.constants.HF_HUB_OFFLINE = saved


def _load_hub(hub_id: str, settings: DatasetSettings | None):
    offline = _offline_by_env() or not _hub_reachable()
    import datasets

    split = (settings.split if settings else None) or "train"
    kwargs: dict[str, Any] = {"split": split}
    if settings and settings.name:
        kwargs["name"] = settings.name
    if settings and settings.data_files:
        kwargs["data_files"] = settings.data_files
    if settings and settings.revision:
        kwargs["revision"] = settings.revision
    datasets.logging.set_verbosity_error()
    with _forced_offline(offline):
        try:
            return datasets.load_dataset(hub_id, **kwargs)
        except Exception as exc:  # datasets raises many types; all mean "cannot load this id"
            if offline:
                raise DataError(
                    f"dataset '{hub_id}' is not available offline (it is not a local path and not in the "
                    "Hugging Face datasets cache)",
                    "download it once with network access (unset HF_HUB_OFFLINE / HF_DATASETS_OFFLINE), "
                    "or point `path:` at a local .json/.jsonl/.csv/.parquet file or folder",
                ) from None
            detail = str(exc).strip().splitlines()[0][:300] if str(exc).strip() else type(exc).__name__
            raise DataError(
                f"cannot load dataset '{hub_id}' from the Hugging Face hub: {detail}",
                "check the id, `name:` and `split:`; private datasets need `huggingface-cli login`",
            ) from None


def hub_rows(hub_id: str, settings: DatasetSettings | None) -> Iterator[RawRow]:
    dataset = _load_hub(hub_id, settings)
    split = (settings.split if settings else None) or "train"
    display = f"{hub_id}[{split}]"
    for index, value in enumerate(dataset):
        yield RawRow(RowOrigin(display, None, index), value=value)
