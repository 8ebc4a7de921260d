"""Retrieval evaluation: layer pooling, nearest neighbours, BUCC margin mining and its threshold, mAP@20, the kind's
features through the feature cache and the one evaluation loop, the plan (no target training for a retrieval
target) and a tiny end-to-end run of Tatoeba after phase 1."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from tests import xtreme_oracle
from tests.builders import LANGUAGE_WORDS
from tests.conftest import SHARED_DATA, experiment_yaml
from tests.retrieval_files import (
    FixedEmbedder,
    mewsli_context,
    mewsli_entity,
    parallel_sentences,
    protocol_sets,
    write_bucc,
    write_mewsli,
    write_tatoeba,
    write_xquad_r,
)
from xstilts.artefacts import PhaseDir
from xstilts.cli import app
from xstilts.data.batching import collate
from xstilts.data.examples import RetrievalExample, RetrievalItem
from xstilts.data.features import FeatureCache, Features
from xstilts.data.sources import DataSource
from xstilts.errors import ConfigError, XstiltsError
from xstilts.evaluation import retrieval
from xstilts.evaluation.phase import run_eval_phase
from xstilts.evaluation.retrieval import (
    EmbeddedSet,
    Embeddings,
    _mined_candidates,
    bucc,
    entity_linking,
    mine,
    nearest,
    normalize,
    ranked,
    sorted_positions,
    tatoeba,
    top_k,
    unique_rows,
)
from xstilts.experiments.plan import build_plan
from xstilts.experiments.spec import load_spec
from xstilts.kinds.retrieval import CANDIDATES, QUERIES, RETRIEVAL, Retrieval, featurize_retrieval, side_rows
from xstilts.models.encoder import load_encoder
from xstilts.models.multitask import MultiTaskModel
from xstilts.models.pooling import default_layer, pool, resolve_layer
from xstilts.phase_config import EvalPhaseConfig, ModelRef
from xstilts.tasks.lareqa import LAREQA_LANGUAGES
from xstilts.tasks.registry import get_task
from xstilts.tasks.tatoeba import TATOEBA_CODES

CPU = torch.device("cpu")
T = TypeVar("T")

# --- pooling ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("layers", "expected"), [(24, 14), (12, 7), (6, 4), (2, 1), (1, 1)])
def test_default_layer_scales_xtremes_layer_14_of_24(layers: int, expected: int) -> None:
    assert default_layer(layers) == expected
    lareqa, mewsli_x = get_task("lareqa").retrieval_layers, get_task("mewsli_x").retrieval_layers
    assert default_layer(layers, lareqa) == default_layer(layers, mewsli_x) == expected


@pytest.mark.parametrize(
    ("task", "layers", "expected"),
    [
        # run_tatoeba.sh: --num_layers 12 --specific_layer 7 (mBERT), 24 / 13 (XLM-R large); extract_embeddings
        # keeps hidden_states[-num_layers:], so index i is hidden_states[depth - num_layers + i + 1]
        ("tatoeba", 12, 8),
        ("tatoeba", 24, 14),
        # run_bucc2018.sh: --specific_layer 7 and the default --num_layers 12 for every model
        ("bucc2018", 12, 8),
        ("bucc2018", 24, 20),
        # other depths: the scaled rule
        ("tatoeba", 6, 4),
        ("bucc2018", 6, 4),
        ("bucc2018", 2, 1),
    ],
)
def test_task_default_layers_follow_xtremes_scripts(task: str, layers: int, expected: int) -> None:
    task_layers = get_task(task).retrieval_layers
    assert default_layer(layers, task_layers) == resolve_layer(None, layers, task_layers) == expected
    assert resolve_layer(1, layers, task_layers) == 1  # an explicit layer always wins


def test_resolve_layer_checks_bounds() -> None:
    assert resolve_layer(None, 24) == 14 and resolve_layer(0, 2) == 0 and resolve_layer(2, 2) == 2
    with pytest.raises(XstiltsError, match=r"retrieval_layer 3 is outside this encoder's layers 0\.\.2"):
        resolve_layer(3, 2)


def test_pool_mean_ignores_padding_and_cls_takes_the_first_token() -> None:
    hidden = torch.tensor([[[1.0, 2.0], [3.0, 4.0], [100.0, 100.0]]])
    mask = torch.tensor([[1, 1, 0]])
    assert pool(hidden, mask, "mean").tolist() == [[2.0, 3.0]]
    assert pool(hidden, mask, "cls").tolist() == [[1.0, 2.0]]


class _Embedder:
    """Items embedded as an evaluation embeds them: featurized by the retrieval kind (max_length 32), pooled by the
    retrieval head and remembered by the phase's :class:`Embeddings`."""

    def __init__(self, model: Path, layer: int, pooling: str = "mean", batch_size: int = 8) -> None:
        self.encoder, self.tokenizer = load_encoder(str(model))
        head = {"kind": "retrieval", "num_labels": 0, "options": {"layer": layer, "pooling": pooling}}
        embedding_model = MultiTaskModel(self.encoder, {"r": head})
        self.embeddings = Embeddings(embedding_model, "r", self.tokenizer.pad_token_id, batch_size, torch.device("cpu"))
        self.memo = self.embeddings.memo

    def __call__(self, items: list[RetrievalItem] | tuple[RetrievalItem, ...], side: int = QUERIES) -> np.ndarray:
        features = featurize_retrieval([RetrievalExample("set", tuple(items), (), ())], self.tokenizer, 32)
        return self.embeddings.side(features, items, QUERIES)


def _embedder(model: Path, layer: int, pooling: str = "mean", batch_size: int = 8) -> _Embedder:
    return _Embedder(model, layer, pooling, batch_size)


