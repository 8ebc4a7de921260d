"""BUCC 2018 bitext mining F1, as XTREME scores it (``third_party/utils_retrieve.py``, after LASER's BUCC scripts,
and ``evaluate.py``'s ``bucc_f1``).

Candidates are ``(src_id, trg_id, score)`` with a margin score computed elsewhere. As the official scripts do:

* a pair listed more than once keeps its highest score (``read_candidate2score``);
* a sentence whose text occurs more than once on its side has no id, so its candidates are dropped
  (``read_sent2id``): :func:`sentence_ids` and :func:`candidates_from_sentences` do that mapping;
* the threshold (``bucc_optimize``) walks the distinct pairs by descending score (ties stay in first-seen order),
  computing F1 of each prefix against the gold pairs, and at each strict improvement sets the threshold halfway
  between the current score and the next one; 0 when no candidate is correct. A tie at the cut thus puts the
  threshold *on* the tied score, and extraction (``score >= threshold``, ``bucc_extract``) takes the whole tie;
* precision, recall and F1 are over sets of ``(src_id, trg_id)`` pairs: correct / extracted, correct / gold, all 0
  when nothing is correct.

XTREME picks the threshold on the labelled split (BUCC's sample data) and applies it to the test candidates:
``bucc_f1(test, test_gold, best_threshold(dev, dev_gold))``. One departure: when the best prefix is all candidates
the official ``bucc_optimize`` fails (it reads past the last score); here the threshold is the last score.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

Pair = tuple[str, str]


def sentence_ids(ids: Sequence[str], sentences: Sequence[str]) -> dict[str, str]:
    """Stripped sentence text -> id, leaving out every text that occurs more than once (``read_sent2id``)."""
    if len(ids) != len(sentences):
        raise ValueError(f"{len(ids)} ids but {len(sentences)} sentences")
    text_to_id: dict[str, str] = {}
    repeated: set[str] = set()
    for sentence_id, sentence in zip(ids, sentences, strict=True):
        text = sentence.strip()
        if text in text_to_id:
            repeated.add(text)
        else:
            text_to_id[text] = sentence_id.strip()
    for text in repeated:
        del text_to_id[text]
    return text_to_id


def candidates_from_sentences(
    scored: Iterable[tuple[float, str, str]], source_ids: Mapping[str, str], target_ids: Mapping[str, str]
) -> list[tuple[str, str, float]]:
    """``(score, source text, target text)`` -> ``(src_id, trg_id, score)``, dropping texts without an id."""
    candidates = []
    for score, source, target in scored:
        source, target = source.strip(), target.strip()
        if source in source_ids and target in target_ids:
            candidates.append((source_ids[source], target_ids[target], float(score)))
    return candidates


def candidate_scores(candidates: Iterable[tuple[str, str, float]]) -> dict[Pair, float]:
    """Each distinct pair with its highest score, in first-seen order."""
    scores: dict[Pair, float] = {}
    for source, target, score in candidates:
        pair = (source, target)
        scores[pair] = max(score, scores.get(pair, score))
    return scores


def best_threshold(candidates: Sequence[tuple[str, str, float]], gold: Iterable[Pair]) -> float:
    gold = set(gold)
    ranked = sorted(candidate_scores(candidates).items(), key=lambda item: -item[1])
    threshold = best_f1 = 0.0
    correct = 0
    for index, (pair, score) in enumerate(ranked):
        correct += pair in gold
        if correct == 0:
            continue
        precision = correct / (index + 1)
        recall = correct / len(gold)
        f1 = 2 * precision * recall / (precision + recall)
        if f1 > best_f1:
            best_f1 = f1
            threshold = (score + ranked[index + 1][1]) / 2 if index + 1 < len(ranked) else score
    return threshold


def bucc_f1(candidates: Sequence[tuple[str, str, float]], gold: Iterable[Pair], threshold: float) -> dict[str, float]:
    extracted = {pair for pair, score in candidate_scores(candidates).items() if score >= threshold}
    return pair_f1(extracted, gold)


def pair_f1(extracted: Iterable[Pair], gold: Iterable[Pair]) -> dict[str, float]:
    """F1, precision and recall of the extracted pairs against the gold pairs, as sets; what ``evaluate.py``'s
    ``bucc_f1`` computes from a submission's pair file."""
    gold, extracted = set(gold), set(extracted)
    correct = len(gold & extracted)
    if correct == 0:
        return {"f1": 0.0, "precision": 0.0, "recall": 0.0}
    precision = correct / len(extracted)
    recall = correct / len(gold)
    f1 = 2 * precision * recall / (precision + recall)
    return {"f1": f1 * 100, "precision": precision * 100, "recall": recall * 100}
