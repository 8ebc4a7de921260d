"""Featurizers, one per task kind: examples → token ids (and labels or answer positions).

Span extraction follows XTREME's SQuAD preprocessing: questions cut to ``max_query_length`` tokens, contexts
split into windows that advance by ``doc_stride`` tokens, and an answer outside a window points at the
first token (as BERT's ``run_squad``). Offsets are kept for mapping predictions back to context text.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from xstilts.data.examples import ClassificationExample, SpanExample
from xstilts.data.features import Features


def uses_token_types(tokenizer: Any) -> bool:
    """Segment ids only for models that take them (BERT does; XLM-R's tokenizer does not emit them)."""
    return "token_type_ids" in tokenizer.model_input_names


def featurize_classification(
    examples: Sequence[ClassificationExample], tokenizer: Any, labels: Sequence[str], max_length: int
) -> Features:
    pairs = any(e.text_b is not None for e in examples)
    encoded = tokenizer(
        [e.text_a for e in examples],
        [e.text_b or "" for e in examples] if pairs else None,
        truncation=True,
        max_length=max_length,
    )
    index = {label: i for i, label in enumerate(labels)}
    features = Features(sequences={"input_ids": encoded["input_ids"]})
    if uses_token_types(tokenizer):
        features.sequences["token_type_ids"] = encoded["token_type_ids"]
    features.scalars["label"] = [index[e.label] if e.label is not None else -1 for e in examples]
    features.scalars["example_index"] = list(range(len(examples)))
    return features


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
    features = Features(sequences={"input_ids": [], "offsets": []})
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