def test_the_chosen_layer_is_the_one_embedded(tiny_model: Path) -> None:
    items = [RetrievalItem(str(i), text) for i, text in enumerate(["cat dog", "the sun is a book of city", "tree"])]
    first, second = _embedder(tiny_model, 1), _embedder(tiny_model, 2)
    one, two = first(items), second(items)
    assert one.shape == (3, 32) and not np.allclose(one, two)
    encoder, tokenizer = first.encoder, first.tokenizer
    for item, row_one, row_two in zip(items, one, two, strict=True):
        # one sentence alone (no padding): the plain token mean of hidden_states[layer]
        with torch.no_grad():
            states = encoder(**tokenizer(item.text, return_tensors="pt"), output_hidden_states=True).hidden_states
        np.testing.assert_allclose(row_one, states[1][0].mean(0).numpy(), rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(row_two, states[2][0].mean(0).numpy(), rtol=1e-5, atol=1e-6)
    cls = _embedder(tiny_model, 1, "cls")(items)
    assert not np.allclose(cls, one)


def test_embedder_remembers_pool_items(tiny_model: Path) -> None:
    embed = _embedder(tiny_model, 1)
    first = embed([RetrievalItem("a", "cat", "the city"), RetrievalItem("b", "dog")])
    assert len(embed.memo) == 2
    again = embed([RetrievalItem("z", "dog"), RetrievalItem("y", "cat", "the city")])
    assert len(embed.memo) == 2 and np.array_equal(again, first[::-1])
    with_other_context = embed([RetrievalItem("c", "cat", "the road")])
    assert len(embed.memo) == 3 and not np.allclose(with_other_context[0], first[0])


# --- search and mining ----------------------------------------------------------------------------------------------


def test_top_k_and_nearest_are_cosine_rankings() -> None:
    rng = np.random.default_rng(0)
    queries, pool_vectors = rng.normal(size=(7, 5)), rng.normal(size=(30, 5))
    similarities, indices = top_k(normalize(queries), normalize(pool_vectors), 4)
    for row in range(7):
        cosine = [
            q @ p / (np.linalg.norm(q) * np.linalg.norm(p))
            for q, p in zip([queries[row]] * 30, pool_vectors, strict=True)
        ]
        assert list(indices[row]) == list(np.argsort(cosine)[::-1][:4])
        np.testing.assert_allclose(similarities[row], np.sort(cosine)[::-1][:4], rtol=1e-5)
    assert list(nearest(normalize(queries), normalize(pool_vectors))) == list(indices[:, 0])


def _both_backends(monkeypatch: pytest.MonkeyPatch, compute: Callable[[], T]) -> tuple[T, T]:
    """``compute()`` with faiss (pinned in requirements.lock, so required here) and again with numpy."""
    from xstilts.evaluation import retrieval

    assert retrieval._faiss() is not None, "faiss-cpu (requirements.lock) is not installed"
    with_faiss = compute()
    monkeypatch.setattr(retrieval, "_faiss", lambda: None)
    with_numpy = compute()
    monkeypatch.undo()
    return with_faiss, with_numpy


@pytest.mark.parametrize(("queries", "pool", "k"), [(6, 40, 5), (300, 5000, 20), (3, 2, 4), (1, 1, 1), (0, 10, 3)])
def test_faiss_and_numpy_search_give_the_same_neighbours(
    monkeypatch: pytest.MonkeyPatch, queries: int, pool: int, k: int
) -> None:
    # More neighbours asked than the pool holds gives the whole pool, on both paths.
    rng = np.random.default_rng(queries + pool)
    q, p = normalize(rng.normal(size=(queries, 16))), normalize(rng.normal(size=(pool, 16)))
    with_faiss, with_numpy = _both_backends(monkeypatch, lambda: top_k(q, p, k))
    assert with_faiss[1].shape == with_numpy[1].shape == (queries, min(k, pool))
    assert np.array_equal(with_faiss[1], with_numpy[1])
    np.testing.assert_allclose(with_faiss[0], with_numpy[0], rtol=1e-5, atol=1e-6)
    nearest_faiss, nearest_numpy = _both_backends(monkeypatch, lambda: nearest(q, p))
    assert np.array_equal(nearest_faiss, nearest_numpy)


@pytest.mark.parametrize("queries", [1, 30])
def test_faiss_and_numpy_list_exact_ties_lowest_index_first(monkeypatch: pytest.MonkeyPatch, queries: int) -> None:
    # Duplicate sentences embed identically. faiss's IndexFlatIP keeps the lowest ids of a tie but returned them
    # highest first (4, 3, 1 here): Tatoeba's nearest English sentence, and mining's best candidate, then depended
    # on whether faiss was installed. XTREME's Tatoeba search (IndexFlatL2) lists them lowest first, as numpy does.
    rng = np.random.default_rng(0)
    pool = normalize(rng.normal(size=(50, 8)))
    pool[[3, 4, 25, 49]] = pool[1]
    q = np.repeat(pool[1:2], queries, axis=0)
    with_faiss, with_numpy = _both_backends(monkeypatch, lambda: top_k(q, pool, 3))
    assert with_faiss[1].tolist() == with_numpy[1].tolist() == [[1, 3, 4]] * queries
    assert xtreme_oracle.similarity_search(pool, q) == [1] * queries


@pytest.mark.parametrize("seed", [0, 1])
def test_faiss_and_numpy_mine_the_same_pairs(monkeypatch: pytest.MonkeyPatch, seed: int) -> None:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(60, 16))
    y = np.concatenate([x[:45] + 0.8 * rng.normal(size=(45, 16)), rng.normal(size=(30, 16))])
    with_faiss, with_numpy = _both_backends(monkeypatch, lambda: mine(x, y))
    assert [(i, j) for _, i, j in with_faiss] == [(i, j) for _, i, j in with_numpy]
    assert [s for s, _, _ in with_faiss] == pytest.approx([s for s, _, _ in with_numpy], rel=1e-5)


