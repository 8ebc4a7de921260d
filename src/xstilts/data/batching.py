"""Batches: dynamic padding, length-grouped training order, length-sorted evaluation order.

Length grouping sorts within shuffled mega-batches (50 batches) and then shuffles the batches, so batches are
tight but their order stays random; the order is a pure function of (seed, epoch), which is what lets an
interrupted run resume on exactly the batch it stopped at.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from xstilts.data.features import Features

MEGABATCH = 50
# Per-row scalars that are bookkeeping, not training targets.
NOT_TARGETS = frozenset({"example_index"})


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


def collate(features: Features, indices: Sequence[int], pad_id: int, with_targets: bool) -> dict[str, torch.Tensor]:
    """Pads token sequences to the longest in the batch; adds the kind's targets when training."""
    width = max(len(features.sequences["input_ids"][i]) for i in indices)
    input_ids = torch.full((len(indices), width), pad_id, dtype=torch.long)
    attention_mask = torch.zeros((len(indices), width), dtype=torch.long)
    batch = {"input_ids": input_ids, "attention_mask": attention_mask}
    if "token_type_ids" in features.sequences:
        batch["token_type_ids"] = torch.zeros((len(indices), width), dtype=torch.long)
    for row, i in enumerate(indices):
        ids = features.sequences["input_ids"][i]
        input_ids[row, : len(ids)] = torch.tensor(ids)
        attention_mask[row, : len(ids)] = 1
        if "token_type_ids" in batch:
            batch["token_type_ids"][row, : len(ids)] = torch.tensor(features.sequences["token_type_ids"][i])
    if with_targets:
        for name, values in features.scalars.items():
            if name not in NOT_TARGETS:
                batch[name] = torch.tensor([values[i] for i in indices], dtype=torch.long)
    return batch


@dataclass
class TaskStream:
    """The training features of one head."""

    head: str
    features: Features


def epoch_schedule(
    streams: list[TaskStream], batch_size: int, seed: int, epoch: int, group_by_length: bool
) -> list[tuple[str, list[int]]]:
    """Every batch of every task once, in a random order: tasks are sampled in proportion to their size."""
    rng = np.random.default_rng([seed, epoch])
    schedule = [
        (stream.head, batch)
        for stream in streams
        for batch in training_batches(stream.features.lengths(), batch_size, rng, group_by_length)
    ]
    return [schedule[i] for i in rng.permutation(len(schedule))]
