"""Scoring one evaluation set: forward pass, the kind's decoding, the task's metric."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

from xstilts.data.examples import Example
from xstilts.data.features import Features
from xstilts.evaluation.predict import forward_all
from xstilts.metrics import metric_for
from xstilts.tasks.base import Task


def score_set(
    model: Any,
    head: str,
    task: Task,
    labels: Sequence[str],
    examples: Sequence[Example],
    features: Features,
    data: dict[str, Any],
    language: str,
    pad_id: int,
    device: torch.device,
    desc: str = "",
) -> tuple[dict[str, float], dict[str, Any]]:
    """Returns (metrics in percent, predictions by example guid) for one language's set.

    Decoders see the data settings plus the task's decoding facts (whether a span answer may be empty); metrics
    that normalise per language (MLQA's) are told ``language``.
    """
    logits = forward_all(model, head, features, pad_id, data["eval_batch_size"], device, desc)
    decoding = {**data, "null_score_threshold": task.null_score_threshold}
    predictions = task.kind.decode(examples, features, logits, labels, decoding)
    return metric_for(task.metric, language)(examples, predictions), predictions
