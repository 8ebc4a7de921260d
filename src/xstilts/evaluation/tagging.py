"""Token tagging predictions: one tag per word of every whole sentence, and XTREME's tagging submission file.

A long sentence was split into several features (word chunks); each word's tag is the argmax of the logits at
its first subword in the one chunk that holds it, and the chunks are put back in word order.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from xstilts.data.examples import TaggingExample
from xstilts.data.features import Features


def decode_tagging(
    examples: Sequence[TaggingExample], features: Features, logits: list[np.ndarray], labels: Sequence[str]
) -> dict[str, tuple[str, ...]]:
    """Predicted tags by example guid, exactly one per word; a word without a prediction is a featurizer bug."""
    predicted: list[list[str | None]] = [[None] * len(e.words) for e in examples]
    for f, example_index in enumerate(features.scalars["example_index"]):
        positions = np.asarray(features.sequences["word_index"][f])
        tokens = np.flatnonzero(positions >= 0)
        best = np.argmax(logits[f][tokens], axis=-1)
        row = predicted[example_index]
        for word, label in zip(positions[tokens].tolist(), best.tolist(), strict=True):
            if row[word] is not None:
                raise ValueError(f"example {examples[example_index].guid}: word {word} predicted twice")
            row[word] = labels[label]
    out = {}
    for example, row in zip(examples, predicted, strict=True):
        missing = [i for i, tag in enumerate(row) if tag is None]
        if missing:
            raise ValueError(f"example {example.guid}: no prediction for word(s) {missing}")
        out[example.guid] = tuple(tag for tag in row if tag is not None)
    return out


def tag_lines(examples: list[Any], predictions: dict[str, Any]) -> str:
    """XTREME's ``test-LANG.tsv`` for UD-POS and PAN-X: one tag per line, a blank line after every sentence."""
    return "".join("".join(f"{tag}\n" for tag in predictions[e.guid]) + "\n" for e in examples)