def test_margin_mining_by_hand() -> None:
    # cos: x0·y0 = 1, x0·y1 = .6, x1·y0 = 0, x1·y1 = .8; with k = 2 the neighbourhood means are
    # x: .8, .4 and y: .5, .7; margins: (0,0) 1/.65, (0,1) .6/.75, (1,0) 0, (1,1) .8/.55.
    x = np.array([[1.0, 0.0], [0.0, 1.0]])
    y = np.array([[1.0, 0.0], [0.6, 0.8]])
    pairs = mine(x, y, k=2)
    assert [(i, j) for _, i, j in pairs] == [(0, 0), (1, 1)]
    assert [s for s, _, _ in pairs] == pytest.approx([1 / 0.65, 0.8 / 0.55])


def _brute_force_mine(x: np.ndarray, y: np.ndarray, k: int) -> list[tuple[float, int, int]]:
    """LASER's recipe written out with loops over every pair (``tests/xtreme_oracle.py``), rows as indices."""
    x_texts, y_texts = [f"x{i}" for i in range(len(x))], [f"y{j}" for j in range(len(y))]
    lines = xtreme_oracle.mine_bitext(x, y, x_texts, y_texts, neighbourhood=k)
    return [(score, x_texts.index(source), y_texts.index(target)) for score, source, target in lines]


def test_mining_makes_each_side_distinct_by_text_first() -> None:
    # mine_bitext mines the distinct sentences (text_load_unify + unique_embeddings): a copy of y[2] must not take
    # a neighbour slot. Mining y with a duplicate of y[2] (keyed by text) is mining y, the copy's id being y[2]'s.
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(6, 4)), rng.normal(size=(6, 4))
    y_dup = np.concatenate([y, y[2:3]])
    y_texts = [f"en {j}" for j in range(6)] + ["en 2"]
    expected = _brute_force_mine(x, y, 4)
    deduped = mine(x, y_dup, y_keys=y_texts)
    assert [(i, j) for _, i, j in deduped] == [(i, j) for _, i, j in expected] == [(i, j) for _, i, j in mine(x, y)]
    assert [s for s, _, _ in deduped] == pytest.approx([s for s, _, _ in expected], rel=1e-5)
    assert dict(((i, j), s) for s, i, j in deduped)[(5, 2)] == pytest.approx(1.4614, abs=1e-4)
    # without the text keys the copy crowds the neighbourhoods: the margin the reviewer saw before the fix
    crowded = dict(((i, j), s) for s, i, j in mine(x, y_dup))
    assert crowded[(5, 2)] == pytest.approx(1.2582, abs=1e-4)
    # duplicates on the source side too; the indices are each text's first row
    x_dup = np.concatenate([x[:1], x])
    x_texts = ["de 0"] + [f"de {i}" for i in range(6)]
    both = mine(x_dup, y_dup, x_keys=x_texts, y_keys=y_texts)
    assert [(i - 1 if i else 0, j) for _, i, j in both] == [(i, j) for _, i, j in expected]
    assert unique_rows(["a", "b", "a", "c", "b"]) == [0, 1, 3]
    with pytest.raises(ValueError, match="6 keys for 7 rows"):
        mine(x, y_dup, y_keys=y_texts[:6])


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_margin_mining_matches_brute_force(seed: int) -> None:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(9, 6))
    y = np.concatenate([x[:6] + 0.5 * rng.normal(size=(6, 6)), rng.normal(size=(5, 6))])
    mined = mine(x, y, k=4)
    expected = _brute_force_mine(x, y, 4)
    assert [(i, j) for _, i, j in mined] == [(i, j) for _, i, j in expected]
    assert [s for s, _, _ in mined] == pytest.approx([s for s, _, _ in expected], rel=1e-5)


# --- protocols, with embeddings given by hand ------------------------------------------------------------------------


def _local(path: Path) -> DataSource:
    return DataSource(source="local", path=str(path))


def test_tatoeba_protocol_predicts_nearest_indices(tmp_path: Path) -> None:
    write_tatoeba(tmp_path, ["de"], n=6)
    pairs = parallel_sentences("de", 6)
    directions = np.eye(6)
    found = [0, 1, 2, 4, 3, 5]  # sentences 3 and 4 look like each other's translation
    vectors = {english: directions[i] for i, (_, english) in enumerate(pairs)}
    vectors |= {source: directions[found[i]] + 0.1 for i, (source, _) in enumerate(pairs)}
    outcome = tatoeba(protocol_sets(get_task("tatoeba"), "de", _local(tmp_path), FixedEmbedder(vectors)), "test")
    # the file gives lines of XTREME's English file, sorted by stripped text
    sorted_english = sorted(english.strip() for _, english in pairs)
    lines = [sorted_english.index(pairs[i][1].strip()) for i in found]
    assert outcome.predictions == "".join(f"{line}\n" for line in lines) and outcome.extension == "tsv"
    assert outcome.scores == {"accuracy": pytest.approx(4 / 6 * 100)}


class OneTatoebaSet:
    name = "tatoeba"

    def __init__(self, sources: list[str], english: list[str]) -> None:
        self.sources, self.english = sources, english

    def read(self, split: str, language: str, source: DataSource) -> list:
        return [
            RetrievalExample(
                "set",
                tuple(RetrievalItem(str(i), text) for i, text in enumerate(self.sources)),
                tuple(RetrievalItem(str(i), text) for i, text in enumerate(self.english)),
                tuple((str(i), str(i)) for i in range(len(self.sources))),
            )
        ]


