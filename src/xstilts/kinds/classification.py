"""Classification of a single sentence or a sentence pair (XNLI, PAWS-X, MNLI, QQP, ...): one label per example.

Features are the (pair) encoding truncated to ``max_length`` tokens; the head is RoBERTa's classification head;
the prediction is the argmax label, written one per line (XTREME's ``test-<lang>.tsv``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from xstilts.data.examples import ClassificationExample
from xstilts.data.features import Column, Features
from xstilts.kinds.base import ENCODER_COLUMNS, Kind, argmax_labels, register_kind, uses_token_types
from xstilts.models.heads import Head, last_hidden


def featurize_classification(
    examples: Sequence[ClassificationExample], tokenizer: Any, labels: Sequence[str], max_length: int
) -> Features:
    pairs = any(e.text_b is not None for e in examples)
    encoded = tokenizer(
        [e.text_a for e in examples],
        [e.text_b or "" for e in examples] if pairs else None,
        truncation=True,
        max_length=max_length,
    )
    index = {label: i for i, label in enumerate(labels)}
    features = Features(sequences={"input_ids": encoded["input_ids"]}, columns={**ENCODER_COLUMNS})
    if uses_token_types(tokenizer):
        features.sequences["token_type_ids"] = encoded["token_type_ids"]
    features.scalars["label"] = [index[e.label] if e.label is not None else -1 for e in examples]
    features.columns["label"] = Column("target")
    features.scalars["example_index"] = list(range(len(examples)))
    return features


class ClassificationHead(Head):
    """RoBERTa-style head: dense, tanh, projection, on the first token (``<s>`` / ``[CLS]``, as XLM-R and
    the paper) or on the mean of the non-pad tokens (what sentence encoders such as E5 are trained for)."""

    def __init__(self, hidden_size: int, num_labels: int, dropout: float, pooling: str = "first") -> None:
        super().__init__(hidden_size, num_labels, dropout)
        if pooling not in {"first", "mean"}:
            raise ValueError(f"unknown pooling {pooling!r}")
        self.pooling = pooling
        self.dropout = nn.Dropout(dropout)
        self.dense = nn.Linear(hidden_size, hidden_size)
        self.out_proj = nn.Linear(hidden_size, num_labels)

    @staticmethod
    def options(data: dict[str, Any]) -> dict[str, Any]:
        return {"pooling": data["classifier_pooling"]}

    def forward(self, encoder: nn.Module, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        hidden = last_hidden(encoder, batch)
        if self.pooling == "mean":
            mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1.0)
        else:
            pooled = hidden[:, 0]
        x = self.dropout(pooled)
        x = torch.tanh(self.dense(x))
        return self.out_proj(self.dropout(x))

    def loss(self, outputs: torch.Tensor, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        return F.cross_entropy(outputs.float(), batch["label"])


def label_lines(examples: Sequence[Any], predictions: dict[str, Any]) -> str:
    return "".join(f"{predictions[e.guid]}\n" for e in examples)


class Classification(Kind):
    name = "classification"
    example_type = ClassificationExample
    head_type = ClassificationHead

    def featurize(
        self, examples: Sequence[Any], tokenizer: Any, labels: Sequence[str], settings: Any, training: bool
    ) -> Features:
        return featurize_classification(examples, tokenizer, labels, settings.max_length)

    def decode(
        self,
        examples: Sequence[Any],
        features: Features,
        outputs: list[np.ndarray],
        labels: Sequence[str],
        data: dict[str, Any],
    ) -> dict[str, Any]:
        return argmax_labels(examples, outputs, labels)

    def render(self, examples: Sequence[Any], predictions: dict[str, Any]) -> str:
        return label_lines(examples, predictions)


CLASSIFICATION = register_kind(Classification())
