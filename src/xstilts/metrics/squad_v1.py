"""SQuAD v1.1 exact match and F1, as the official v1.1 evaluation script defines them.

Normalisation: lower case, drop ASCII punctuation (``string.punctuation``), drop the articles a/an/the as
whole words, collapse whitespace. Scores are the maximum over gold answers, averaged over all questions
(a question without a prediction scores 0), in percent. XTREME scores XQuAD and TyDiQA-GoldP with it.
"""

from __future__ import annotations

import re
import string
from collections import Counter
from collections.abc import Mapping, Sequence

from xstilts.data.examples import SpanExample

_PUNCTUATION = set(string.punctuation)
_ARTICLES = re.compile(r"\b(a|an|the)\b")


def normalize_answer(text: str) -> str:
    text = "".join(ch for ch in text.lower() if ch not in _PUNCTUATION)
    text = _ARTICLES.sub(" ", text)
    return " ".join(text.split())


def exact_match_score(prediction: str, ground_truth: str) -> float:
    return float(normalize_answer(prediction) == normalize_answer(ground_truth))


def f1_score(prediction: str, ground_truth: str) -> float:
    return token_f1(normalize_answer(prediction).split(), normalize_answer(ground_truth).split())


def token_f1(predicted: list[str], gold: list[str]) -> float:
    """F1 of the token bags, as SQuAD's script (and MLQA's, with its own normalisation) computes it."""
    common = Counter(predicted) & Counter(gold)
    same = sum(common.values())
    if same == 0:
        return 0.0
    precision = same / len(predicted)
    recall = same / len(gold)
    return 2 * precision * recall / (precision + recall)


def squad_v1(examples: Sequence[SpanExample], predictions: Mapping[str, str]) -> dict[str, float]:
    exact = f1 = 0.0
    for example in examples:
        if example.guid not in predictions:
            continue
        golds = [answer.text for answer in example.answers]
        prediction = predictions[example.guid]
        exact += max((exact_match_score(prediction, g) for g in golds), default=0.0)
        f1 += max((f1_score(prediction, g) for g in golds), default=0.0)
    total = len(examples) or 1
    return {"exact_match": 100.0 * exact / total, "f1": 100.0 * f1 / total}
