"""Prediction per task kind: batched forward passes in length order, then the kind's decoding.

Span decoding is the SQuAD v1.1 recipe of XTREME's ``run_squad``: over every window of an example, the 20 best
start and end tokens inside the context, the start in its max-context window, end not before start, at most
``max_answer_length`` tokens, highest summed logit; the answer is the context text between the tokens'
character offsets.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from tqdm.auto import tqdm

from xstilts.data.batching import collate, evaluation_batches
from xstilts.data.examples import ClassificationExample, SpanExample
from xstilts.data.features import Features

N_BEST = 20


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


def decode_classification(
    examples: Sequence[ClassificationExample], logits: list[np.ndarray], labels: Sequence[str]
) -> dict[str, str]:
    return {e.guid: labels[int(np.argmax(row))] for e, row in zip(examples, logits, strict=True)}


def decode_spans(
    examples: Sequence[SpanExample],
    features: Features,
    logits: list[np.ndarray],
    max_answer_length: int,
    null_score_threshold: float | None = None,
) -> dict[str, str]:
    """Best span per example; with a ``null_score_threshold`` (tasks with unanswerable questions, SQuAD v2.0),
    the official ``run_squad`` v2 rule may answer ``""`` instead: the null score is the lowest over the
    example's windows of start + end logit at token 0 (``<s>`` / ``[CLS]``, where training points unanswerable
    questions), and the answer is empty when null score - best span score > threshold, or when no span is valid.
    """
    windows: dict[int, list[int]] = defaultdict(list)
    for f, example_index in enumerate(features.scalars["example_index"]):
        windows[example_index].append(f)
    answers = {}
    for example_index, example in enumerate(examples):
        best: tuple[float, str] | None = None
        null_score = np.inf
        members = windows.get(example_index, [])
        offsets = [_pairs(features.sequences["offsets"][f]) for f in members]
        max_context = _max_context(offsets, [features.scalars["window_start"][f] for f in members])
        for f, window_offsets, is_max in zip(members, offsets, max_context, strict=True):
            start_logits, end_logits = logits[f][:, 0], logits[f][:, 1]
            null_score = min(null_score, float(start_logits[0] + end_logits[0]))
            starts = np.argsort(-start_logits, kind="stable")[:N_BEST]
            ends = np.argsort(-end_logits, kind="stable")[:N_BEST]
            for s in starts:
                if window_offsets[s][0] < 0 or not is_max[s]:
                    continue
                for e in ends:
                    if window_offsets[e][0] < 0 or e < s or e - s + 1 > max_answer_length:
                        continue
                    score = float(start_logits[s] + end_logits[e])
                    if best is None or score > best[0]:
                        text = example.context[window_offsets[s][0] : window_offsets[e][1]]
                        best = (score, text.strip())  # sentencepiece offsets can include the leading space
        if null_score_threshold is not None and (best is None or null_score - best[0] > null_score_threshold):
            best = None
        answers[example.guid] = best[1] if best else ""
    return answers


def _pairs(flat: list[int]) -> list[tuple[int, int]]:
    return list(zip(flat[0::2], flat[1::2], strict=True))


def _max_context(windows: list[list[tuple[int, int]]], starts: list[int]) -> list[list[bool]]:
    """Per window and token: is this the window where the context token has the most context around it?

    BERT's (and XTREME's) rule: score = min(tokens to the left, tokens to the right) + 0.01 × window length;
    the earliest window wins ties. A start token counts only in its max-context window. ``starts``: each window's
    first context token, as an index into the example's context tokens.
    """
    context = [[i for i, (a, _) in enumerate(w) if a >= 0] for w in windows]
    best: dict[int, tuple[float, int]] = {}
    for k, (start, positions) in enumerate(zip(starts, context, strict=True)):
        length = len(positions)
        for i in range(length):
            score = min(i, length - 1 - i) + 0.01 * length
            if start + i not in best or score > best[start + i][0]:
                best[start + i] = (score, k)
    flags = []
    for k, (start, positions) in enumerate(zip(starts, context, strict=True)):
        row = [False] * len(windows[k])
        for i, token in enumerate(positions):
            row[token] = best[start + i][1] == k
        flags.append(row)
    return flags
