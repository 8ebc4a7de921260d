"""Extractive question answering (SQuAD, XQuAD, MLQA, TyDiQA-GoldP): an answer span in a context.

Features follow XTREME's SQuAD preprocessing: questions cut to ``max_query_length`` tokens, contexts split into
windows that advance by ``doc_stride`` tokens, and an answer outside a window points at the first token (as BERT's
``run_squad``). Offsets are kept for mapping predictions back to context text.

Decoding is the SQuAD v1.1 recipe of XTREME's ``run_squad``: over every window of an example, the 20 best start
and end tokens inside the context, the start in its max-context window, end not before start, at most
``max_answer_length`` tokens, highest summed logit; the answer is the context text between the tokens' character
offsets. Predictions are written as XTREME's ``{id: answer}`` JSON.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from pydantic import Field
from torch import nn
from torch.nn import functional as F

from xstilts.data.examples import SpanExample
from xstilts.data.features import Column, Features
from xstilts.kinds.base import ENCODER_COLUMNS, Kind, KindSettings, register_kind, uses_token_types
from xstilts.models.heads import Head, last_hidden

N_BEST = 20


def _truncate_questions(questions: list[str], tokenizer: Any, max_query_length: int) -> tuple[list[str], list[int]]:
    """Cuts each question after its ``max_query_length``-th token; returns texts and token counts."""
    encoded = tokenizer(questions, add_special_tokens=False, return_offsets_mapping=True)
    texts, counts = [], []
    for question, offsets in zip(questions, encoded["offset_mapping"], strict=True):
        if len(offsets) > max_query_length:
            question = question[: offsets[max_query_length - 1][1]]
        texts.append(question)
        counts.append(min(len(offsets), max_query_length))
    return texts, counts


_TARGETS = {"start_position": Column("target"), "end_position": Column("target")}


def featurize_spans(
    examples: Sequence[SpanExample],
    tokenizer: Any,
    max_length: int,
    doc_stride: int,
    max_query_length: int,
    training: bool,
) -> Features:
    questions, query_lengths = _truncate_questions([e.question.lstrip() for e in examples], tokenizer, max_query_length)
    specials = tokenizer.num_special_tokens_to_add(pair=True)
    # Group by query length so that one tokenizer call can use one overlap: XTREME's windows advance by
    # doc_stride tokens, which is an overlap of (context room - doc_stride) tokens in the fast tokenizer.
    groups: dict[int, list[int]] = defaultdict(list)
    for i, n in enumerate(query_lengths):
        groups[n].append(i)
    per_example: dict[int, list[dict[str, Any]]] = {}
    for query_length, members in groups.items():
        room = max_length - query_length - specials
        if room <= 0:
            raise ValueError(f"max_length {max_length} leaves no room for the context after a question")
        overlap = max(0, room - doc_stride)
        encoded = tokenizer(
            [questions[i] for i in members],
            [examples[i].context for i in members],
            truncation="only_second",
            max_length=max_length,
            stride=overlap,
            return_overflowing_tokens=True,
            return_offsets_mapping=True,
        )
        for f, sample in enumerate(encoded["overflow_to_sample_mapping"]):
            example_index = members[sample]
            sequence_ids = encoded.sequence_ids(f)
            offsets = [
                (a, b) if sid == 1 else (-1, -1)
                for (a, b), sid in zip(encoded["offset_mapping"][f], sequence_ids, strict=True)
            ]
            row: dict[str, Any] = {"input_ids": encoded["input_ids"][f], "offsets": offsets}
            if uses_token_types(tokenizer):
                row["token_type_ids"] = encoded["token_type_ids"][f]
            row["start"], row["end"] = _answer_tokens(examples[example_index], offsets) if training else (0, 0)
            # The k-th window of an example starts k advances into its context: what BERT's max-context rule
            # needs (offsets cannot tell it: two tokens may share a character span, e.g. a lone "▁").
            windows = per_example.setdefault(example_index, [])
            row["window_start"] = len(windows) * (room - overlap)
            windows.append(row)
    features = Features(sequences={"input_ids": [], "offsets": []}, columns={**ENCODER_COLUMNS, **_TARGETS})
    if any("token_type_ids" in rows[0] for rows in per_example.values()):
        features.sequences["token_type_ids"] = []
    features.scalars = {"example_index": [], "start_position": [], "end_position": [], "window_start": []}
    for example_index in sorted(per_example):
        for row in per_example[example_index]:
            features.sequences["input_ids"].append(row["input_ids"])
            features.sequences["offsets"].append([v for pair in row["offsets"] for v in pair])
            if "token_type_ids" in features.sequences:
                features.sequences["token_type_ids"].append(row["token_type_ids"])
            features.scalars["example_index"].append(example_index)
            features.scalars["start_position"].append(row["start"])
            features.scalars["end_position"].append(row["end"])
            features.scalars["window_start"].append(row["window_start"])
    return features


def _answer_tokens(example: SpanExample, offsets: list[tuple[int, int]]) -> tuple[int, int]:
    """Token positions of the first gold answer in this window, or (0, 0) when it lies outside."""
    if not example.answers:
        return 0, 0
    answer = example.answers[0]
    start_char, end_char = answer.start, answer.start + len(answer.text)
    context_tokens = [i for i, (a, _) in enumerate(offsets) if a >= 0]
    if not context_tokens:
        return 0, 0
    first, last = context_tokens[0], context_tokens[-1]
    if offsets[first][0] > start_char or offsets[last][1] < end_char:
        return 0, 0
    start = first
    while start <= last and offsets[start][1] <= start_char:
        start += 1
    end = last
    while end >= first and offsets[end][0] >= end_char:
        end -= 1
    if start > end:
        return 0, 0
    return start, end


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


class SpanHead(Head):
    """Start and end logits per token; padding positions get a very low score."""

    def __init__(self, hidden_size: int, num_labels: int, dropout: float) -> None:
        super().__init__(hidden_size, num_labels, dropout)
        self.qa_outputs = nn.Linear(hidden_size, 2)

    def forward(self, encoder: nn.Module, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        logits = self.qa_outputs(last_hidden(encoder, batch)).float()
        return logits.masked_fill(batch["attention_mask"].unsqueeze(-1) == 0, -1e4)

    def loss(self, outputs: torch.Tensor, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        start = F.cross_entropy(outputs[..., 0], batch["start_position"])
        end = F.cross_entropy(outputs[..., 1], batch["end_position"])
        return (start + end) / 2


class SpanSettings(KindSettings):
    doc_stride: int = Field(ge=1)
    max_query_length: int = Field(ge=1)


class SpanExtraction(Kind):
    name = "span_extraction"
    version = 2  # 2: the max-context rule reads each window's recorded start
    example_type = SpanExample
    settings_type = SpanSettings
    head_type = SpanHead
    prediction_extension = "json"

    def featurize(
        self, examples: Sequence[Any], tokenizer: Any, labels: Sequence[str], settings: Any, training: bool
    ) -> Features:
        return featurize_spans(
            examples, tokenizer, settings.max_length, settings.doc_stride, settings.max_query_length, training
        )

    def decode(
        self,
        examples: Sequence[Any],
        features: Features,
        outputs: list[np.ndarray],
        labels: Sequence[str],
        data: dict[str, Any],
    ) -> dict[str, Any]:
        return decode_spans(examples, features, outputs, data["max_answer_length"], data["null_score_threshold"])

    def render(self, examples: Sequence[Any], predictions: dict[str, Any]) -> str:
        return json.dumps({e.guid: predictions[e.guid] for e in examples}, ensure_ascii=False, indent=1) + "\n"


SPAN_EXTRACTION = register_kind(SpanExtraction())
