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

from xstilts.data.features import PAD_TOKEN, Column, Features
from xstilts.data.samplers import PROPORTIONAL, MicroBatch, Sampling, cycled, epoch_length

MEGABATCH = 50


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


def evaluation_batches(lengths: np.ndarray, batch_size: int, longest_first: bool = True) -> list[list[int]]:
    """Consecutive batches of the rows sorted by length (a stable sort), longest or shortest first."""
    order = np.argsort(-lengths if longest_first else lengths, kind="stable")
    return [order[i : i + batch_size].tolist() for i in range(0, len(order), batch_size)]


def _pieces(features: Features, i: int) -> list[tuple[int, int]]:
    """Where the encoder inputs of feature row ``i`` lie in it: the whole row, or one slice per piece (a
    ``pieces`` column gives their lengths: a multiple-choice row holds its N pair encodings back to back)."""
    for name, rows in features.sequences.items():
        if features.column(name).role == "pieces":
            return list(itertools.pairwise([0, *itertools.accumulate(rows[i])]))
    return [(0, len(features.sequences["input_ids"][i]))]


def _pad_value(column: Column, pad_id: int) -> int:
    return pad_id if column.pad == PAD_TOKEN else int(column.pad)


def collate(features: Features, indices: Sequence[int], pad_id: int, with_targets: bool) -> dict[str, torch.Tensor]:
    """Pads each ``input`` column to the longest piece in the batch (with its column's pad value) and adds the
    attention mask; when training, adds the ``target`` columns (scalars as they are, token sequences padded).

    A row of several pieces becomes that many consecutive batch rows, so the encoder sees (pieces, width) and the
    head regroups them. Which columns exist and how they pad is the kind's business (``Features.columns``);
    fixed-shape array columns (``Features.arrays``) are stacked, not padded.
    """
    pieces = [(i, a, b) for i in indices for a, b in _pieces(features, i)]
    width = max(b - a for _, a, b in pieces)
    batch: dict[str, torch.Tensor] = {}
    for name, rows in features.sequences.items():
        column = features.column(name)
        if column.role != "input":
            continue
        tensor = torch.full((len(pieces), width), _pad_value(column, pad_id), dtype=torch.long)
        for row, (i, a, b) in enumerate(pieces):
            tensor[row, : b - a] = torch.tensor(rows[i][a:b])
        batch[name] = tensor
    attention_mask = torch.zeros((len(pieces), width), dtype=torch.long)
    for row, (_, a, b) in enumerate(pieces):
        attention_mask[row, : b - a] = 1
    batch["attention_mask"] = attention_mask
    for name, block in features.arrays.items():
        # Fixed-shape blocks (image pixels, region features) are taken per row as they are, in their own dtype: a
        # row of several pieces keeps its arrays together ((rows, pieces, ...)) and the head regroups them.
        if features.column(name).role == "input" or (with_targets and features.column(name).role == "target"):
            batch[name] = torch.from_numpy(np.ascontiguousarray(block[list(indices)]))
    if with_targets:
        for name, values in features.scalars.items():
            if features.column(name).role == "target":
                batch[name] = torch.tensor([values[i] for i in indices], dtype=torch.long)
        for name, rows in features.sequences.items():
            column = features.column(name)
            if column.role == "target":
                target = torch.full((len(indices), width), _pad_value(column, pad_id), dtype=torch.long)
                for row, i in enumerate(indices):
                    target[row, : len(rows[i])] = torch.tensor(rows[i])
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
