"""The token tagging head: a linear layer over every token, as XTREME's ``run_tag`` (BERT-style token
classification: dropout, then one projection); only first subwords carry targets, the rest are ``-100``."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn
from torch.nn import functional as F

IGNORE_INDEX = -100


class TaggingHead(nn.Module):
    def __init__(self, hidden_size: int, num_labels: int, dropout: float) -> None:
        super().__init__()
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(hidden_size, num_labels)

    @staticmethod
    def options(data: dict[str, Any]) -> dict[str, Any]:
        return {}

    def forward(self, hidden: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.dropout(hidden))

    def loss(self, logits: torch.Tensor, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        targets = batch["tag_ids"]
        if not bool((targets != IGNORE_INDEX).any()):
            # Cross-entropy averages over no targets as NaN; a batch without a tagged word must not poison training.
            return logits.sum() * 0.0
        return F.cross_entropy(logits.float().flatten(0, 1), targets.flatten(), ignore_index=IGNORE_INDEX)
