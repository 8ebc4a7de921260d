"""Scoring one evaluation set: forward pass, the kind's decoding, the task's metric."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import torch

from xstilts.data.examples import Example
from xstilts.data.features import Features
from xstilts.evaluation.metrics import METRICS
from xstilts.evaluation.predict import decode_classification, decode_spans, forward_all
from xstilts.tasks.base import Task, TaskKind

# kind -> decode(examples, features, logits, labels, data settings) -> predictions by example guid
Decoder = Callable[[Sequence[Any], Features, list[Any], Sequence[str], dict[str, Any]], dict[str, Any]]
DECODERS: dict[str, Decoder] = {
    TaskKind.CLASSIFICATION.value: lambda examples, features, logits, labels, data: decode_classification(
        examples, logits, labels
    ),
    TaskKind.SPAN_EXTRACTION.value: lambda examples, features, logits, labels, data: decode_spans(
        examples, features, logits, data["max_answer_length"]
    ),
}


def score_set(
    model: Any,
    head: str,
    task: Task,
    labels: Sequence[str],
    examples: Sequence[Example],
    features: Features,
    data: dict[str, Any],
    pad_id: int,
    device: torch.device,
    desc: str = "",
) -> tuple[dict[str, float], dict[str, Any]]:
    """Returns (metrics in percent, predictions by example guid)."""
    logits = forward_all(model, head, features, pad_id, data["eval_batch_size"], device, desc)
    predictions = DECODERS[task.kind.value](examples, features, logits, labels, data)
    return METRICS[task.metric](examples, predictions), predictions
