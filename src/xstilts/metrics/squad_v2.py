"""SQuAD v2.0 exact match and F1, as the official v2.0 evaluation script defines them (without a no-answer
probability file, so every prediction counts as given).

Normalisation is v1.1's (lower case, drop ASCII punctuation, drop a/an/the, collapse whitespace). What v2.0 adds:

- gold answers that normalise to nothing are dropped; a question left without gold answers (an unanswerable one)
  has the single gold answer ``""``, so the only right prediction is the empty string;
- F1 when either side has no tokens is 1 if both have none and 0 otherwise (v1.1 would give 0 for both empty);
- the scores are reported for all questions and separately for the questions with gold answers
  (``has_answer_*``) and those without (``no_answer_*``), a group's keys present only when it is not empty.

Scores are the maximum over gold answers, averaged over all questions, in percent. A question without a
prediction scores 0 (the official script leaves it out of the overall mean and fails on the group means; the
decoder here predicts every question, so this only matters for hand-made predictions).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from xstilts.data.examples import SpanExample
from xstilts.metrics.squad_v1 import normalize_answer, token_f1


def gold_answers(example: SpanExample) -> list[str]:
    """The gold answers the script compares with: non-empty after normalisation, or ``[""]`` if none is."""
    golds = [answer.text for answer in example.answers if normalize_answer(answer.text)]
    return golds or [""]


def exact_match_score(prediction: str, ground_truth: str) -> float:
    return float(normalize_answer(prediction) == normalize_answer(ground_truth))


def f1_score(prediction: str, ground_truth: str) -> float:
    predicted, gold = normalize_answer(prediction).split(), normalize_answer(ground_truth).split()
    if not predicted or not gold:
        return float(predicted == gold)
    return token_f1(predicted, gold)


def squad_v2(examples: Sequence[SpanExample], predictions: Mapping[str, str]) -> dict[str, float]:
    groups: dict[str, list[tuple[float, float]]] = {"has_answer": [], "no_answer": []}
    for example in examples:
        golds = gold_answers(example)
        group = groups["has_answer" if example.answers else "no_answer"]  # the script's grouping: any gold at all
        if example.guid not in predictions:
            group.append((0.0, 0.0))
            continue
        prediction = predictions[example.guid]
        group.append(
            (max(exact_match_score(prediction, g) for g in golds), max(f1_score(prediction, g) for g in golds))
        )
    every = groups["has_answer"] + groups["no_answer"]
    total = len(every) or 1
    scores = {
        "exact_match": 100.0 * sum(e for e, _ in every) / total,
        "f1": 100.0 * sum(f for _, f in every) / total,
    }
    for name, scored in groups.items():
        if scored:
            scores[f"{name}_exact_match"] = 100.0 * sum(e for e, _ in scored) / len(scored)
            scores[f"{name}_f1"] = 100.0 * sum(f for _, f in scored) / len(scored)
    return scores
