"""Multi-task samplers: each gives the configured task proportions (chi-square at a fixed seed, which the wrong
sampler fails), the epoch length is the proportional one, schedules are pure functions of (seed, epoch), and
mixed batches hold rows of several tasks."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import chisquare

from xstilts.data.batching import TaskStream, epoch_schedule
from xstilts.data.features import Features
from xstilts.data.samplers import Sampling, epoch_length

SIZES = {"big": 6400, "mid": 1600, "small": 100}
BATCH = 4


def _streams(sizes: dict[str, int] = SIZES) -> list[TaskStream]:
    rng = np.random.default_rng(0)
    return [
        TaskStream(name, Features(sequences={"input_ids": [[0] * int(k) for k in rng.integers(3, 20, n)]}))
        for name, n in sizes.items()
    ]


def _expected(weights: dict[str, float]) -> dict[str, float]:
    total = sum(weights.values())
    return {name: w / total for name, w in weights.items()}


SAMPLERS = {
    "proportional": (Sampling(), _expected({k: float(n) for k, n in SIZES.items()})),
    "uniform": (Sampling(sampler="uniform"), _expected(dict.fromkeys(SIZES, 1.0))),
    "temperature": (
        Sampling(sampler="temperature", temperature=2.0),
        _expected({k: math.sqrt(n) for k, n in SIZES.items()}),
    ),
    "capped": (Sampling(sampler="capped", cap=1000), _expected({k: float(min(n, 1000)) for k, n in SIZES.items()})),
    "weights": (
        Sampling(sampler="weights", weights={"big": 1.0, "mid": 2.0, "small": 5.0}),
        _expected({"big": 1.0, "mid": 2.0, "small": 5.0}),
    ),
}


def _task_counts(schedule: list, rows: bool) -> dict[str, int]:
    counts = dict.fromkeys(SIZES, 0)
    for micro in schedule:
        for head, indices in micro:
            counts[head] += len(indices) if rows else 1
    return counts


@pytest.mark.parametrize("name", list(SAMPLERS))
@pytest.mark.parametrize("batching", ["per_task", "mixed"])
def test_each_sampler_gives_its_proportions_and_no_other(name: str, batching: str) -> None:
    sampling, expected = SAMPLERS[name]
    sampling = Sampling(**{**sampling.__dict__, "batching": batching})
    schedule = epoch_schedule(_streams(), BATCH, seed=3, epoch=0, group_by_length=True, sampling=sampling)
    assert len(schedule) == epoch_length(list(SIZES.values()), BATCH) == 1600 + 400 + 25
    counts = _task_counts(schedule, rows=batching == "mixed")
    total = sum(counts.values())
    observed = [counts[k] for k in SIZES]
    if name == "proportional" and batching == "per_task":  # without replacement: exactly every batch once
        assert counts == {k: math.ceil(n / BATCH) for k, n in SIZES.items()}
        return
    assert chisquare(observed, [expected[k] * total for k in SIZES]).pvalue > 1e-3
    for other, (_, wrong) in SAMPLERS.items():  # every other sampler's proportions are rejected
        if wrong != expected:
            assert chisquare(observed, [wrong[k] * total for k in SIZES]).pvalue < 1e-6, other


def test_per_task_batches_hold_one_task_and_mixed_batches_several() -> None:
    streams = _streams()
    per_task = epoch_schedule(streams, 16, 1, 0, True, Sampling(sampler="uniform"))
    assert all(len(micro) == 1 and len(micro[0][1]) <= 16 for micro in per_task)
    mixed = epoch_schedule(streams, 16, 1, 0, True, Sampling(sampler="uniform", batching="mixed"))
    assert all(sum(len(rows) for _, rows in micro) == 16 for micro in mixed)
    assert sum(len(micro) > 1 for micro in mixed) > 0.9 * len(mixed)
    sizes = {s.head: len(s.features) for s in streams}
    assert all(0 <= i < sizes[head] for micro in mixed for head, rows in micro for i in rows)


def test_a_small_task_cycles_through_its_data_before_repeating() -> None:
    schedule = epoch_schedule(_streams(), BATCH, 5, 0, False, Sampling(sampler="uniform", batching="mixed"))
    small = [i for micro in schedule for head, rows in micro if head == "small" for i in rows]
    assert len(small) > 3 * SIZES["small"]
    for start in range(0, 3 * SIZES["small"], SIZES["small"]):  # each pass is a permutation of the data
        assert sorted(small[start : start + SIZES["small"]]) == list(range(SIZES["small"]))


@pytest.mark.parametrize("sampling", [Sampling(), Sampling(sampler="temperature"), Sampling(batching="mixed")])
def test_schedules_are_pure_functions_of_seed_and_epoch(sampling: Sampling) -> None:
    streams = _streams()
    first = epoch_schedule(streams, BATCH, 7, 1, True, sampling)
    assert first == epoch_schedule(streams, BATCH, 7, 1, True, sampling)
    assert first != epoch_schedule(streams, BATCH, 7, 2, True, sampling)
    assert first != epoch_schedule(streams, BATCH, 8, 1, True, sampling)


def test_bad_sampler_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown sampler"):
        Sampling(sampler="zipf")
    with pytest.raises(ValueError, match="needs a cap"):
        Sampling(sampler="capped").probabilities(SIZES)
    with pytest.raises(ValueError, match="no weight for task 'small'"):
        Sampling(sampler="weights", weights={"big": 1.0, "mid": 1.0}).probabilities(SIZES)
