"""Multiple choice (XCOPA, COPA, SIQa, HellaSwag, CommonsenseQA, Cosmos QA): the right one of N continuations.

Every choice becomes the pair (context, choice), as XTREME-R's ``run_xcopa`` and Hugging Face's multiple-choice
recipes encode them, truncated to ``max_length`` tokens per pair. One feature row stays one example, so batching,
length grouping and the cache need nothing new: the row's ``input_ids`` are its N pair encodings one after
another, and ``choice_lengths`` (a ``pieces`` column) says where each ends, so ``collate`` unpacks a row into N
consecutive rows of the batch. The prediction is the best choice's position, written as XTREME-R's
``run_xcopa`` does: one ``{"label": position}`` object per line.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from xstilts.data.examples import MultipleChoiceExample
from xstilts.data.features import Column, Features
from xstilts.kinds.base import ENCODER_COLUMNS, Kind, argmax_labels, register_kind, uses_token_types
from xstilts.models.heads import Head, last_hidden


def featurize_multiple_choice(
    examples: Sequence[MultipleChoiceExample], tokenizer: Any, labels: Sequence[str], max_length: int
) -> Features:
    """``labels`` names the choice positions ("0" .. "N-1"); every example must have exactly N choices."""
    n = len(labels)
    for example in examples:
        if len(example.choices) != n:
            raise ValueError(f"example {example.guid} has {len(example.choices)} choices; its task has {n}")
    encoded = tokenizer(
        [e.context for e in examples for _ in e.choices],
        [choice for e in examples for choice in e.choices],
        truncation=True,
        max_length=max_length,
    )
    names = ["input_ids", "token_type_ids"] if uses_token_types(tokenizer) else ["input_ids"]
    features = Features(
        sequences={name: [] for name in [*names, "choice_lengths"]},
        columns={**ENCODER_COLUMNS, "choice_lengths": Column("pieces"), "label": Column("target")},
    )
    for k in range(len(examples)):
        pairs = range(k * n, (k + 1) * n)
        for name in names:
            features.sequences[name].append([token for p in pairs for token in encoded[name][p]])
        features.sequences["choice_lengths"].append([len(encoded["input_ids"][p]) for p in pairs])
    index = {label: i for i, label in enumerate(labels)}
    features.scalars["label"] = [index[e.label] if e.label is not None else -1 for e in examples]
    features.scalars["example_index"] = list(range(len(examples)))
    return features


class MultipleChoiceHead(Head):
    """Scores each pair from its first token as Hugging Face's ``*ForMultipleChoice`` models (which XTREME-R's
    XCOPA baseline uses): dense + tanh (their pooler), dropout, a linear layer to one score.

    ``collate`` puts an example's N pairs in N consecutive batch rows, so the scores regroup to (examples, N);
    ``num_labels`` is N, the task's number of choice positions.
    """

    def __init__(self, hidden_size: int, num_labels: int, dropout: float) -> None:
        super().__init__(hidden_size, num_labels, dropout)
        self.num_choices = num_labels
        self.dense = nn.Linear(hidden_size, hidden_size)
        self.dropout = nn.Dropout(dropout)
        self.score = nn.Linear(hidden_size, 1)

    def forward(self, encoder: nn.Module, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        pooled = torch.tanh(self.dense(last_hidden(encoder, batch)[:, 0]))
        return self.score(self.dropout(pooled)).view(-1, self.num_choices)

    def loss(self, outputs: torch.Tensor, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        return F.cross_entropy(outputs.float(), batch["label"])


class MultipleChoice(Kind):
    name = "multiple_choice"
    example_type = MultipleChoiceExample
    head_type = MultipleChoiceHead
    prediction_extension = "jsonl"

    def featurize(
        self, examples: Sequence[Any], tokenizer: Any, labels: Sequence[str], settings: Any, training: bool
    ) -> Features:
        return featurize_multiple_choice(examples, tokenizer, labels, settings.max_length)

    def decode(
        self,
        examples: Sequence[Any],
        features: Features,
        outputs: list[np.ndarray],
        labels: Sequence[str],
        data: dict[str, Any],
    ) -> dict[str, Any]:
        """The highest-scoring choice's position: the argmax over an example's N scores, as for class logits."""
        return argmax_labels(examples, outputs, labels)

    def render(self, examples: Sequence[Any], predictions: dict[str, Any]) -> str:
        return "".join(json.dumps({"label": int(predictions[e.guid])}) + "\n" for e in examples)


MULTIPLE_CHOICE = register_kind(MultipleChoice())
