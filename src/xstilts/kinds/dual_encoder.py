"""Contrastive dual-encoder training (code search, LAReQA's and Mewsli-X's XTREME-R recipe): queries and
candidates encoded by the one shared encoder, each pooled from one layer as the retrieval settings say
(``retrieval_layer``, ``retrieval_pooling``), trained with InfoNCE over in-batch negatives at a temperature
(``contrastive_temperature``), plus any hard negatives the task's pairs carry (``models.contrastive``).

Training examples are :class:`ContrastivePair` s: a feature row holds the query's tokens, the positive's and each
hard negative's back to back (a ``pieces`` column gives their lengths), so ``collate`` makes them consecutive
encoder rows and the head regroups them. Every pair of a task carries the same number of hard negatives. Dev and
test examples are retrieval sets (:class:`~xstilts.data.examples.RetrievalExample`), featurized as the retrieval
kind does (one row per query and per candidate); decoding ranks each set's pool by cosine similarity, so model
selection uses the task's English dev retrieval metric, and the trained encoder serves the retrieval evaluation of
any target (``evaluation.retrieval``).

``retrieval_layer`` unset reads the last layer (a trained dual encoder is trained on its output, unlike the
untrained intermediate layers XTREME reads for zero-shot retrieval).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from torch import nn

from xstilts.data.examples import ContrastivePair, RetrievalExample, RetrievalItem
from xstilts.data.features import PAD_TOKEN, Column, Features
from xstilts.kinds.base import Kind, KindSettings, register_kind
from xstilts.kinds.retrieval import CANDIDATES, QUERIES, featurize_retrieval, side_rows, tokenize_side
from xstilts.models.contrastive import LOCAL_ROWS, check_embedding_options, info_nce
from xstilts.models.heads import ENCODER_INPUTS, Head
from xstilts.models.pooling import pool

RANKED = 20  # candidates kept per query in the prediction file (LAReQA's and Mewsli-X's top 20)
_SIMILARITY_CHUNK = 2048  # queries per similarity block


def item_key(item: RetrievalItem) -> int:
    """A 62-bit key of an item's text (and context): equal items in one batch are one item, not a negative."""
    digest = hashlib.blake2b(f"{item.text}\x00{item.context or ''}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") >> 2


class DualEncoderSettings(KindSettings):
    """Tokens per text: ``max_length`` for every query and candidate (a candidate with a context is the pair)."""


def featurize_pairs(pairs: Sequence[ContrastivePair], tokenizer: Any, max_length: int) -> Features:
    negatives = {len(p.negatives) for p in pairs}
    if len(negatives) > 1:
        raise ValueError(f"training pairs carry different numbers of hard negatives ({sorted(negatives)})")
    k = negatives.pop() if negatives else 0
    sides = [
        tokenize_side([p.query for p in pairs], tokenizer, max_length),
        tokenize_side([p.positive for p in pairs], tokenizer, max_length),
        *(tokenize_side([p.negatives[j] for p in pairs], tokenizer, max_length) for j in range(k)),
    ]
    features = Features(
        sequences={"input_ids": [], "text_lengths": []},
        scalars={"positive_key": [item_key(p.positive) for p in pairs], "example_index": list(range(len(pairs)))},
        columns={
            "input_ids": Column("input", PAD_TOKEN),
            "text_lengths": Column("pieces"),
            "positive_key": Column("target"),
        },
    )
    for row in range(len(pairs)):
        parts = [side[row] for side in sides]
        features.sequences["input_ids"].append([token for part in parts for token in part])
        features.sequences["text_lengths"].append([len(part) for part in parts])
    return features


