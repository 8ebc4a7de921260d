"""Scoring one evaluation set: what a language's scorer is given (:class:`LanguageData`, any split's examples and
features through the feature cache) and returns (:class:`Outcome`); the scorer of the kinds with a trained head
(forward pass, the kind's decoding, the task's metric)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import torch

from xstilts.data.examples import Example
from xstilts.data.features import FeatureCache, Features
from xstilts.data.sources import DataSource, Split
from xstilts.evaluation.predict import forward_all
from xstilts.metrics import metric_for
from xstilts.tasks.base import Task
from xstilts.tasks.loading import load_examples, load_features


@dataclass(frozen=True)
class LanguageData:
    """One language's evaluation data: the examples of a split, and their features made by the task's kind and
    kept in the feature cache. A scorer may ask for a split other than the evaluated one (BUCC picks its
    threshold on ``dev``) and gets it the same way."""

    task: Task
    language: str
    source: DataSource
    labels: Sequence[str]
    tokenizer: Any
    data: dict[str, Any]
    cache: FeatureCache

    def examples(self, split: Split) -> list[Example]:
        return load_examples(self.task, split, self.language, self.source, self.data["max_eval_examples"])

    def features(self, split: Split, examples: list[Example]) -> Features:
        return load_features(
            self.task,
            split,
            self.language,
            self.source,
            examples,
            list(self.labels),
            self.tokenizer,
            self.data,
            False,
            self.cache,
        )


@dataclass(frozen=True)
class Outcome:
    """One language's result: metrics in percent, the prediction file (its extension and text) and ``details``,
    what is recorded with the scores and added to every metric row (retrieval: its settings)."""

    scores: dict[str, float]
    extension: str
    predictions: str
    details: dict[str, Any] = field(default_factory=dict)


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


@dataclass(frozen=True)
class HeadScorer:
    """A language's set through the model's head for the task: its metrics and the kind's prediction file."""

    model: Any
    task: Task
    labels: Sequence[str]
    pad_id: int
    device: torch.device

    def __call__(self, sets: LanguageData, split: Split) -> Outcome:
        examples = sets.examples(split)
        features = sets.features(split, examples)
        language = sets.language
        scores, predictions = score_set(
            self.model,
            self.task.name,
            self.task,
            self.labels,
            examples,
            features,
            sets.data,
            language,
            self.pad_id,
            self.device,
            language,
        )
        kind = self.task.kind
        return Outcome(scores, kind.prediction_extension, kind.render(examples, predictions))
