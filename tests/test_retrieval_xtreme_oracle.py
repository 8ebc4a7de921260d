"""BUCC mining, threshold and F1, and Tatoeba retrieval, against XTREME's own definitions restated by brute force
(``tests/xtreme_oracle.py``) on seeded random embeddings: every value here is derived from the definitions, not
from xstilts' code, and xstilts must give it (pair order exactly, scores to float32 precision)."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest

from tests import xtreme_oracle
from tests.builders import local
from tests.retrieval_files import FixedEmbedder, parallel_sentences, protocol_sets, write_bucc, write_tatoeba
from xstilts.data.examples import RetrievalExample, RetrievalItem
from xstilts.evaluation.retrieval import EmbeddedSet, _mined_candidates, bucc, mine, nearest, normalize, tatoeba
from xstilts.metrics.bucc import best_threshold, bucc_f1, candidate_scores
from xstilts.metrics.retrieval import tatoeba_accuracy
from xstilts.tasks.registry import get_task

DIM = 16


def _bitext(
    rng: np.random.Generator, pairs: int, x_noise: int, y_noise: int, spread: float = 0.8
) -> tuple[np.ndarray, np.ndarray, list[int]]:
    """Source rows, target rows (translations of the first ``pairs`` sources, noisier and noisier, then unrelated
    noise, shuffled), and each source's target row (-1 for source noise)."""
    x = rng.normal(size=(pairs + x_noise, DIM))
    translations = x[:pairs] + spread * np.linspace(0.2, 1.5, pairs)[:, None] * rng.normal(size=(pairs, DIM))
    y = np.concatenate([translations, rng.normal(size=(y_noise, DIM))])
    order = rng.permutation(len(y))
    y = y[order]
    target_of = [int(np.flatnonzero(order == k)[0]) for k in range(pairs)] + [-1] * x_noise
    return x, y, target_of


def _with_duplicates(vectors: np.ndarray, texts: list[str], rows: list[int]) -> tuple[np.ndarray, list[str]]:
    """The rows ``rows`` appended again (same text, same vector): what an embedder gives a repeated sentence."""
    return np.concatenate([vectors, vectors[rows]]), texts + [texts[row] for row in rows]


def _texts(prefix: str, n: int) -> list[str]:
    return [f"{prefix} {i}" for i in range(n)]


# --- mining ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("seed", "pairs", "x_noise", "y_noise"),
    [(0, 30, 5, 20), (1, 12, 0, 0), (2, 40, 10, 3), (3, 2, 0, 1), (4, 3, 1, 0), (5, 1, 0, 0)],
)
def test_mine_is_mine_bitext(seed: int, pairs: int, x_noise: int, y_noise: int) -> None:
    # Sizes below 4 on a side make the neighbourhood min(size, 4), as mine_bitext's knn calls do.
    rng = np.random.default_rng(seed)
    x, y, _ = _bitext(rng, pairs, x_noise, y_noise)
    x_texts, y_texts = _texts("src", len(x)), _texts("trg", len(y))
    expected = xtreme_oracle.mine_bitext(x, y, x_texts, y_texts)
    mined = mine(x, y, x_keys=x_texts, y_keys=y_texts)
    assert [(x_texts[i], y_texts[j]) for _, i, j in mined] == [(s, t) for _, s, t in expected]
    assert [score for score, _, _ in mined] == pytest.approx([score for score, _, _ in expected], rel=1e-5)
    assert len(expected) >= min(len(x), len(y)) // 2  # the data have something to mine


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_mine_unifies_repeated_sentences_as_mine_bitext(seed: int) -> None:
    # A repeated sentence is mined once (text_load_unify): its copies do not crowd the neighbourhoods.
    rng = np.random.default_rng(seed)
    x, y, _ = _bitext(rng, 20, 3, 6)
    x_texts, y_texts = _texts("src", len(x)), _texts("trg", len(y))
    x, x_texts = _with_duplicates(x, x_texts, [0, 5, 5])
    y, y_texts = _with_duplicates(y, y_texts, [2, 7])
    expected = xtreme_oracle.mine_bitext(x, y, x_texts, y_texts)
    mined = mine(x, y, x_keys=x_texts, y_keys=y_texts)
    assert [(x_texts[i], y_texts[j]) for _, i, j in mined] == [(s, t) for _, s, t in expected]
    assert [score for score, _, _ in mined] == pytest.approx([score for score, _, _ in expected], rel=1e-5)
    # Without the texts every copy is a row of its own, which is not what mine_bitext mines.
    crowded = mine(x, y)
    assert [score for score, _, _ in crowded] != pytest.approx([score for score, _, _ in expected], rel=1e-5)


