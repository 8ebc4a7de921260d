"""Retrieval (Tatoeba, BUCC, LAReQA, Mewsli-X): pooled sentence embeddings of one encoder layer, searched by cosine
similarity. The layer and the pooling are explicit data settings (head options), recorded with every result.

A retrieval example is a whole set of one language (its queries and the pool searched), so one example becomes one
feature row per item: the queries' rows, then the candidates'; ``side`` and ``index`` (``meta`` columns) say which
item a row is. Each side is tokenized as one batch: single texts truncated to ``max_length``, or, when an item of
the side has a context (LAReQA's answer sentence in its paragraph), every item as the pair (text, context) with
``longest_first`` truncation. Only the token ids enter the features: the encoder gets no segment ids (retrieval
has always embedded with the model's default ones) and an attention mask of ones on the real tokens (``collate``).
What is done with the embeddings (search, the task's protocol and metric) is the evaluation's
(``xstilts.evaluation.retrieval``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch import nn

from xstilts.data.examples import RetrievalExample, RetrievalItem
from xstilts.data.features import PAD_TOKEN, Column, Features
from xstilts.kinds.base import Kind, register_kind
from xstilts.models.heads import ENCODER_INPUTS, Head
from xstilts.models.pooling import layer_embeddings

QUERIES, CANDIDATES = 0, 1  # the values of the ``side`` column


def tokenize_side(items: Sequence[RetrievalItem], tokenizer: Any, max_length: int) -> list[list[int]]:
    """The token ids of one side's items, as one batch (pairs for all when any item has a context)."""
    texts = [item.text for item in items]
    if any(item.context is not None for item in items):
        contexts = [item.context or "" for item in items]
        return tokenizer(texts, contexts, truncation="longest_first", max_length=max_length)["input_ids"]
    return tokenizer(texts, truncation=True, max_length=max_length)["input_ids"]


def featurize_retrieval(examples: Sequence[RetrievalExample], tokenizer: Any, max_length: int) -> Features:
    features = Features(
        sequences={"input_ids": []},
        scalars={"example_index": [], "side": [], "index": []},
        columns={"input_ids": Column("input", PAD_TOKEN)},
    )
    for k, example in enumerate(examples):
        for side, items in ((QUERIES, example.queries), (CANDIDATES, example.candidates)):
            features.sequences["input_ids"] += tokenize_side(items, tokenizer, max_length) if items else []
            features.scalars["example_index"] += [k] * len(items)
            features.scalars["side"] += [side] * len(items)
            features.scalars["index"] += list(range(len(items)))
    return features


def side_rows(features: Features, side: int, example_index: int = 0) -> list[int]:
    """The feature rows of one side of an example, in item order."""
    scalars = features.scalars
    rows = {
        scalars["index"][row]: row
        for row in range(len(features))
        if scalars["side"][row] == side and scalars["example_index"][row] == example_index
    }
    return [rows[index] for index in range(len(rows))]


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

    def featurize(
        self, examples: Sequence[Any], tokenizer: Any, labels: Sequence[str], settings: Any, training: bool
    ) -> Features:
        return featurize_retrieval(examples, tokenizer, settings.max_length)


RETRIEVAL = register_kind(Retrieval())
