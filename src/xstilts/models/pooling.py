"""Sentence embeddings for retrieval: one layer's hidden states, pooled over the tokens.

XTREME embeds Tatoeba and BUCC sentences with the mean of the non-pad tokens (special tokens included) of an
intermediate layer: the top layers of a masked-LM encoder are specialised for predicting tokens and align
languages worse. The layer is recorded with every result, because retrieval scores move by tens of points from one
layer to the next.

Layers count as ``hidden_states`` does: 0 is the embedding output, ``n`` the output of layer ``n``. XTREME's
``extract_embeddings`` (``third_party/run_retrieval.py``, ``evaluate_retrieval.py``) keeps the last
``--num_layers`` hidden states, so its ``--specific_layer i`` is ``hidden_states[depth - num_layers + i + 1]``.
The defaults (:func:`default_layer`) are what XTREME's scripts read at the two depths they run, declared by
each task as ``Task.retrieval_layers`` (encoder depth -> ``hidden_states`` index):

* Tatoeba (``scripts/run_tatoeba.sh``: ``--num_layers 12 --specific_layer 7`` for mBERT, ``24`` / ``13`` for
  XLM-R large): ``hidden_states[8]`` of 12 layers, ``hidden_states[14]`` of 24;
* BUCC (``scripts/run_bucc2018.sh``: ``--specific_layer 7`` for every model and no ``--num_layers``, so the
  default 12): ``hidden_states[8]`` of 12 layers, ``hidden_states[20]`` of 24. The script's ``--pool_type cls``
  is never passed on to ``extract_embeddings``, which mean-pools;
* any other task or depth: layer 14 of 24 scaled, ``round(14 / 24 × layers)``, at least 1.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

import torch

from xstilts.errors import XstiltsError

Pooling = Literal["mean", "cls"]

REFERENCE_LAYER, REFERENCE_DEPTH = 14, 24  # XTREME's Tatoeba layer for XLM-R large


def scaled_layer(num_layers: int) -> int:
    """The reference layer scaled to another depth: round(14 / 24 × layers), at least 1."""
    return max(1, round(REFERENCE_LAYER / REFERENCE_DEPTH * num_layers))


def default_layer(num_layers: int, task_layers: Mapping[int, int] | None = None) -> int:
    """The task's XTREME layer at this depth (``task_layers``: the task's ``retrieval_layers``, encoder depth ->
    ``hidden_states`` index), else :func:`scaled_layer`."""
    return (task_layers or {}).get(num_layers, scaled_layer(num_layers))


def resolve_layer(layer: int | None, num_layers: int, task_layers: Mapping[int, int] | None = None) -> int:
    """The layer to read (0 = the embedding output, ``num_layers`` = the last layer); ``None`` = the task's
    default (:func:`default_layer`)."""
    chosen = default_layer(num_layers, task_layers) if layer is None else layer
    if not 0 <= chosen <= num_layers:
        raise XstiltsError(f"retrieval_layer {chosen} is outside this encoder's layers 0..{num_layers}")
    return chosen


def pool(hidden: torch.Tensor, attention_mask: torch.Tensor, pooling: Pooling) -> torch.Tensor:
    """(batch, tokens, hidden) -> (batch, hidden): the first token (``cls``) or the mean of the unmasked tokens,
    special tokens included as XTREME's ``run_retrieval.py`` does."""
    if pooling == "cls":
        return hidden[:, 0]
    if pooling == "mean":
        mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
        return (hidden * mask).sum(1) / mask.sum(1).clamp(min=1.0)
    raise ValueError(f"unknown pooling {pooling!r}")


@torch.no_grad()
def layer_embeddings(
    encoder: torch.nn.Module, batch: dict[str, torch.Tensor], layer: int, pooling: Pooling
) -> torch.Tensor:
    """Pooled hidden states of ``layer`` for one tokenized batch."""
    output = encoder(**batch, output_hidden_states=True)
    states = output.hidden_states
    if not 0 <= layer < len(states):
        raise XstiltsError(f"retrieval_layer {layer} is outside this encoder's layers 0..{len(states) - 1}")
    return pool(states[layer], batch["attention_mask"], pooling)
