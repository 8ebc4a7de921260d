"""The multiple-choice head: one score per (context, choice) pair, softmax over an example's N choices."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn
from torch.nn import functional as F


class MultipleChoiceHead(nn.Module):
    """Scores each pair from its first token as Hugging Face's ``*ForMultipleChoice`` models (which XTREME-R's
    XCOPA baseline uses): dense + tanh (their pooler), dropout, a linear layer to one score.

    ``collate`` puts an example's N pairs in N consecutive batch rows, so the scores regroup to (examples, N);
    ``num_labels`` is N, the task's number of choice positions.
    """

    def __init__(self, hidden_size: int, num_labels: int, dropout: float) -> None:
        super().__init__()
        self.num_choices = num_labels
        self.dense = nn.Linear(hidden_size, hidden_size)
        self.dropout = nn.Dropout(dropout)
        self.score = nn.Linear(hidden_size, 1)

    @staticmethod
    def options(data: dict[str, Any]) -> dict[str, Any]:
        return {}

    def forward(self, hidden: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        pooled = torch.tanh(self.dense(hidden[:, 0]))
        return self.score(self.dropout(pooled)).view(-1, self.num_choices)

    def loss(self, logits: torch.Tensor, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        return F.cross_entropy(logits.float(), batch["label"])
