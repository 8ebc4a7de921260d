"""Test helpers for heads (kept out of builders.py, which spawned store writers import without torch)."""

from __future__ import annotations

from typing import Any

import torch


class FixedHidden(torch.nn.Module):
    """An encoder stand-in whose last hidden states are given: for testing a head on known hidden states (heads
    run the encoder themselves)."""

    def __init__(self, hidden: torch.Tensor) -> None:
        super().__init__()
        self.hidden = hidden

    def forward(self, **inputs: torch.Tensor) -> Any:
        return type("Output", (), {"last_hidden_state": self.hidden})()