def _bucc_set(seed: int) -> tuple[RetrievalExample, FixedEmbedder, list[str], list[str]]:
    """A BUCC-like set with ids, a sentence repeated on each side and one that repeats only once stripped
    (``read_sent2id`` drops both), and gold links for the translations; vectors by text."""
    rng = np.random.default_rng(seed)
    x, y, target_of = _bitext(rng, 24, 6, 14)
    x_texts, y_texts = _texts("de", len(x)), _texts("en", len(y))
    x, x_texts = _with_duplicates(x, x_texts, [3])
    y, y_texts = _with_duplicates(y, y_texts, [target_of[4]])
    x_texts.append(f" {x_texts[6]}")  # the same text as source 6 once stripped: neither has an id
    x = np.concatenate([x, rng.normal(size=(1, DIM))])
    x_ids = [f"de-{i:09d}" for i in range(len(x))]
    y_ids = [f"en-{j:09d}" for j in range(len(y))]
    gold = [(x_ids[i], y_ids[j]) for i, j in enumerate(target_of) if j >= 0]
    data = RetrievalExample(
        "bucc-de",
        tuple(RetrievalItem(i, t) for i, t in zip(x_ids, x_texts, strict=True)),
        tuple(RetrievalItem(i, t) for i, t in zip(y_ids, y_texts, strict=True)),
        tuple(gold),
    )
    vectors = dict(zip(x_texts, x, strict=True)) | dict(zip(y_texts, y, strict=True))
    return data, FixedEmbedder(vectors), x_texts, y_texts


def _oracle_candidates(data: RetrievalExample, embed: FixedEmbedder) -> dict[tuple[str, str], float]:
    """mine_bitext over the set's texts, then read_candidate2score with read_sent2id's ids."""
    x_texts, y_texts = [q.text for q in data.queries], [c.text for c in data.candidates]
    lines = xtreme_oracle.mine_bitext(embed(list(data.queries)), embed(list(data.candidates)), x_texts, y_texts)
    source_ids = xtreme_oracle.read_sent2id([q.id for q in data.queries], x_texts)
    target_ids = xtreme_oracle.read_sent2id([c.id for c in data.candidates], y_texts)
    return xtreme_oracle.read_candidate2score(lines, source_ids, target_ids)


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_mined_candidates_are_read_candidate2score(seed: int) -> None:
    data, embed, x_texts, _ = _bucc_set(seed)
    expected = _oracle_candidates(data, embed)
    ours = candidate_scores(_mined_candidates(EmbeddedSet(data, embed)))
    assert list(ours) == list(expected)
    assert list(ours.values()) == pytest.approx(list(expected.values()), rel=1e-5)
    # the texts without an id never reach the candidates
    no_id = {data.queries[i].id for i in (3, 6, len(x_texts) - 1)}
    assert not {source for source, _ in ours} & no_id


# --- threshold and F1 ------------------------------------------------------------------------------------------


def _random_candidates(rng: random.Random, n: int, distinct_scores: int) -> list[tuple[str, str, float]]:
    """Candidates with repeated pairs (the best score counts) and tied scores (few distinct values)."""
    return [
        (f"de-{rng.randrange(n)}", f"en-{rng.randrange(n)}", rng.randrange(distinct_scores) / distinct_scores + 1.0)
        for _ in range(2 * n)
    ]


