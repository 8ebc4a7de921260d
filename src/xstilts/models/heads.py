"""Task heads, one class per task kind; each computes its own logits and loss from the encoder output."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn
from torch.nn import functional as F

from xstilts.models.choice_head import MultipleChoiceHead
from xstilts.models.mlm_head import MaskedLMHead
from xstilts.models.tagging_head import TaggingHead


class ClassificationHead(nn.Module):
    """RoBERTa-style head: dense, tanh, projection, on the first token (``<s>`` / ``[CLS]``, as XLM-R and
    the paper) or on the mean of the non-pad tokens (what sentence encoders such as E5 are trained for)."""

    def __init__(self, hidden_size: int, num_labels: int, dropout: float, pooling: str = "first") -> None:
        super().__init__()
        if pooling not in {"first", "mean"}:
            raise ValueError(f"unknown pooling {pooling!r}")
        self.pooling = pooling
        self.dropout = nn.Dropout(dropout)
        self.dense = nn.Linear(hidden_size, hidden_size)
        self.out_proj = nn.Linear(hidden_size, num_labels)

    @staticmethod
    def options(data: dict[str, Any]) -> dict[str, Any]:
        """The constructor's keyword arguments taken from a task's data settings."""
        return {"pooling": data["classifier_pooling"]}

    def forward(self, hidden: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        if self.pooling == "mean":
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1.0)
        else:
            pooled = hidden[:, 0]
        x = self.dropout(pooled)
        x = torch.tanh(self.dense(x))
        return self.out_proj(self.dropout(x))

    def loss(self, logits: torch.Tensor, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        return F.cross_entropy(logits.float(), batch["label"])


class SpanHead(nn.Module):
    """Start and end logits per token; padding positions get a very low score."""

    def __init__(self, hidden_size: int, num_labels: int, dropout: float) -> None:
        super().__init__()
        self.qa_outputs = nn.Linear(hidden_size, 2)

    @staticmethod
    def options(data: dict[str, Any]) -> dict[str, Any]:
        return {}

    def forward(self, hidden: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        logits = self.qa_outputs(hidden).float()
        return logits.masked_fill(attention_mask.unsqueeze(-1) == 0, -1e4)

    def loss(self, logits: torch.Tensor, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        start = F.cross_entropy(logits[..., 0], batch["start_position"])
        end = F.cross_entropy(logits[..., 1], batch["end_position"])
        return (start + end) / 2


HEAD_TYPES: dict[str, type[nn.Module]] = {
    "classification": ClassificationHead,
    "span_extraction": SpanHead,
    "multiple_choice": MultipleChoiceHead,
    "masked_lm": MaskedLMHead,
    "token_tagging": TaggingHead,
}
