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
from typing import Annotated, Any, Literal, TypeVar, get_args

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    ValidatorFunctionWrapHandler,
    field_validator,
)
from pydantic_core import PydanticCustomError

T = TypeVar("T")

Sampler = Literal["proportional", "uniform", "temperature", "capped", "weights"]
Batching = Literal["per_task", "mixed"]
SAMPLERS: tuple[str, ...] = get_args(Sampler)
BATCHING: tuple[str, ...] = get_args(Batching)

# One part of a micro-batch: (head, row indices into that head's features).
Part = tuple[str, list[int]]
# A micro-batch: one part (per-task batching) or one part per task drawn into it (mixed batching).
MicroBatch = list[Part]


class Sampling(BaseModel):
    """A sampler and its settings (see the module docstring): the experiment's ``multitask`` section, what a mix's
    phase config records of it (``for_mix``), and what the batching code draws with."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    sampler: Sampler = "proportional"
    temperature: float = Field(default=2.0, gt=0, description="sampler 'temperature': p ∝ n^(1/T)")
    cap: int | None = Field(default=None, ge=1, description="sampler 'capped': p ∝ min(n, cap)")
    weights: dict[str, Annotated[float, Field(gt=0)]] = Field(
        default_factory=dict, description="sampler 'weights': p ∝ weight, by member name (mnli, xnli@de)"
    )
    batching: Batching = "per_task"

    @field_validator("sampler", "batching", mode="wrap")
    @classmethod
    def _known(cls, value: Any, handler: ValidatorFunctionWrapHandler, info: ValidationInfo) -> Any:
        """The choices pydantic lists, and which setting the unknown value was given for."""
        try:
            return handler(value)
        except ValidationError as err:
            raise PydanticCustomError(
                "literal_error",
                "{choices} (unknown {setting} {value})",
                {"choices": err.errors()[0]["msg"], "setting": info.field_name, "value": repr(value)},
            ) from None

    def probabilities(self, sizes: Mapping[str, int]) -> dict[str, float]:
        """Each task's probability, from its number of training features."""
        raw = {name: _RAW[self.sampler](self, name, n) for name, n in sizes.items()}
        if any(value < 0 for value in raw.values()) or not sum(raw.values()) > 0:
            raise ValueError(f"sampler {self.sampler!r} gives no positive weight to any of {sorted(sizes)}")
        total = sum(raw.values())
        return {name: value / total for name, value in raw.items()}

    def for_mix(self, members: list[str]) -> dict[str, Any]:
        """What a mix's phase config (and so its id) records: the settings its sampler uses, and only its own
        members' weights, so tuning another sampler's knob or adding another mix does not retrain this one."""
        used: dict[str, Any] = {"sampler": self.sampler, "batching": self.batching}
        if self.sampler == "temperature":
            used["temperature"] = self.temperature
        elif self.sampler == "capped":
            used["cap"] = self.cap
        elif self.sampler == "weights":
            used["weights"] = {name: self.weights[name] for name in members if name in self.weights}
        return used

    def describe(self) -> str:
        """The sampler as one readable value for grouping results (``temperature T=2``)."""
        detail = {"temperature": f" T={self.temperature:g}", "capped": f" cap={self.cap}"}.get(self.sampler, "")
        return self.sampler + detail + ("" if self.batching == "per_task" else ", mixed batches")


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