class DualEncoderHead(Head):
    """No parameters: each encoder row's pooled hidden states of one layer (with gradient, unlike the retrieval
    kind's evaluation-only head); the loss regroups a training batch's rows as (query, positive, negatives...)."""

    def __init__(
        self,
        hidden_size: int,
        num_labels: int,
        dropout: float,
        layer: int | None = None,
        pooling: str = "mean",
        temperature: float = 0.05,
    ) -> None:
        super().__init__(hidden_size, num_labels, dropout)
        check_embedding_options(pooling, temperature)
        self.layer, self.pooling, self.temperature = layer, pooling, temperature
        self.depth: int | None = None

    @staticmethod
    def options(data: dict[str, Any]) -> dict[str, Any]:
        return {
            "layer": data["retrieval_layer"],
            "pooling": data["retrieval_pooling"],
            "temperature": data["contrastive_temperature"],
        }

    def bind(self, encoder: nn.Module) -> None:
        self.depth = int(encoder.config.num_hidden_layers)  # type: ignore[union-attr]
        if self.layer is not None and not 0 <= self.layer <= self.depth:
            raise ValueError(f"retrieval_layer {self.layer} is outside this encoder's layers 0..{self.depth}")

    def forward(self, encoder: nn.Module, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        inputs = {k: batch[k] for k in ENCODER_INPUTS if k in batch}
        if self.layer is None or self.layer == self.depth:
            hidden = encoder(**inputs).last_hidden_state
        else:
            hidden = encoder(**inputs, output_hidden_states=True).hidden_states[self.layer]
        return pool(hidden, batch["attention_mask"], self.pooling)  # type: ignore[arg-type]

    def loss(self, outputs: torch.Tensor, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        keys = batch["positive_key"]
        rows = keys.shape[0]
        group = outputs.shape[0] // rows
        grouped = outputs.view(rows, group, -1)
        negatives = grouped[:, 2:].reshape(-1, outputs.shape[-1])
        valid = int(batch[LOCAL_ROWS]) if LOCAL_ROWS in batch else rows
        return info_nce(grouped[:, 0], grouped[:, 1], negatives, keys, self.temperature, valid)


def _normalised(vectors: np.ndarray) -> np.ndarray:
    return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)


def rank_set(example: RetrievalExample, queries: np.ndarray, candidates: np.ndarray) -> dict[str, dict[str, Any]]:
    """For each query id: the top :data:`RANKED` candidate ids by cosine similarity (ties: lower pool index
    first, a stable sort) and ``gold_rank``, the 1-based rank of its best-ranked gold item in the whole pool under
    the same order (what full-pool MRR needs, where the official scorers rank every candidate)."""
    q, c = _normalised(queries.astype(np.float32)), _normalised(candidates.astype(np.float32))
    position = {item.id: i for i, item in enumerate(example.candidates)}
    golds: dict[str, list[int]] = {}
    for query_id, candidate_id in example.gold:
        golds.setdefault(query_id, []).append(position[candidate_id])
    ranked: dict[str, dict[str, Any]] = {}
    for start in range(0, len(q), _SIMILARITY_CHUNK):
        similarity = q[start : start + _SIMILARITY_CHUNK] @ c.T
        order = np.argsort(-similarity, axis=1, kind="stable")[:, :RANKED]
        for row, query in enumerate(example.queries[start : start + _SIMILARITY_CHUNK]):
            scores = similarity[row]
            best = None
            for g in golds.get(query.id, []):
                # the stable order puts before g every higher score and every equal score at a lower index
                rank = 1 + int((scores > scores[g]).sum()) + int((scores[:g] == scores[g]).sum())
                best = rank if best is None else min(best, rank)
            ranked[query.id] = {
                "ranking": [example.candidates[int(i)].id for i in order[row]],
                "gold_rank": best,
            }
    return ranked


class DualEncoder(Kind):
    name = "dual_encoder"
    example_type = ContrastivePair
    settings_type = DualEncoderSettings
    head_type = DualEncoderHead
    prediction_extension = "json"
    own_data_fields = ("retrieval_layer", "retrieval_pooling", "contrastive_temperature")

    def featurize(
        self, examples: Sequence[Any], tokenizer: Any, labels: Sequence[str], settings: Any, training: bool
    ) -> Features:
        if examples and isinstance(examples[0], RetrievalExample):
            return featurize_retrieval(examples, tokenizer, settings.max_length)
        return featurize_pairs(examples, tokenizer, settings.max_length)

    def decode(
        self,
        examples: Sequence[Any],
        features: Features,
        outputs: list[np.ndarray],
        labels: Sequence[str],
        data: dict[str, Any],
    ) -> dict[str, Any]:
        """Per retrieval set (by guid), per query id: its ranking and its gold rank (:func:`rank_set`)."""
        predictions: dict[str, Any] = {}
        hidden = outputs[0].shape[-1] if outputs else 0
        for k, example in enumerate(examples):
            if not isinstance(example, RetrievalExample):
                raise TypeError(f"{example!r}: dual-encoder evaluation sets are retrieval sets")

            def side(which: int, example_index: int = k) -> np.ndarray:
                rows = side_rows(features, which, example_index)
                return np.stack([outputs[r] for r in rows]) if rows else np.zeros((0, hidden), np.float32)

            predictions[example.guid] = rank_set(example, side(QUERIES), side(CANDIDATES))
        return predictions

    def render(self, examples: Sequence[Any], predictions: dict[str, Any]) -> str:
        import json

        rankings = {
            query_id: ranked["ranking"]
            for example in examples
            for query_id, ranked in predictions[example.guid].items()
        }
        return json.dumps(rankings, ensure_ascii=False, indent=1) + "\n"


DUAL_ENCODER = register_kind(DualEncoder())