@pytest.mark.parametrize("seed", range(40))
def test_threshold_and_f1_are_bucc_optimize_and_bucc_eval_on_ties_and_repeats(seed: int) -> None:
    rng = random.Random(seed)
    n = rng.randint(3, 15)
    candidates = _random_candidates(rng, n, rng.choice([3, 5, 50]))
    gold = {(f"de-{i}", f"en-{rng.randrange(n)}") for i in range(n) if rng.random() < 0.7}
    scores = xtreme_oracle.read_candidate2score([(s, a, b) for a, b, s in candidates], *_identity(candidates))
    try:
        expected = xtreme_oracle.bucc_optimize(scores, gold)
    except IndexError:  # XTREME fails when the best prefix is every candidate; xstilts takes the last score
        expected = min(scores.values())
    threshold = best_threshold(candidates, gold)
    assert threshold == pytest.approx(expected, abs=1e-12)
    for at in (threshold, 0.0, 1.5, 10.0):
        assert bucc_f1(candidates, gold, at) == pytest.approx(xtreme_oracle.bucc_eval(scores, gold, at), abs=1e-9)


def _identity(candidates: list[tuple[str, str, float]]) -> tuple[dict[str, str], dict[str, str]]:
    """Sentence-id maps that map every candidate's id to itself (the candidates already carry ids)."""
    return {a: a for a, _, _ in candidates}, {b: b for _, b, _ in candidates}


def test_threshold_keeps_the_first_of_equal_best_f1s() -> None:
    # Two gold pairs; prefixes by score: [a] F1 = 2/3, [a b c d] 2 correct of 4, F1 = 2/3 again (exactly, in
    # floating point too). bucc_optimize updates on a strict improvement only: the cut stays after a.
    candidates = [("a", "1", 4.0), ("b", "2", 3.0), ("c", "3", 2.0), ("d", "4", 1.0), ("e", "5", 0.5)]
    gold = {("a", "1"), ("d", "4")}
    assert xtreme_oracle.bucc_optimize(candidate_scores(candidates), gold) == 3.5
    assert best_threshold(candidates, gold) == 3.5


def test_threshold_past_the_last_candidate_is_the_last_score() -> None:
    # Every candidate correct: XTREME's bucc_optimize reads items[i + 1] past the end; xstilts stops at the last.
    candidates = [("a", "x", 3.0), ("b", "y", 2.0)]
    gold = {("a", "x"), ("b", "y")}
    with pytest.raises(IndexError):
        xtreme_oracle.bucc_optimize(candidate_scores(candidates), gold)
    assert best_threshold(candidates, gold) == 2.0
    assert bucc_f1(candidates, gold, 2.0)["f1"] == pytest.approx(100.0)


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_threshold_and_f1_of_mined_pairs_are_xtremes(seed: int) -> None:
    data, embed, _, _ = _bucc_set(seed)
    expected = _oracle_candidates(data, embed)
    candidates = _mined_candidates(EmbeddedSet(data, embed))
    threshold = best_threshold(candidates, data.gold)
    assert threshold == pytest.approx(xtreme_oracle.bucc_optimize(expected, data.gold), rel=1e-5)
    scores = bucc_f1(candidates, data.gold, threshold)
    assert scores == pytest.approx(xtreme_oracle.bucc_eval(expected, data.gold, threshold), abs=1e-9)
    assert 0 < scores["f1"] < 100  # neither trivial nor perfect: the threshold matters


def _read_id_file(path: Path) -> tuple[list[str], list[str]]:
    lines = [line.split("\t") for line in path.read_text(encoding="utf-8").splitlines()]
    return [sentence_id for sentence_id, _ in lines], [text for _, text in lines]


def _oracle_bucc_split(root: Path, split: str, embed: FixedEmbedder) -> tuple[dict[tuple[str, str], float], set]:
    """XTREME's BUCC pipeline over the files of one split: mine the texts, map them to ids, read the gold."""
    x_ids, x_texts = _read_id_file(root / f"de-en.{split}.de")
    y_ids, y_texts = _read_id_file(root / f"de-en.{split}.en")
    x = np.stack([embed.vectors[t] for t in x_texts])
    y = np.stack([embed.vectors[t] for t in y_texts])
    lines = xtreme_oracle.mine_bitext(x, y, x_texts, y_texts)
    scores = xtreme_oracle.read_candidate2score(
        lines, xtreme_oracle.read_sent2id(x_ids, x_texts), xtreme_oracle.read_sent2id(y_ids, y_texts)
    )
    gold = {tuple(line.split("\t")) for line in (root / f"de-en.{split}.gold").read_text().splitlines()}
    return scores, gold


