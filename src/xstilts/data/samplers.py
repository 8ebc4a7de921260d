"""Multi-task sampling: how the batches of one epoch of a mixed intermediate phase are shared among its tasks.

Samplers give each task ``t`` (with ``n_t`` training features) a probability:

- ``proportional`` (default, as jiant): p ∝ n_t. Every batch of every task is used exactly once per epoch, in a
  random order, which is proportional sampling without replacement;
- ``uniform``: p = 1 / number of tasks;
- ``temperature``: p ∝ n_t^(1/T) (T = 1 is proportional, large T approaches uniform; XLM-R / mT5 use it for
  languages);
- ``capped``: p ∝ min(n_t, cap) (T5's examples-proportional mixing with a limit);
- ``weights``: p ∝ the user's weight for the task.

**Epoch length.** Whatever the sampler, an epoch is ``sum_t ceil(n_t / batch_size)`` micro-batches: the number
proportional sampling gives. Runs that differ only in their sampler therefore take the same number of optimizer
steps (and the same learning-rate schedule); the sampler decides which tasks' examples fill those batches. A task
whose share needs more batches than its data gives cycles through its data again (a fresh shuffle each time).

**Batching.** ``per_task``: every micro-batch holds one task (its share of micro-batches follows p).
``mixed``: every micro-batch holds ``batch_size`` rows whose tasks are drawn independently with p; the rows of
each task form one part of the micro-batch (one forward pass per part, losses weighted by their rows). Length
grouping applies to ``per_task`` batches only.

Every draw comes from one generator seeded by (seed, epoch), so the schedule is a pure function of them, which is
what lets an interrupted run resume on exactly the batch it stopped at.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

T = TypeVar("T")

SAMPLERS = ("proportional", "uniform", "temperature", "capped", "weights")
BATCHING = ("per_task", "mixed")

# One part of a micro-batch: (head, row indices into that head's features).
Part = tuple[str, list[int]]
# A micro-batch: one part (per-task batching) or one part per task drawn into it (mixed batching).
MicroBatch = list[Part]


@dataclass(frozen=True)
class Sampling:
    """A sampler and its settings (see the module docstring); built from the experiment's ``multitask`` section."""

    sampler: str = "proportional"
    temperature: float = 2.0
    cap: int | None = None
    weights: Mapping[str, float] = field(default_factory=dict)
    batching: str = "per_task"

    def __post_init__(self) -> None:
        if self.sampler not in SAMPLERS:
            raise ValueError(f"unknown sampler {self.sampler!r}; valid: {', '.join(SAMPLERS)}")
        if self.batching not in BATCHING:
            raise ValueError(f"unknown batching {self.batching!r}; valid: {', '.join(BATCHING)}")

    def probabilities(self, sizes: Mapping[str, int]) -> dict[str, float]:
        """Each task's probability, from its number of training features."""
        raw = {name: _RAW[self.sampler](self, name, n) for name, n in sizes.items()}
        if any(value < 0 for value in raw.values()) or not sum(raw.values()) > 0:
            raise ValueError(f"sampler {self.sampler!r} gives no positive weight to any of {sorted(sizes)}")
        total = sum(raw.values())
        return {name: value / total for name, value in raw.items()}


def _weight(sampling: Sampling, name: str, n: int) -> float:
    if name not in sampling.weights:
        raise ValueError(f"sampler 'weights' has no weight for task {name!r}")
    return float(sampling.weights[name])


def _capped(sampling: Sampling, name: str, n: int) -> float:
    if sampling.cap is None:
        raise ValueError("sampler 'capped' needs a cap")
    return float(min(n, sampling.cap))


_RAW: dict[str, Callable[[Sampling, str, int], float]] = {
    "proportional": lambda sampling, name, n: float(n),
    "uniform": lambda sampling, name, n: 1.0,
    "temperature": lambda sampling, name, n: float(n) ** (1.0 / sampling.temperature),
    "capped": _capped,
    "weights": _weight,
}

PROPORTIONAL = Sampling()


def epoch_length(sizes: Sequence[int], batch_size: int) -> int:
    """Micro-batches per epoch, for every sampler: as many as proportional sampling gives."""
    return sum(math.ceil(n / batch_size) for n in sizes)


def cycled(count: int, make: Callable[[], list[T]]) -> list[T]:
    """The first ``count`` items of make() + make() + ...: a task's data again, freshly shuffled, when used up."""
    out: list[T] = []
    while len(out) < count:
        more = make()
        if not more:
            raise ValueError("cannot draw from a task without training data")
        out.extend(more)
    return out[:count]
