"""Brute-force re-statements of XTREME's retrieval scoring, written from the definitions in google-research/xtreme
(``third_party/utils_retrieve.py``: ``mine_bitext``, ``read_sent2id``, ``read_candidate2score``,
``bucc_optimize``, ``bucc_extract``, ``bucc_eval``, ``similarity_search``; ``evaluate.py``: ``accuracy``,
``bucc_f1``), for the tests to derive expected values independently of xstilts' code.

Everything is float64 and plain loops over every pair, every neighbour and every prefix: slow, but with nothing
in common with the vectorised float32 code under test except the definitions. Only the settings XTREME's BUCC
evaluation runs are restated: ``mine_bitext``'s defaults (mode ``mine``, retrieval ``max``, ratio margin,
neighbourhood 4, threshold 0, cosine).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import numpy as np

Pair = tuple[str, str]


def _unit(vector: np.ndarray) -> np.ndarray:
    return np.asarray(vector, dtype=np.float64) / float(np.linalg.norm(vector))


def unify(vectors: np.ndarray, texts: Sequence[str]) -> tuple[list[str], list[np.ndarray]]:
    """``text_load_unify`` + ``unique_embeddings``: the distinct texts in order of first appearance, and for each
    the embedding of the *last* row with that text (``unique_embeddings`` maps each text to its last row)."""
    distinct: list[str] = []
    last_row: dict[str, int] = {}
    for row, text in enumerate(texts):
        if text not in last_row:
            distinct.append(text)
        last_row[text] = row
    return distinct, [_unit(vectors[last_row[text]]) for text in distinct]


def mine_bitext(
    x: np.ndarray, y: np.ndarray, x_texts: Sequence[str], y_texts: Sequence[str], neighbourhood: int = 4
) -> list[tuple[float, str, str]]:
    """``(score, source text, target text)`` lines of ``mine_bitext``'s output file, in file order."""
    sources, xs = unify(x, x_texts)
    targets, ys = unify(y, y_texts)
    cos = [[float(a @ b) for b in ys] for a in xs]
    k_forward, k_backward = min(len(ys), neighbourhood), min(len(xs), neighbourhood)
    forward_nn = [sorted(range(len(ys)), key=lambda j, i=i: -cos[i][j])[:k_forward] for i in range(len(xs))]
    backward_nn = [sorted(range(len(xs)), key=lambda i, j=j: -cos[i][j])[:k_backward] for j in range(len(ys))]
    forward_mean = [sum(cos[i][j] for j in forward_nn[i]) / k_forward for i in range(len(xs))]
    backward_mean = [sum(cos[i][j] for i in backward_nn[j]) / k_backward for j in range(len(ys))]

    def margin(i: int, j: int) -> float:  # ratio margin
        return cos[i][j] / ((forward_mean[i] + backward_mean[j]) / 2)

    proposals = []
    for i in range(len(xs)):
        j = max(forward_nn[i], key=lambda j, i=i: margin(i, j))  # max() keeps the first of equal margins
        proposals.append((margin(i, j), i, j))
    for j in range(len(ys)):
        i = max(backward_nn[j], key=lambda i, j=j: margin(i, j))
        proposals.append((margin(i, j), i, j))
    used_x: set[int] = set()
    used_y: set[int] = set()
    lines = []
    for score, i, j in sorted(proposals, key=lambda p: -p[0]):
        if i in used_x or j in used_y:
            continue
        used_x.add(i)
        used_y.add(j)
        if score > 0:  # threshold 0
            lines.append((score, sources[i], targets[j]))
    return lines


def read_sent2id(ids: Sequence[str], texts: Sequence[str]) -> dict[str, str]:
    """Stripped text -> stripped id; a text that occurs more than once has no id."""
    stripped = [text.strip() for text in texts]
    return {
        text: sentence_id.strip() for sentence_id, text in zip(ids, stripped, strict=True) if stripped.count(text) == 1
    }


def read_candidate2score(
    lines: Iterable[tuple[float, str, str]], source_ids: Mapping[str, str], target_ids: Mapping[str, str]
) -> dict[Pair, float]:
    """Each (source id, target id) of the mined lines whose texts have ids, with its highest score, first-seen
    order."""
    scores: dict[Pair, float] = {}
    for score, source, target in lines:
        source, target = source.strip(), target.strip()
        if source in source_ids and target in target_ids:
            pair = (source_ids[source], target_ids[target])
            scores[pair] = max(score, scores.get(pair, score))
    return scores


def _prefix_f1(correct: int, extracted: int, gold: int) -> float:
    if correct == 0:
        return 0.0
    precision, recall = correct / extracted, correct / gold
    return 2 * precision * recall / (precision + recall)


def bucc_optimize(candidate2score: Mapping[Pair, float], gold: Iterable[Pair]) -> float:
    """The threshold ``bucc_optimize`` returns: of all prefixes of the candidates sorted by descending score (a
    stable sort of the first-seen order), the *first* with the highest F1 (it updates on strict improvement only);
    the threshold is halfway between its last score and the next one, 0 when no prefix has a correct pair.
    ``IndexError`` where XTREME's reads past the end (the best prefix is every candidate)."""
    gold = set(gold)
    ranked = sorted(candidate2score.items(), key=lambda item: -item[1])
    f1s = [_prefix_f1(sum(pair in gold for pair, _ in ranked[:m]), m, len(gold)) for m in range(1, len(ranked) + 1)]
    if not f1s or max(f1s) == 0.0:
        return 0.0
    best = f1s.index(max(f1s))
    return (ranked[best][1] + ranked[best + 1][1]) / 2  # IndexError past the end, as XTREME's


def bucc_eval(candidate2score: Mapping[Pair, float], gold: Iterable[Pair], threshold: float) -> dict[str, float]:
    """``bucc_extract`` (score >= threshold) then ``bucc_eval``'s precision, recall and F1 in percent."""
    gold = set(gold)
    extracted = [pair for pair, score in candidate2score.items() if score >= threshold]
    correct = len(gold & set(extracted))
    if correct == 0:
        return {"f1": 0.0, "precision": 0.0, "recall": 0.0}
    precision, recall = correct / len(extracted), correct / len(gold)
    return {
        "f1": 100 * 2 * precision * recall / (precision + recall),
        "precision": 100 * precision,
        "recall": 100 * recall,
    }


def similarity_search(database: np.ndarray, queries: np.ndarray) -> list[int]:
    """``similarity_search(..., normalize=True)``: each query's nearest database row by L2 distance between
    L2-normalised vectors (an exact ``IndexFlatL2``), lowest row on a tie."""
    rows = [_unit(row) for row in database]
    found = []
    for query in queries:
        q = _unit(query)
        distances = [float(((q - row) ** 2).sum()) for row in rows]
        found.append(distances.index(min(distances)))
    return found


def accuracy(labels: Sequence[str], predictions: Sequence[str]) -> float:
    """``evaluate.py``'s ``accuracy``: percent of lines whose prediction string equals the label string."""
    return 100 * sum(p == label for p, label in zip(predictions, labels, strict=True)) / len(predictions)
