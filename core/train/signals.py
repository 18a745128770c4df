"""Signal stop: SIGINT/SIGTERM end a run cleanly (a checkpoint after the current step, then `stopped`).

Imported only by the runner (it pulls in transformers).
"""

from __future__ import annotations

import os
import signal
import sys
from typing import Any

from ftui.core.train.callbacks import RunOutcome
from transformers import TrainerCallback


class StopBeforeTraining(BaseException):
    """A stop signal arrived while loading the model or data (a BaseException, like KeyboardInterrupt, so
    no `except Exception` on the way swallows it)."""


class SignalStopCallback(TrainerCallback):
    """SIGINT/SIGTERM: finish the current step, save a checkpoint, stop. A second signal exits at once."""

    def __init__(self, outcome: RunOutcome) -> None:
        self.outcome = outcome
        self.requested = False
        self.training = False  # before the first step a signal stops at once: there is nothing to save
        self._previous: dict[int, Any] = {}

    def install(self) -> None:
        for sig in (signal.SIGINT, signal.SIGTERM):
            self._previous[sig] = signal.signal(sig, self._handle)

    def uninstall(self) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)
        self._previous.clear()

    def _handle(self, signum, frame) -> None:
        if self.requested:
            print("second signal: exiting without a checkpoint", file=sys.stderr, flush=True)
            os._exit(130)
        self.requested = True
        if not self.training:
            raise StopBeforeTraining(signal.Signals(signum).name)
        print(
            f"received {signal.Signals(signum).name}: finishing this step, saving a checkpoint, stopping",
            file=sys.stderr,
            flush=True,
        )

    def _any_rank_requested(self, args) -> bool:
        if getattr(args, "world_size", 1) <= 1:
            return self.requested
        import torch
        import torch.distributed as dist

        flag = torch.tensor([1.0 if self.requested else 0.0])
        if dist.get_backend() == "nccl":
            flag = flag.cuda()
        dist.all_reduce(flag)
        return bool(flag.item() > 0)

    def on_train_begin(self, args, state, control, **kwargs):
        self.training = True

    def on_step_end(self, args, state, control, **kwargs):
        if self._any_rank_requested(args):
            self.requested = True
            self.outcome.stop_reason = "signal"
            control.should_save = True
            control.should_training_stop = True