def test_tatoeba_predictions_index_xtremes_sorted_english_file() -> None:
    # utils_preprocess.tatoeba_preprocess writes the English side sorted by stripped text; labels index that file
    directions = np.eye(3)
    vectors = {"b": directions[0], "a": directions[1], "c": directions[2]}
    vectors |= {"x b": directions[0], "x a": directions[1], "x c": directions[2]}
    task = OneTatoebaSet(["x b", "x a", "x c"], ["b", "a", "c"])
    outcome = tatoeba(protocol_sets(task, "de", DataSource(), FixedEmbedder(vectors)), "test")
    assert outcome.predictions == "1\n0\n2\n"
    assert outcome.scores == {"accuracy": pytest.approx(100.0)}  # our own accuracy is unchanged


def test_sorted_positions_is_a_stable_sort_of_stripped_text() -> None:
    # "a" and " a" strip to the same text: both lines stay, in their original order (Python's sort is stable)
    assert sorted_positions(["b", "a", " a", "c"]) == [2, 0, 1, 3]
    assert sorted_positions(["b", " a", "a", "c"]) == [2, 0, 1, 3]
    assert sorted_positions(["same", "same"]) == [0, 1]
    assert sorted_positions([]) == []


def _bucc_vectors(pairs: list[tuple[str, str]], noise: list[str], seed: int) -> dict[str, np.ndarray]:
    """Translations close to their source, each less so than the previous; noise sentences random."""
    rng = np.random.default_rng(seed)
    vectors: dict[str, np.ndarray] = {}
    for rank, (source, english) in enumerate(pairs):
        base = rng.normal(size=12)
        vectors[source] = base
        vectors[english] = base + (0.2 + 0.25 * rank) * rng.normal(size=12)
    vectors |= {text: rng.normal(size=12) for text in noise}
    return vectors


def _read_bucc_side(path: Path) -> tuple[list[str], list[str]]:
    rows = [line.split("\t") for line in path.read_text(encoding="utf-8").splitlines()]
    return [i for i, _ in rows], [text for _, text in rows]


def _brute_force_bucc(
    root: Path, split: str, vectors: dict[str, np.ndarray], threshold: float | None = None
) -> tuple[float, set[tuple[str, str]], set[tuple[str, str]]]:
    """Reads the written BUCC files itself, mines them with the loop-by-loop recipe (no sentence repeats here) and
    either picks the threshold (``threshold=None``: every cut between two consecutive scores tried, the F1-best
    one kept, the highest on a tie, set halfway to the next lower score as bucc_optimize does) or applies the one
    given. Returns (threshold, extracted pairs, gold pairs)."""
    source_ids, sources = _read_bucc_side(root / f"de-en.{split}.de")
    target_ids, targets = _read_bucc_side(root / f"de-en.{split}.en")
    gold = {(s, t) for s, t in (line.split("\t") for line in (root / f"de-en.{split}.gold").read_text().splitlines())}
    mined = _brute_force_mine(np.stack([vectors[t] for t in sources]), np.stack([vectors[t] for t in targets]), 4)
    scored = sorted(((score, (source_ids[i], target_ids[j])) for score, i, j in mined), reverse=True)

    def f1(extracted: set[tuple[str, str]]) -> float:
        correct = len(extracted & gold)
        return 0.0 if correct == 0 else 2 * correct / (len(extracted) + len(gold))

    if threshold is None:
        cuts = [(f1({pair for _, pair in scored[: n + 1]}), -n) for n in range(len(scored))]
        best_f1, minus_n = max(cuts)
        n = -minus_n
        assert best_f1 > 0
        threshold = (scored[n][0] + scored[n + 1][0]) / 2 if n + 1 < len(scored) else scored[n][0]
    return threshold, {pair for score, pair in scored if score >= threshold}, gold


def test_bucc_threshold_is_chosen_on_the_sample_split_and_applied_to_test(tmp_path: Path) -> None:
    sentences = parallel_sentences("de", 16)
    dev_pairs, test_pairs = sentences[:6], sentences[6:14]
    noise = [english for _, english in sentences[14:]]
    task = get_task("bucc2018")
    vectors = _bucc_vectors(dev_pairs, noise, 0) | _bucc_vectors(test_pairs, [], 1)
    embed = FixedEmbedder(vectors)
    outcomes = {}
    for name, gold_count in (("all_gold", 6), ("one_gold", 1)):
        root = tmp_path / name
        write_bucc(root, "de", "sample", dev_pairs, noise)
        write_bucc(root, "de", "training", test_pairs, [])
        gold = (root / "de-en.sample.gold").read_text().splitlines(keepends=True)
        (root / "de-en.sample.gold").write_text("".join(gold[:gold_count]))  # the labelled split decides
        outcomes[name] = bucc(protocol_sets(task, "de", _local(root), embed), "test")
        # the expected outcome, from the files and the vectors alone
        threshold, _, _ = _brute_force_bucc(root, "sample", vectors)
        _, extracted, test_gold = _brute_force_bucc(root, "training", vectors, threshold)
        assert outcomes[name].details["threshold"] == pytest.approx(threshold, rel=1e-6)
        assert outcomes[name].details["threshold_split"] == "dev"
        predicted = {tuple(line.split("\t")) for line in outcomes[name].predictions.splitlines()}
        assert len(predicted) == len(outcomes[name].predictions.splitlines())
        assert predicted == extracted
        correct = len(extracted & test_gold)
        precision, recall = correct / len(extracted), correct / len(test_gold)
        assert outcomes[name].scores == pytest.approx(
            {
                "precision": 100 * precision,
                "recall": 100 * recall,
                "f1": 100 * 2 * precision * recall / (precision + recall),
            }
        )
        for source, english in predicted:
            assert source.startswith("de-") and english.startswith("en-")
    low, high = outcomes["all_gold"], outcomes["one_gold"]
    assert high.details["threshold"] > low.details["threshold"]
    assert len(high.predictions.splitlines()) < len(low.predictions.splitlines())
    assert low.scores["recall"] > high.scores["recall"]
    # by hand: the dev cut with every gold pair labelled keeps 7 of the 8 test translations (all correct), the
    # stricter cut of the one-gold dev set keeps 5
    assert low.scores == pytest.approx({"precision": 100.0, "recall": 100 * 7 / 8, "f1": 100 * 14 / 15})
    assert high.scores == pytest.approx({"precision": 100.0, "recall": 100 * 5 / 8, "f1": 100 * 10 / 13})


