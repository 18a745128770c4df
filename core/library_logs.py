"""Quiet the libraries' start-up chatter that is not actionable for an ftui user.

bitsandbytes logs a warning on every import on CPUs with AVX512-BF16 because an optional kernel package
(`kernels`, which downloads code from the hub) is absent; ftui never wants that download, so the warning is
noise. Real errors from these loggers still come through.
"""

from __future__ import annotations

import logging

NOISY_LOGGERS = ("bitsandbytes.backends.cpu.ops",)


def quiet_library_logs() -> None:
    for name in NOISY_LOGGERS:
        logging.getLogger(name).setLevel(logging.ERROR)
