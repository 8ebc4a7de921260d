"""Per-word tag accuracy in percent: the usual measure of CCG supertagging (every word counts once, so a gold
supertag that the head cannot produce is simply an error)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from xstilts.data.examples import TaggingExample


def tag_accuracy(examples: Sequence[TaggingExample], predictions: Mapping[str, Sequence[str]]) -> dict[str, float]:
    correct = total = 0
    for example in examples:
        gold, predicted = example.tags or (), predictions[example.guid]
        if len(gold) != len(predicted):
            raise ValueError(f"example {example.guid}: {len(gold)} gold tags but {len(predicted)} predicted")
        correct += sum(g == p for g, p in zip(gold, predicted, strict=True))
        total += len(gold)
    return {"accuracy": 100.0 * correct / total if total else 0.0}