def test_bucc_mines_distinct_texts_and_drops_repeated_ones(tmp_path: Path) -> None:
    # An English sentence listed twice (as a gold translation and again as noise): mining sees it once, so every
    # other pair scores as in the corpus without the copy; the repeated text has no id (read_sent2id), so its
    # pairs are dropped.
    sentences = parallel_sentences("de", 9)
    pairs, noise = sentences[:6], [english for _, english in sentences[6:]]
    vectors = _bucc_vectors(pairs, noise, 0)
    embed = FixedEmbedder(vectors)
    write_bucc(tmp_path / "plain", "de", "sample", pairs, noise)
    write_bucc(tmp_path / "copy", "de", "sample", pairs, [*noise, pairs[0][1]])
    task = get_task("bucc2018")
    [plain] = task.read("dev", "de", _local(tmp_path / "plain"))
    [copy] = task.read("dev", "de", _local(tmp_path / "copy"))
    repeated = {e.id for e in copy.candidates if e.text == pairs[0][1]}
    assert len(repeated) == 2
    expected = [c for c in _mined_candidates(EmbeddedSet(plain, embed)) if c[1] not in repeated]
    mined = _mined_candidates(EmbeddedSet(copy, embed))
    assert [(s, t) for s, t, _ in mined] == [(s, t) for s, t, _ in expected]
    assert [score for _, _, score in mined] == pytest.approx([score for _, _, score in expected], rel=1e-6)
    assert len(expected) < len(_mined_candidates(EmbeddedSet(plain, embed)))


def test_map_at_20_on_known_rankings(tmp_path: Path) -> None:
    # 25 candidates at growing angles: query A (angle 0) ranks them 0..24, query B (angle 90°) 24..0.
    # A's golds rank 1, 3 and 25 (outside the top 20): AP = (1/1 + 2/3) / 3; B's gold ranks 2: AP = 1/2.
    angles = [j * (math.pi / 2) / 24 for j in range(25)]
    candidates = tuple(RetrievalItem(f"c{j}", f"candidate {j}") for j in range(25))
    queries = (RetrievalItem("A", "query a"), RetrievalItem("B", "query b"))
    gold = (("A", "c0"), ("A", "c2"), ("A", "c24"), ("B", "c23"))
    vectors = {f"candidate {j}": np.array([math.cos(a), math.sin(a)]) for j, a in enumerate(angles)}
    vectors |= {"query a": np.array([1.0, 0.0]), "query b": np.array([0.0, 1.0])}

    class OneSet:
        name = "lareqa"

        def read(self, split: str, language: str, source: DataSource) -> list[RetrievalExample]:
            return [RetrievalExample("set", queries, candidates, gold)]

    outcome = ranked(protocol_sets(OneSet(), "de", DataSource(), FixedEmbedder(vectors)), "test")
    assert outcome.scores == {"map@20": pytest.approx(((1 + 2 / 3) / 3 + 1 / 2) / 2 * 100)}
    rankings = json.loads(outcome.predictions)
    assert rankings["A"] == [f"c{j}" for j in range(20)] and rankings["B"] == [f"c{j}" for j in range(24, 4, -1)]


def test_mewsli_x_scores_mrr_at_20_as_map_at_20(tmp_path: Path) -> None:
    contexts = [mewsli_context("de", "Der Hund lief. Die Katze schlief", [("m1", "Hund", "Q1"), ("m2", "Katze", "Q2")])]
    entities = [mewsli_entity(f"Q{k}", f"entity {k}") for k in range(1, 5)]
    root = write_mewsli(tmp_path, "test", contexts, entities)
    vectors = {f"entity {k}": np.array([math.cos(k / 4), math.sin(k / 4)]) for k in range(1, 5)}
    # m1 sits on Q1 (rank 1); m2 sits on Q4, so Q2 ranks third (Q4, Q3, Q2, Q1)
    vectors |= {"Hund: Der { Hund } lief": vectors["entity 1"], "Katze: Die { Katze } schlief": vectors["entity 4"]}
    outcome = entity_linking(protocol_sets(get_task("mewsli_x"), "de", _local(root), FixedEmbedder(vectors)), "test")
    assert outcome.scores == {"map@20": pytest.approx((1 + 1 / 3) / 2 * 100)}
    assert json.loads(outcome.predictions) == {"m1": ["Q1", "Q2", "Q3", "Q4"], "m2": ["Q4", "Q3", "Q2", "Q1"]}


def _tatoeba_gold_lines(english_file: Path) -> list[int]:
    """Line i of LASER's English file is sentence i's translation; XTREME's labels give its line in the English file
    sorted by stripped text (no repeated sentence in the files used here)."""
    english = [line.strip() for line in english_file.read_text(encoding="utf-8").splitlines()]
    assert len(set(english)) == len(english)
    in_order = sorted(english)
    return [in_order.index(sentence) for sentence in english]


def _accuracy_of_prediction_file(predictions: str, gold_lines: list[int]) -> float:
    predicted = [int(line) for line in predictions.splitlines()]
    assert len(predicted) == len(gold_lines)
    return 100 * sum(p == g for p, g in zip(predicted, gold_lines, strict=True)) / len(gold_lines)


SHARED_TATOEBA = SHARED_DATA / "tatoeba"