def test_bucc_protocol_is_xtremes_pipeline(tmp_path: Path) -> None:
    # The threshold is chosen on the labelled sample split, applied to the test split; the submission file
    # scored by evaluate.py's bucc_f1 gives the protocol's own scores.
    sentences = parallel_sentences("de", 60)
    dev_pairs, test_pairs, noise = sentences[:20], sentences[20:50], [e for _, e in sentences[50:]]
    write_bucc(tmp_path, "de", "sample", dev_pairs, noise[:6])
    write_bucc(tmp_path, "de", "training", test_pairs, noise[6:])
    rng = np.random.default_rng(7)
    vectors: dict[str, np.ndarray] = {}
    for rank, (source, english) in enumerate(dev_pairs + test_pairs):
        vectors[source] = rng.normal(size=DIM)
        vectors[english] = vectors[source] + (0.5 + 0.1 * (rank % 20)) * rng.normal(size=DIM)
    vectors |= {english: rng.normal(size=DIM) for english in noise}
    embed = FixedEmbedder(vectors)
    outcome = bucc(protocol_sets(get_task("bucc2018"), "de", local(tmp_path), embed), "test")
    dev_scores, dev_gold = _oracle_bucc_split(tmp_path, "sample", embed)
    test_scores, test_gold = _oracle_bucc_split(tmp_path, "training", embed)
    threshold = xtreme_oracle.bucc_optimize(dev_scores, dev_gold)
    assert outcome.details["threshold"] == pytest.approx(threshold, rel=1e-5)
    expected = xtreme_oracle.bucc_eval(test_scores, test_gold, threshold)
    assert outcome.scores == pytest.approx(expected, abs=1e-9)
    submitted = {tuple(line.split("\t")) for line in outcome.predictions.splitlines()}
    assert submitted == {pair for pair, score in test_scores.items() if score >= threshold}
    correct = len(submitted & test_gold)
    assert 0 < correct < len(test_gold)
    assert outcome.scores["precision"] == pytest.approx(100 * correct / len(submitted))


# --- Tatoeba ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("seed", "queries", "pool"), [(0, 50, 50), (1, 20, 200), (2, 1, 5), (3, 30, 1)])
def test_nearest_is_similarity_search(seed: int, queries: int, pool: int) -> None:
    rng = np.random.default_rng(seed)
    q, p = rng.normal(size=(queries, DIM)), rng.normal(size=(pool, DIM)) * rng.uniform(0.1, 10, size=(pool, 1))
    found = nearest(normalize(q), normalize(p))
    assert found.tolist() == xtreme_oracle.similarity_search(p, q)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_tatoeba_protocol_is_nearest_neighbour_accuracy_in_xtremes_label_space(tmp_path: Path, seed: int) -> None:
    # Each source sentence's nearest English sentence, as a line of XTREME's sorted English file (the labels'
    # index space: utils_preprocess writes the stripped English sentences sorted by text).
    n = 40
    write_tatoeba(tmp_path, ["de"], n)
    pairs = parallel_sentences("de", n)
    rng = np.random.default_rng(seed)
    english = rng.normal(size=(n, DIM))
    sources = english + rng.uniform(0.3, 1.6, size=(n, 1)) * rng.normal(size=(n, DIM))
    vectors = {e: english[i] for i, (_, e) in enumerate(pairs)} | {s: sources[i] for i, (s, _) in enumerate(pairs)}
    outcome = tatoeba(protocol_sets(get_task("tatoeba"), "de", local(tmp_path), FixedEmbedder(vectors)), "test")
    found = xtreme_oracle.similarity_search(english, sources)  # queries: the source sentences (xx -> en)
    by_text = sorted(range(n), key=lambda i: pairs[i][1].strip())
    line = {original: position for position, original in enumerate(by_text)}
    labels = [str(line[i]) for i in range(n)]
    predictions = [str(line[j]) for j in found]
    assert outcome.predictions.splitlines() == predictions
    expected = xtreme_oracle.accuracy(labels, predictions)
    assert outcome.scores == {"accuracy": pytest.approx(expected)}
    assert 0 < expected < 100  # some sentences retrieve another translation
    # the same accuracy in the original index space
    assert tatoeba_accuracy(found) == {"accuracy": pytest.approx(expected)}
