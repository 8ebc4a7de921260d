"""Multiple-choice featurizer: every choice becomes the pair (context, choice), as XTREME-R's ``run_xcopa`` and
Hugging Face's multiple-choice recipes encode them, truncated to ``max_length`` tokens per pair.

One feature row stays one example, so batching, length grouping and the cache need nothing new: the row's
``input_ids`` are its N pair encodings one after another, and ``choice_lengths`` says where each ends.
``collate`` unpacks a row into N consecutive rows of the batch.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from xstilts.data.examples import MultipleChoiceExample
from xstilts.data.features import Features
from xstilts.data.featurize import uses_token_types


def featurize_multiple_choice(
    examples: Sequence[MultipleChoiceExample], tokenizer: Any, labels: Sequence[str], max_length: int
) -> Features:
    """``labels`` names the choice positions ("0" .. "N-1"); every example must have exactly N choices."""
    n = len(labels)
    for example in examples:
        if len(example.choices) != n:
            raise ValueError(f"example {example.guid} has {len(example.choices)} choices; its task has {n}")
    encoded = tokenizer(
        [e.context for e in examples for _ in e.choices],
        [choice for e in examples for choice in e.choices],
        truncation=True,
        max_length=max_length,
    )
    names = ["input_ids", "token_type_ids"] if uses_token_types(tokenizer) else ["input_ids"]
    features = Features(sequences={name: [] for name in [*names, "choice_lengths"]})
    for k in range(len(examples)):
        pairs = range(k * n, (k + 1) * n)
        for name in names:
            features.sequences[name].append([token for p in pairs for token in encoded[name][p]])
        features.sequences["choice_lengths"].append([len(encoded["input_ids"][p]) for p in pairs])
    index = {label: i for i, label in enumerate(labels)}
    features.scalars["label"] = [index[e.label] if e.label is not None else -1 for e in examples]
    features.scalars["example_index"] = list(range(len(examples)))
    return features
