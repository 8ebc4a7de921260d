"""What a task head is: a module that owns its encoder call, ``forward(encoder, batch)``, and its loss.

Owning the call lets a head read any hidden layer, pass extra inputs to the encoder or run it twice; most heads
read the last layer (:func:`last_hidden`). Each kind declares its head class (``xstilts.kinds``) and registering
the kind puts it in :data:`HEAD_TYPES`, which is how a model is rebuilt from its ``heads.json``.
"""

from __future__ import annotations

from typing import Any, ClassVar

import torch
from torch import nn

ENCODER_INPUTS = ("input_ids", "attention_mask", "token_type_ids")


def last_hidden(encoder: nn.Module, batch: dict[str, torch.Tensor]) -> torch.Tensor:
    """The encoder's last hidden states for the batch's token inputs."""
    return encoder(**{k: batch[k] for k in ENCODER_INPUTS if k in batch}).last_hidden_state


class Head(nn.Module):
    """Base class of the heads. ``maps_to_embeddings``: the output lives in the input-embedding space (a tied
    token decoder follows), so MAD-X's invertible adapter must be undone on it."""

    maps_to_embeddings: ClassVar[bool] = False

    def __init__(self, hidden_size: int, num_labels: int, dropout: float) -> None:
        super().__init__()

    @staticmethod
    def options(data: dict[str, Any]) -> dict[str, Any]:
        """The constructor's keyword arguments taken from a task's data settings."""
        return {}

    def learning_rates(self) -> dict[str, float]:
        """Learning rates of this head's own parameters by name prefix (``{"stem.": 1e-3}``), where they must differ
        from the phase's ``lr`` (a vision stem trained from scratch); the rest train at ``lr``."""
        return {}

    def bind(self, encoder: nn.Module) -> None:
        """Called once with the model's encoder (a head that shares encoder weights ties them here)."""

    def forward(self, encoder: nn.Module, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        raise NotImplementedError

    def loss(self, outputs: torch.Tensor, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        raise NotImplementedError


# kind name -> head class; filled by ``xstilts.kinds.base.register_kind``
HEAD_TYPES: dict[str, type[Head]] = {}


def head_type(kind: str) -> type[Head]:
    try:
        return HEAD_TYPES[kind]
    except KeyError:
        known = ", ".join(sorted(HEAD_TYPES)) or "none: import xstilts.kinds"
        raise KeyError(f"no head for task kind {kind!r} (registered: {known})") from None
