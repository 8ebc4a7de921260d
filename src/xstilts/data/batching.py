"""Batches: dynamic padding, length-grouped training order, length-sorted evaluation order.

Length grouping sorts within shuffled mega-batches (50 batches) and then shuffles the batches, so batches are
tight but their order stays random; the order is a pure function of (seed, epoch), which is what lets an
interrupted run resume on exactly the batch it stopped at.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from xstilts.data.features import Features
from xstilts.data.samplers import PROPORTIONAL, MicroBatch, Sampling, cycled, epoch_length

MEGABATCH = 50
# Per-row scalars that are bookkeeping, not training targets.
NOT_TARGETS = frozenset({"example_index", "window_start"})
# Per-token targets: sequences padded with their value (ignored by the loss) and added to training batches.
PADDED_TARGETS = {"mlm_labels": -100, "tag_ids": -100}


def training_batches(
    lengths: np.ndarray, batch_size: int, rng: np.random.Generator, group_by_length: bool
) -> list[list[int]]:
    order = rng.permutation(len(lengths))
    if group_by_length:
        chunk = batch_size * MEGABATCH
        order = (
            np.concatenate(
                [
                    part[np.argsort(-lengths[part], kind="stable")]
                    for part in (order[i : i + chunk] for i in range(0, len(order), chunk))
                ]
            )
            if len(order)
            else order
        )
    batches = [order[i : i + batch_size].tolist() for i in range(0, len(order), batch_size)]
    if group_by_length:
        batches = [batches[i] for i in rng.permutation(len(batches))]
    return batches


def evaluation_batches(lengths: np.ndarray, batch_size: int) -> list[list[int]]:
    order = np.argsort(-lengths, kind="stable")
    return [order[i : i + batch_size].tolist() for i in range(0, len(order), batch_size)]


def _pieces(features: Features, i: int) -> list[tuple[int, int]]:
    """Where the encoder inputs of feature row ``i`` lie in it: the whole row, or one slice per choice."""
    if "choice_lengths" not in features.sequences:
        return [(0, len(features.sequences["input_ids"][i]))]
    return list(itertools.pairwise([0, *itertools.accumulate(features.sequences["choice_lengths"][i])]))


def collate(features: Features, indices: Sequence[int], pad_id: int, with_targets: bool) -> dict[str, torch.Tensor]:
    """Pads token sequences to the longest in the batch; adds the kind's targets when training.

    A multiple-choice row holds its N (context, choice) encodings back to back (``choice_lengths``); they become
    N consecutive batch rows, so the encoder sees (examples x N, width) and the head regroups the N scores.
    """
    pieces = [(i, a, b) for i in indices for a, b in _pieces(features, i)]
    width = max(b - a for _, a, b in pieces)
    input_ids = torch.full((len(pieces), width), pad_id, dtype=torch.long)
    attention_mask = torch.zeros((len(pieces), width), dtype=torch.long)
    batch = {"input_ids": input_ids, "attention_mask": attention_mask}
    if "token_type_ids" in features.sequences:
        batch["token_type_ids"] = torch.zeros((len(pieces), width), dtype=torch.long)
    for row, (i, a, b) in enumerate(pieces):
        input_ids[row, : b - a] = torch.tensor(features.sequences["input_ids"][i][a:b])
        attention_mask[row, : b - a] = 1
        if "token_type_ids" in batch:
            batch["token_type_ids"][row, : b - a] = torch.tensor(features.sequences["token_type_ids"][i][a:b])
    if with_targets:
        for name, values in features.scalars.items():
            if name not in NOT_TARGETS:
                batch[name] = torch.tensor([values[i] for i in indices], dtype=torch.long)
        for name, pad in PADDED_TARGETS.items():
            if name in features.sequences:
                target = torch.full((len(indices), width), pad, dtype=torch.long)
                for row, i in enumerate(indices):
                    values = features.sequences[name][i]
                    target[row, : len(values)] = torch.tensor(values)
                batch[name] = target
    return batch


@dataclass
class TaskStream:
    """The training features of one head."""

    head: str
    features: Features


def epoch_schedule(
    streams: list[TaskStream],
    batch_size: int,
    seed: int,
    epoch: int,
    group_by_length: bool,
    sampling: Sampling = PROPORTIONAL,
) -> list[MicroBatch]:
    """One epoch's micro-batches, a pure function of (seed, epoch); see ``data.samplers`` for the samplers, the
    epoch length and per-task vs mixed batching. The default is every batch of every task once, in random order."""
    rng = np.random.default_rng([seed, epoch])
    if sampling.batching == "mixed":
        return _mixed_schedule(streams, batch_size, rng, sampling)
    if sampling.sampler == "proportional":
        schedule = [
            (stream.head, batch)
            for stream in streams
            for batch in training_batches(stream.features.lengths(), batch_size, rng, group_by_length)
        ]
        return [[schedule[i]] for i in rng.permutation(len(schedule))]
    draws = _draw_tasks(streams, batch_size, rng, sampling, rows_per_draw=1)[:, 0]
    batches = {}
    for k, stream in enumerate(streams):
        again = functools.partial(training_batches, stream.features.lengths(), batch_size, rng, group_by_length)
        batches[k] = iter(cycled(int((draws == k).sum()), again))
    return [[(streams[k].head, next(batches[k]))] for k in draws.tolist()]


def _draw_tasks(
    streams: list[TaskStream], batch_size: int, rng: np.random.Generator, sampling: Sampling, rows_per_draw: int
) -> np.ndarray:
    """(epoch length, rows_per_draw) task indices drawn independently with the sampler's probabilities."""
    probabilities = sampling.probabilities({s.head: len(s.features) for s in streams})
    size = (epoch_length([len(s.features) for s in streams], batch_size), rows_per_draw)
    return rng.choice(len(streams), size=size, p=[probabilities[s.head] for s in streams])


def _shuffled(rng: np.random.Generator, count: int) -> list[int]:
    return rng.permutation(count).tolist()


def _mixed_schedule(
    streams: list[TaskStream], batch_size: int, rng: np.random.Generator, sampling: Sampling
) -> list[MicroBatch]:
    draws = _draw_tasks(streams, batch_size, rng, sampling, rows_per_draw=batch_size)
    rows = {}
    for k, stream in enumerate(streams):
        again = functools.partial(_shuffled, rng, len(stream.features))
        rows[k] = iter(cycled(int((draws == k).sum()), again))
    schedule = []
    for drawn in draws:
        counts = np.bincount(drawn, minlength=len(streams))
        schedule.append(
            [(streams[k].head, [next(rows[k]) for _ in range(int(c))]) for k, c in enumerate(counts.tolist()) if c]
        )
    return schedule
