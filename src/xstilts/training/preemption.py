"""Preemption: SIGTERM and SIGUSR1 (what SLURM sends ahead of a preemption or the time limit, ``--signal``) ask
the training loop to stop at its next step boundary. The loop writes a checkpoint there and raises
``errors.Preempted``; the command line exits ``errors.REQUEUE_EXIT``, and the rerun (or the requeued job) resumes
from that checkpoint exactly as from any other.

The handlers are installed only while the loop runs (the main thread only: Python delivers signals there), and
the previous ones are put back after, so a signal outside training keeps its usual effect.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

import torch

SIGNALS = (signal.SIGTERM, signal.SIGUSR1)


class StopRequest:
    """Whether a stop signal arrived since the loop started, and which."""

    def __init__(self) -> None:
        self.signal_name: str | None = None

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        self.signal_name = signal.Signals(signum).name

    def agreed(self, accelerator: Any) -> str | None:
        """The signal's name if any process got one (under DDP all of them must stop at the same step)."""
        if accelerator.num_processes == 1:
            return self.signal_name
        got = torch.tensor([1.0 if self.signal_name else 0.0], device=accelerator.device)
        if accelerator.reduce(got, reduction="sum").item() > 0:
            return self.signal_name or "SIGTERM"
        return None


@contextmanager
def stop_requests() -> Iterator[StopRequest]:
    """A ``StopRequest`` that SIGTERM and SIGUSR1 set while the block runs."""
    request = StopRequest()
    if threading.current_thread() is not threading.main_thread():
        yield request
        return
    previous = {sig: signal.signal(sig, request._handle) for sig in SIGNALS}
    try:
        yield request
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
