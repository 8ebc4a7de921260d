"""Batched forward passes in length order: every feature's head output, for the kind's decoder."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import torch
from tqdm.auto import tqdm

from xstilts.data.batching import collate, evaluation_batches
from xstilts.data.features import Features


@torch.no_grad()
def forward_batches(
    model: Any,
    head: str,
    features: Features,
    batches: Sequence[list[int]],
    pad_id: int,
    device: torch.device,
    desc: str,
    mixed_precision: bool = True,
) -> Iterator[tuple[list[int], np.ndarray]]:
    """(feature rows, the head's outputs for them) for each batch of rows, in the given order; on a GPU in
    bfloat16 autocast unless ``mixed_precision`` is off."""
    model.eval()
    enabled = mixed_precision and device.type == "cuda"
    autocast = torch.autocast(device.type, dtype=torch.bfloat16, enabled=enabled)
    for indices in tqdm(batches, desc=desc, leave=False):
        batch = {k: v.to(device) for k, v in collate(features, indices, pad_id, with_targets=False).items()}
        with autocast:
            yield indices, model(head, batch).float().cpu().numpy()


def forward_all(
    model: Any,
    head: str,
    features: Features,
    pad_id: int,
    batch_size: int,
    device: torch.device,
    desc: str = "",
) -> list[np.ndarray]:
    """Logits for every feature, in feature order, trimmed to each feature's length where per-token."""
    outputs: list[np.ndarray | None] = [None] * len(features)
    lengths = features.lengths()
    batches = evaluation_batches(lengths, batch_size)
    for indices, logits in forward_batches(model, head, features, batches, pad_id, device, desc or f"predict {head}"):
        for row, i in enumerate(indices):
            outputs[i] = logits[row, : lengths[i]] if logits.ndim == 3 else logits[row]
    return [o for o in outputs if o is not None]
