"""The forward passes behind ``xstilts rank``: pooled encoder features of a small seeded sample of a task's data.

Transferability estimates (``metrics.transferability``) need three things that only an encoder gives: a dataset
embedding of each task's training text (for similarity), the target's English training sample as seen by each
intermediate encoder (for LogME and the k-NN probe), and the token types of each text (for subword overlap, no
forward pass). The examples come from the task's reader and go through the task's kind's own featurizer, as in
training; a random sample of a few hundred examples is tokenized directly, because the feature cache's key counts
examples but does not say which ones (it serves ``max_train_examples``' first-N sets) and tokenizing a sample takes
milliseconds. Every forward pass is counted and timed in :class:`ForwardCost`, so the cost can be stated.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import torch

from xstilts.data.batching import collate, evaluation_batches
from xstilts.data.examples import Example
from xstilts.data.features import Features
from xstilts.data.sources import DataSource, Split
from xstilts.models.encoder import load_encoder
from xstilts.tasks.registry import get_task

Pooling = Literal["first", "mean"]


@dataclass
class ForwardCost:
    """Forward passes made: encoder rows (sequences), batches, encoders loaded, and the seconds they took."""

    sequences: int = 0
    batches: int = 0
    encoders: int = 0
    seconds: float = 0.0
    load_seconds: float = 0.0

    def as_dict(self) -> dict[str, float | int]:
        return {
            "sequences": self.sequences,
            "batches": self.batches,
            "encoders": self.encoders,
            "forward_seconds": round(self.seconds, 3),
            "load_seconds": round(self.load_seconds, 3),
        }


@dataclass(frozen=True)
class Sample:
    """A seeded sample of one (task, split, language): the examples, and how many the split holds."""

    task: str
    language: str
    examples: list[Example]
    total: int


def sample_examples(
    task: str, split: Split, language: str, source: DataSource, size: int, seed: int, limit: int | None = None
) -> Sample:
    """``size`` examples drawn without replacement with ``default_rng(seed)`` (all when there are fewer), in random
    order; ``limit`` first cuts the split to its first N examples, as ``max_train_examples`` does for
    training."""
    examples = get_task(task).read(split, language, source)
    if limit:
        examples = examples[:limit]
    chosen = np.random.default_rng(seed).permutation(len(examples))[:size]
    return Sample(task, language, [examples[i] for i in chosen.tolist()], len(examples))


def featurize_sample(
    task: str, examples: Sequence[Example], tokenizer: Any, labels: Sequence[str], data: dict[str, Any], training: bool
) -> Features:
    """The sample through the task's kind's featurizer, with the task's data settings (lengths)."""
    kind = get_task(task).kind
    return kind.featurize(list(examples), tokenizer, labels, kind.settings(data), training)


def token_types(features: Features, special_ids: Sequence[int]) -> set[int]:
    """The distinct token ids of the features' inputs, special tokens left out."""
    special = set(special_ids)
    return {t for row in features.sequences.get("input_ids", []) for t in row if t not in special}


def _piece_count(features: Features, index: int) -> int:
    """How many encoder rows ``collate`` makes of a feature: one, or one per piece (multiple choice)."""
    for name, rows in features.sequences.items():
        if features.column(name).role == "pieces":
            return len(rows[index])
    return 1


def device_for() -> torch.device:
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


@dataclass
class FeatureEncoder:
    """An encoder in evaluation mode that turns features into one pooled vector per encoder row (a
    multiple-choice feature is several rows, one per choice)."""

    encoder: Any
    tokenizer: Any
    device: torch.device
    batch_size: int
    cost: ForwardCost

    @classmethod
    def load(
        cls,
        name_or_path: str,
        revision: str | None,
        trust_remote_code: bool,
        batch_size: int,
        device: torch.device,
        cost: ForwardCost,
    ) -> FeatureEncoder:
        start = time.perf_counter()
        encoder, tokenizer = load_encoder(name_or_path, revision, trust_remote_code=trust_remote_code)
        encoder.to(device).eval()
        cost.encoders += 1
        cost.load_seconds += time.perf_counter() - start
        return cls(encoder, tokenizer, device, batch_size, cost)

    @torch.no_grad()
    def pooled(self, features: Features, pooling: Pooling, limit: int | None = None) -> np.ndarray:
        """(rows, hidden) float64: the last layer's first token or mean over the unpadded tokens (special tokens
        included), rows in feature order; only the first ``limit`` features when given (a sample's examples are in
        random order, so these are a random subset; QA makes several windows per example). Batches are sorted by
        length; full precision."""
        start = time.perf_counter()
        pieces: dict[int, list[np.ndarray]] = {}
        count = len(features) if limit is None else min(limit, len(features))
        for indices in evaluation_batches(features.lengths()[:count], self.batch_size):
            inputs = collate(features, indices, self.tokenizer.pad_token_id, with_targets=False)
            batch = {k: v.to(self.device) for k, v in inputs.items()}
            hidden = self.encoder(**batch).last_hidden_state
            if pooling == "mean":
                mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
                vectors = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1.0)
            else:
                vectors = hidden[:, 0]
            rows = vectors.double().cpu().numpy()
            # collate turns a feature of several pieces into consecutive rows; give them back to their feature
            offset = 0
            for index in indices:
                width = _piece_count(features, index)
                pieces[index] = list(rows[offset : offset + width])
                offset += width
            self.cost.sequences += len(rows)
            self.cost.batches += 1
        self.cost.seconds += time.perf_counter() - start
        ordered = [row for index in range(count) for row in pieces.get(index, [])]
        if not ordered:
            return np.zeros((0, int(self.encoder.config.hidden_size)))
        return np.stack(ordered)

    def release(self) -> None:
        """Frees the encoder's memory before the next one is loaded."""
        self.encoder = None
        if self.device.type == "cuda":
            torch.cuda.empty_cache()