@pytest.mark.skipif(not SHARED_TATOEBA.is_dir(), reason="shared Tatoeba files not present")
def test_real_tatoeba_with_a_tiny_encoder(tiny_model: Path) -> None:
    outcome = tatoeba(
        protocol_sets(get_task("tatoeba"), "sw", _local(SHARED_TATOEBA), _embedder(tiny_model, 1)), "test"
    )
    lines = outcome.predictions.splitlines()
    assert len(lines) == 390 and all(0 <= int(line) < 390 for line in lines)  # SOURCE.md: 390 Swahili pairs
    # the score is the prediction file's, scored against the files' own alignment
    gold = _tatoeba_gold_lines(SHARED_TATOEBA / "tatoeba.swh-eng.eng")
    assert outcome.scores == {"accuracy": pytest.approx(_accuracy_of_prediction_file(outcome.predictions, gold))}


@pytest.mark.skipif(not SHARED_TATOEBA.is_dir(), reason="shared Tatoeba files not present")
def test_real_tatoeba_files_with_known_neighbours() -> None:
    # Each English line its own direction; Swahili line i points at English line i, except every fifth, which points
    # at the next line's translation: 78 of the 390 queries are wrong, and each prediction is known.
    swahili = (SHARED_TATOEBA / "tatoeba.swh-eng.swh").read_text(encoding="utf-8").splitlines()
    english = (SHARED_TATOEBA / "tatoeba.swh-eng.eng").read_text(encoding="utf-8").splitlines()
    n = len(english)
    assert len(swahili) == n == 390 and not {s.strip() for s in swahili} & {e.strip() for e in english}
    directions = np.eye(n)
    target = [(i + 1) % n if i % 5 == 0 else i for i in range(n)]
    vectors = {sentence.strip(): directions[j] for j, sentence in enumerate(english)}
    vectors |= {sentence.strip(): directions[target[i]] + 0.01 for i, sentence in enumerate(swahili)}
    outcome = tatoeba(protocol_sets(get_task("tatoeba"), "sw", _local(SHARED_TATOEBA), FixedEmbedder(vectors)), "test")
    gold = _tatoeba_gold_lines(SHARED_TATOEBA / "tatoeba.swh-eng.eng")
    assert outcome.predictions == "".join(f"{gold[target[i]]}\n" for i in range(n))
    assert outcome.scores == {"accuracy": pytest.approx(100 * (n - 78) / n)}
    assert _accuracy_of_prediction_file(outcome.predictions, gold) == pytest.approx(100 * (n - 78) / n)


# --- features: the kind's featurizer and the feature cache -----------------------------------------------------------


def test_retrieval_features_are_the_direct_tokenizer_calls(tiny_model: Path) -> None:
    # single texts (Tatoeba's, LAReQA's questions) are truncated to max_length; a side with contexts (LAReQA's
    # sentences in their paragraphs) is encoded as pairs, longest_first, an item without one paired with ""
    tokenizer = load_encoder(str(tiny_model))[1]
    words = " ".join(LANGUAGE_WORDS["en"])
    queries = (RetrievalItem("q0", "cat dog"), RetrievalItem("q1", f"{words} {words}"), RetrievalItem("q2", "sun"))
    candidates = (
        RetrievalItem("c0", "the sun", f"the sun {words}"),
        RetrievalItem("c1", f"{words} tree", "tree"),
        RetrievalItem("c2", "book"),
    )
    example = RetrievalExample("set", queries, candidates, (("q0", "c0"),))
    features = RETRIEVAL.featurize([example], tokenizer, [], RETRIEVAL.settings({"max_length": 12}), False)
    ids = features.sequences["input_ids"]
    direct_queries = tokenizer([q.text for q in queries], truncation=True, max_length=12)["input_ids"]
    contexts = [c.context or "" for c in candidates]
    pairs = tokenizer([c.text for c in candidates], contexts, truncation="longest_first", max_length=12)["input_ids"]
    assert [ids[row] for row in side_rows(features, QUERIES)] == direct_queries
    assert [ids[row] for row in side_rows(features, CANDIDATES)] == pairs
    assert max(len(row) for row in direct_queries) == max(len(row) for row in pairs) == 12  # both truncated
    assert features.scalars["side"] == [QUERIES] * 3 + [CANDIDATES] * 3 and features.scalars["index"] == [0, 1, 2] * 2
    # only the token ids reach the encoder (no segment ids), with a mask of ones on the real tokens
    assert [n for n, c in features.columns.items() if c.role == "input"] == ["input_ids"]
    assert features.column("side").role == features.column("index").role == "meta"
    batch = collate(features, [0, 3, 5], tokenizer.pad_token_id, with_targets=False)
    assert set(batch) == {"input_ids", "attention_mask"}
    lengths = [len(ids[row]) for row in (0, 3, 5)]
    assert batch["attention_mask"].tolist() == [[int(k < n) for k in range(max(lengths))] for n in lengths]


def _retrieval_config(
    task: str, model: Path, source: Path, languages: list[str], split: str = "test"
) -> EvalPhaseConfig:
    data = {"max_length": 32, "eval_batch_size": 4, "max_eval_examples": 16}
    return EvalPhaseConfig(
        kind="evaluate",
        parent=None,
        task=task,
        split=split,  # type: ignore[arg-type]
        languages=languages,
        data=data | {"retrieval_layer": None, "retrieval_pooling": "mean"},
        source=DataSource(source="local", path=str(source)),
        trust_remote_code=False,
        model=ModelRef(name=str(model), revision=None, fingerprint="test"),
    )


def _phase_files(directory: Path) -> dict[str, str]:
    return {str(p.relative_to(directory)): p.read_text() for p in sorted(directory.rglob("*")) if p.is_file()}


