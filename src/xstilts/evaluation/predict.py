"""Batched forward passes in length order: every feature's head output, for the kind's decoder."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from tqdm.auto import tqdm

from xstilts.data.batching import collate, evaluation_batches
from xstilts.data.features import Features


@torch.no_grad()
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
    model.eval()
    outputs: list[np.ndarray | None] = [None] * len(features)
    lengths = features.lengths()
    autocast = torch.autocast(device.type, dtype=torch.bfloat16, enabled=device.type == "cuda")
    for indices in tqdm(evaluation_batches(lengths, batch_size), desc=desc or f"predict {head}", leave=False):
        batch = {k: v.to(device) for k, v in collate(features, indices, pad_id, with_targets=False).items()}
        with autocast:
            logits = model(head, batch).float().cpu().numpy()
        for row, i in enumerate(indices):
            outputs[i] = logits[row, : lengths[i]] if logits.ndim == 3 else logits[row]
    return [o for o in outputs if o is not None]
