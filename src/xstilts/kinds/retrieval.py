"""Retrieval (Tatoeba, BUCC, LAReQA, Mewsli-X): pooled sentence embeddings of one encoder layer, searched by cosine
similarity. The layer and the pooling are explicit data settings, recorded with every result."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from xstilts.data.examples import RetrievalExample
from xstilts.kinds.base import Kind, register_kind
from xstilts.models.heads import ENCODER_INPUTS, Head
from xstilts.models.pooling import layer_embeddings


class EmbeddingHead(Head):
    """No parameters: the pooled hidden states of one layer (``models.pooling``), the sentence embedding."""

    def __init__(self, hidden_size: int, num_labels: int, dropout: float, layer: int = 0, pooling: str = "mean"):
        super().__init__(hidden_size, num_labels, dropout)
        self.layer, self.pooling = layer, pooling

    @staticmethod
    def options(data: dict[str, Any]) -> dict[str, Any]:
        return {"layer": data["retrieval_layer"], "pooling": data["retrieval_pooling"]}

    def forward(self, encoder: nn.Module, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        inputs = {k: batch[k] for k in ENCODER_INPUTS if k in batch}
        return layer_embeddings(encoder, inputs, self.layer, self.pooling)  # type: ignore[arg-type]


class Retrieval(Kind):
    name = "retrieval"
    example_type = RetrievalExample
    head_type = EmbeddingHead
    own_data_fields = ("retrieval_layer", "retrieval_pooling")


RETRIEVAL = register_kind(Retrieval())