def test_a_second_evaluation_of_the_same_sets_featurizes_nothing(
    tiny_model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    featurized: list[tuple[str, ...]] = []
    featurize = Retrieval.featurize

    def counted(self: Retrieval, examples: list, *args: Any) -> Features:
        featurized.append(tuple(e.guid for e in examples))
        return featurize(self, examples, *args)

    monkeypatch.setattr(Retrieval, "featurize", counted)
    sentences = parallel_sentences("de", 14)
    bucc_root = tmp_path / "bucc"
    write_bucc(bucc_root, "de", "sample", sentences[:5], [english for _, english in sentences[10:]])
    write_bucc(bucc_root, "de", "training", sentences[5:10], [])
    configs = {
        "tatoeba": _retrieval_config(
            "tatoeba", tiny_model, write_tatoeba(tmp_path / "tatoeba", ["de", "fr"], 9), ["de", "fr"]
        ),
        "bucc2018": _retrieval_config("bucc2018", tiny_model, bucc_root, ["de"]),
    }
    cache = FeatureCache(tmp_path / "features")
    first = {
        name: run_eval_phase(c, PhaseDir(tmp_path / "a" / name), None, cache, torch.device("cpu"))
        for name, c in configs.items()
    }
    # every set once, BUCC's dev set (its threshold) through the same path as the evaluated test set
    assert featurized == [("tatoeba-de",), ("tatoeba-fr",), ("bucc2018-dev-de",), ("bucc2018-test-de",)]
    featurized.clear()
    again = {
        name: run_eval_phase(c, PhaseDir(tmp_path / "b" / name), None, cache, torch.device("cpu"))
        for name, c in configs.items()
    }
    assert featurized == [] and again == first
    assert _phase_files(tmp_path / "a") == _phase_files(tmp_path / "b")
    assert first["bucc2018"][0]["retrieval"]["threshold_split"] == "dev"
    tatoeba = configs["tatoeba"]
    other = tatoeba.model_copy(update={"data": tatoeba.data | {"max_length": 8}})  # other features
    run_eval_phase(other, PhaseDir(tmp_path / "c"), None, cache, torch.device("cpu"))
    assert featurized == [("tatoeba-de",), ("tatoeba-fr",)]


def test_lareqas_shared_pool_is_embedded_once_per_phase(
    tiny_model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # each language's set is featurized (and cached) on its own, but the memo of the phase embeds the pool of all
    # languages' sentences once: the second language runs only its questions
    root = write_xquad_r(tmp_path / "xquad_r", list(LAREQA_LANGUAGES), questions=3)
    embedded: list[int] = []
    forward = retrieval.forward_batches

    def counted(model: Any, head: str, features: Features, batches: list[list[int]], *args: Any) -> Any:
        embedded.append(sum(len(batch) for batch in batches))
        return forward(model, head, features, batches, *args)

    monkeypatch.setattr(retrieval, "forward_batches", counted)
    config = _retrieval_config("lareqa", tiny_model, root, ["de", "en"])
    rows = run_eval_phase(
        config, PhaseDir(tmp_path / "phase"), None, FeatureCache(tmp_path / "features"), torch.device("cpu")
    )
    assert [(r["language"], r["metric"]) for r in rows] == [("de", "map@20"), ("en", "map@20")]
    [de], [en] = (get_task("lareqa").read("test", language, _local(root)) for language in ("de", "en"))
    assert de.candidates == en.candidates

    def distinct(items: tuple[RetrievalItem, ...]) -> int:
        return len({(item.text, item.context) for item in items})

    assert embedded == [distinct(de.queries), distinct(de.candidates), distinct(en.queries)]


def test_retrieval_evaluation_resumes_a_partial_run_directory(tiny_model: Path, tmp_path: Path) -> None:
    # a language finished before the upgrade keeps its record ({"scores", "retrieval"}) and is not evaluated again
    config = _retrieval_config(
        "tatoeba", tiny_model, write_tatoeba(tmp_path / "tatoeba", ["de", "fr"], 9), ["de", "fr"]
    )
    phase = tmp_path / "phase"
    settings = {"layer": 1, "num_layers": 2, "pooling": "mean"}
    (phase / "languages").mkdir(parents=True)
    (phase / "languages" / "de.json").write_text(json.dumps({"scores": {"accuracy": 12.5}, "retrieval": settings}))
    rows = run_eval_phase(config, PhaseDir(phase), None, FeatureCache(tmp_path / "features"), torch.device("cpu"))
    assert [(r["language"], r["metric"], r["retrieval"]) for r in rows] == [
        ("de", "accuracy", settings),
        ("fr", "accuracy", settings),
    ]
    assert rows[0]["value"] == 12.5
    assert sorted(p.name for p in (phase / "predictions" / "tatoeba").iterdir()) == ["test-fr.tsv"]
    record = json.loads((phase / "languages" / "fr.json").read_text())
    assert set(record) == {"scores", "retrieval"} and record["scores"]["accuracy"] == rows[1]["value"]


def test_retrieval_of_an_adapter_artefact_is_refused_before_loading(tmp_path: Path) -> None:
    parent = tmp_path / "parent"
    parent.mkdir()
    (parent / "adapter_setup.json").write_text("{}")
    config = _retrieval_config("tatoeba", tmp_path / "no-model", tmp_path, ["de"])
    with pytest.raises(XstiltsError, match="'tatoeba': retrieval evaluation of an adapter artefact is not supported"):
        run_eval_phase(
            config,
            PhaseDir(tmp_path / "phase"),
            PhaseDir(parent),
            FeatureCache(tmp_path / "features"),
            torch.device("cpu"),
        )


# --- the plan and a run ----------------------------------------------------------------------------------------------

SPEC = """\
name: r
model: xlm-roberta-large
intermediate: [none, mnli]
target: [tatoeba, xnli]
"""


def _plan(tmp_path: Path, text: str = SPEC, overrides: tuple[str, ...] = ()) -> list:
    path = tmp_path / "e.yaml"
    path.write_text(text)
    return build_plan(load_spec(path, overrides))


def test_a_retrieval_target_is_evaluated_on_the_intermediate_encoder(tmp_path: Path) -> None:
    plan = _plan(tmp_path)
    assert not [p for p in plan if p.kind == "train" and p.tasks == ("tatoeba",)]
    evaluations = {p.variant: p for p in plan if p.role == "evaluate" and p.tasks == ("tatoeba",)}
    intermediate = next(p for p in plan if p.role == "intermediate")
    assert evaluations["mnli"].parent == intermediate.id and "model" not in evaluations["mnli"].config.dump()
    baseline = evaluations["baseline"]
    assert baseline.parent is None and baseline.config.dump()["model"]["fingerprint"] == "hub:xlm-roberta-large@main"
    assert (
        baseline.config.dump()["data"]["retrieval_layer"] is None
        and baseline.config.dump()["data"]["retrieval_pooling"] == "mean"
    )
    assert len(baseline.config.dump()["languages"]) == 41
    assert [p for p in plan if p.kind == "train" and p.tasks == ("xnli",)]  # other targets still train


def test_retrieval_after_squad_trains_on_squad_first(tmp_path: Path) -> None:
    plan = _plan(tmp_path, SPEC + "tasks:\n  tatoeba: {retrieval: {after: squad_v1}}\n")
    by_id = {p.id: p for p in plan}
    intermediate = next(p for p in plan if p.role == "intermediate")
    parents = {}
    for evaluation in (p for p in plan if p.role == "evaluate" and p.tasks == ("tatoeba",)):
        squad = by_id[evaluation.parent]
        assert squad.kind == "train" and squad.tasks == ("squad_v1",) and "model" not in evaluation.config.dump()
        parents[evaluation.variant] = squad.parent
    assert parents == {"baseline": None, "mnli": intermediate.id}


def test_layer_and_pooling_are_per_task_and_part_of_the_id(tmp_path: Path) -> None:
    before = _plan(tmp_path)
    after = _plan(tmp_path, overrides=("tasks.tatoeba.training.retrieval_layer=12",))
    moved = {p.id for p in before} - {p.id for p in after}
    assert moved == {p.id for p in before if p.role == "evaluate" and p.tasks == ("tatoeba",)}
    pooled = _plan(tmp_path, overrides=("tasks.tatoeba.training.retrieval_pooling=cls",))
    assert {p.id for p in before} - {p.id for p in pooled} == moved


def test_retrieval_options_only_for_retrieval_tasks(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"e\.yaml:6: tasks\.xnli\.retrieval: 'xnli' is not a retrieval task"):
        _plan(tmp_path, SPEC + "tasks:\n  xnli: {retrieval: {after: squad_v1}}\n")
    with pytest.raises(ConfigError, match=r"tasks\.tatoeba\.retrieval\.after"):
        _plan(tmp_path, SPEC + "tasks:\n  tatoeba: {retrieval: {after: mnli}}\n")


def test_tatoeba_evaluated_straight_after_phase_one(tiny_model: Path, data_root: Path, tmp_path: Path) -> None:
    tatoeba_dir = write_tatoeba(tmp_path / "tatoeba", ["de", "fr"], n=15)
    spec = tmp_path / "experiment.yaml"
    text = experiment_yaml(
        tiny_model,
        data_root,
        intermediate="[none, mnli]",
        target="[tatoeba]",
        training="{lr: 5.0e-4, batch_size: 16, max_length: 32, epochs: 1, eval_batch_size: 32, max_train_examples: 48,"
        " max_eval_examples: 16}",
    )
    spec.write_text(text + f"  tatoeba: {{data: {{source: local, path: {tatoeba_dir}}}, languages: [de, fr]}}\n")
    result = CliRunner().invoke(app, ["run", str(spec), "--out", str(tmp_path / "run")])
    assert result.exit_code == 0, result.output
    plan = json.loads((tmp_path / "run" / "plan.json").read_text())
    assert [(p["role"], p["tasks"]) for p in plan] == [
        ("evaluate", ["tatoeba"]),
        ("intermediate", ["mnli"]),
        ("evaluate", ["tatoeba"]),
    ]
    for phase in (p for p in plan if p["role"] == "evaluate"):
        directory = tmp_path / "run" / "phases" / phase["id"]
        record = json.loads((directory / "phase.json").read_text())
        rows = {row["language"]: row for row in record["metrics"]}
        assert set(rows) == {"de", "fr"} and all(row["metric"] == "accuracy" for row in rows.values())
        for language, row in rows.items():  # each stored score is its prediction file's, against the gold lines
            code = TATOEBA_CODES[language]
            gold = _tatoeba_gold_lines(tatoeba_dir / f"tatoeba.{code}-eng.eng")
            written = (directory / "predictions" / "tatoeba" / f"test-{language}.tsv").read_text()
            assert row["value"] == pytest.approx(_accuracy_of_prediction_file(written, gold)), language
        assert rows["de"]["retrieval"] == {"layer": 1, "num_layers": 2, "pooling": "mean"}
        lines = (directory / "predictions" / "tatoeba" / "test-de.tsv").read_text().splitlines()
        assert len(lines) == 15 and all(0 <= int(line) < 15 for line in lines)
    listed = CliRunner().invoke(app, ["results", str(tmp_path / "run"), "--json"])
    values = [r for r in json.loads(listed.output) if r["task"] == "tatoeba"]
    assert {(r["variant"], r["language"]) for r in values} == {
        (v, lang) for v in ("baseline", "mnli") for lang in ("de", "fr")
    }
