"""Retrieval evaluation: cosine search and BUCC margin mining over the pooled embeddings of the retrieval head
(``xstilts.kinds.retrieval``), remembered for the phase, and each task's protocol (search, metric, prediction file).

Search uses faiss (``IndexFlatIP``, exact) when it is installed and numpy otherwise; both are exact inner products
of L2-normalised vectors and list exact ties lowest index first, so they return the same neighbours (up to float32
rounding of nearly equal similarities).

Mining is LASER's ``mine_bitexts.py`` as XTREME's ``third_party/utils_retrieve.py`` runs it for BUCC: mode
``mine``, retrieval ``max``, ratio margin, k = 4, threshold 0. Every sentence's 4 nearest neighbours on the other
side give its mean neighbourhood similarity; a pair's score is ``cos(x, y) / ((mean_x + mean_y) / 2)``; each
source sentence proposes its best-scoring neighbour and each target sentence its own (both directions); proposals
are taken by descending score, each sentence at most once, keeping scores above 0.

As ``mine_bitext`` does (``text_load_unify(..., unify=True)`` and ``unique_embeddings``), a side's sentences are
made distinct by exact text before the search (:func:`unique_rows`): a sentence listed twice would otherwise fill
two of its translation's 4 neighbour slots, lower the neighbourhood means and change the margins. Equal texts have
equal embeddings, so the first row of each text stands for all of them.

The model is the parent phase's encoder (an intermediate or SQuAD-trained artefact) or, for a baseline evaluated
without any training, the pretrained model, with the parameter-free retrieval head. Each task's protocol (keyed by
its ``metric``) gets its language's sets through the evaluation loop (:class:`~xstilts.evaluation.scoring.
LanguageData`: the kind's features, from the feature cache), embeds, searches, scores and renders predictions in
XTREME's submission layout. Every result carries the ``retrieval`` settings it was measured with (layer, pooling;
BUCC's threshold), since the scores depend on them as much as on the weights.
"""

from __future__ import annotations

import functools
import json
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import torch

from xstilts.artefacts import PhaseDir, read_json
from xstilts.data.batching import evaluation_batches
from xstilts.data.examples import Example, RetrievalExample, RetrievalItem
from xstilts.data.features import Features
from xstilts.errors import XstiltsError
from xstilts.evaluation.predict import forward_batches
from xstilts.evaluation.scoring import LanguageData, Outcome
from xstilts.kinds.dual_encoder import DUAL_ENCODER, rank_set
from xstilts.kinds.retrieval import CANDIDATES, QUERIES, RETRIEVAL, side_rows
from xstilts.metrics.bucc import (
    best_threshold,
    bucc_f1,
    candidate_scores,
    candidates_from_sentences,
    sentence_ids,
)
from xstilts.metrics.ranking import RANKING_METRICS
from xstilts.metrics.retrieval import TOP_K, mean_average_precision, mean_reciprocal_rank, tatoeba_accuracy
from xstilts.models.encoder import load_encoder
from xstilts.models.multitask import MultiTaskModel
from xstilts.models.pooling import resolve_layer
from xstilts.phase_config import EvalPhaseConfig
from xstilts.tasks.base import Split, Task

MARGIN_NEIGHBOURS = 4
_CHUNK = 4096  # query rows per numpy similarity block: bounds memory at chunk × pool floats


def normalize(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return (vectors / np.maximum(norms, 1e-12)).astype(np.float32)


def _faiss() -> Any:
    try:
        import faiss
    except ImportError:
        return None
    return faiss


def top_k(queries: np.ndarray, pool: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """(similarities, indices), each (queries, k), best first, of normalised rows by inner product (cosine)."""
    k = min(k, len(pool))
    faiss = _faiss()
    if faiss is not None:
        index = faiss.IndexFlatIP(pool.shape[1])
        index.add(np.ascontiguousarray(pool, dtype=np.float32))
        found_scores, found = index.search(np.ascontiguousarray(queries, dtype=np.float32), k)
        # faiss keeps the lowest ids of an exact tie but lists them highest id first; order them as numpy's stable
        # sort does (and XTREME's IndexFlatL2 for Tatoeba), so duplicate sentences get the same neighbours.
        order = np.lexsort((found, -found_scores), axis=-1)
        return np.take_along_axis(found_scores, order, axis=1), np.take_along_axis(found, order, axis=1)
    scores, indices = [], []
    for start in range(0, len(queries), _CHUNK):
        similarity = queries[start : start + _CHUNK] @ pool.T
        best = np.argsort(-similarity, axis=1, kind="stable")[:, :k]
        indices.append(best)
        scores.append(np.take_along_axis(similarity, best, axis=1))
    if not scores:
        return np.zeros((0, k), np.float32), np.zeros((0, k), np.int64)
    return np.concatenate(scores), np.concatenate(indices)


def nearest(queries: np.ndarray, pool: np.ndarray) -> np.ndarray:
    """The index of each query's cosine nearest neighbour in the pool (Tatoeba's prediction)."""
    return top_k(queries, pool, 1)[1][:, 0]


def _margin_scores(
    x: np.ndarray, y: np.ndarray, neighbours: np.ndarray, x_mean: np.ndarray, y_mean: np.ndarray
) -> np.ndarray:
    """Ratio margin of each x row against its candidate y rows: cos / ((mean_x + mean_y) / 2)."""
    cosine = np.einsum("nd,nkd->nk", x, y[neighbours])
    return cosine / ((x_mean[:, None] + y_mean[neighbours]) / 2)


def unique_rows(keys: Sequence[str]) -> list[int]:
    """The first row of each distinct key, in order of first appearance (``text_load_unify``'s unique sentences)."""
    first: dict[str, int] = {}
    for row, key in enumerate(keys):
        first.setdefault(key, row)
    return list(first.values())


def mine(
    x: np.ndarray,
    y: np.ndarray,
    k: int = MARGIN_NEIGHBOURS,
    x_keys: Sequence[str] | None = None,
    y_keys: Sequence[str] | None = None,
) -> list[tuple[float, int, int]]:
    """``(score, x index, y index)`` of the mined pairs, best first (see the module docstring). With ``x_keys`` /
    ``y_keys`` (each row's text) rows of equal text are mined once, and an index is the first row of its text."""
    for keys, vectors in ((x_keys, x), (y_keys, y)):
        if keys is not None and len(keys) != len(vectors):
            raise ValueError(f"{len(keys)} keys for {len(vectors)} rows")
    x_rows = unique_rows(x_keys) if x_keys is not None else list(range(len(x)))
    y_rows = unique_rows(y_keys) if y_keys is not None else list(range(len(y)))
    return [(score, x_rows[i], y_rows[j]) for score, i, j in _mine(x[x_rows], y[y_rows], k)]


def _mine(x: np.ndarray, y: np.ndarray, k: int) -> list[tuple[float, int, int]]:
    x, y = normalize(x), normalize(y)
    x2y_sim, x2y_ind = top_k(x, y, k)
    y2x_sim, y2x_ind = top_k(y, x, k)
    x_mean, y_mean = x2y_sim.mean(axis=1), y2x_sim.mean(axis=1)
    forward = _margin_scores(x, y, x2y_ind, x_mean, y_mean)
    backward = _margin_scores(y, x, y2x_ind, y_mean, x_mean)
    forward_best = x2y_ind[np.arange(len(x)), forward.argmax(axis=1)]
    backward_best = y2x_ind[np.arange(len(y)), backward.argmax(axis=1)]
    sources = np.concatenate([np.arange(len(x)), backward_best])
    targets = np.concatenate([forward_best, np.arange(len(y))])
    scores = np.concatenate([forward.max(axis=1), backward.max(axis=1)])
    seen_x: set[int] = set()
    seen_y: set[int] = set()
    pairs = []
    for i in np.argsort(-scores, kind="stable"):
        source, target = int(sources[i]), int(targets[i])
        if source in seen_x or target in seen_y:
            continue
        seen_x.add(source)
        seen_y.add(target)
        if scores[i] > 0:
            pairs.append((float(scores[i]), source, target))
    return pairs


# --- embeddings ------------------------------------------------------------------------------------------------------

EMBED_CHUNK = 20_000  # items new to the memo per length-sorted run


class Embeddings:
    """Pooled embeddings of retrieval items by the model's retrieval head, remembered by (text, context) for the
    whole phase, so a pool shared by several languages' sets (LAReQA's) is embedded once. The items new to the
    memo are embedded in runs of :data:`EMBED_CHUNK`, each sorted by length (shortest first) into batches of
    ``batch_size``, at full precision: the batches are what retrieval has always embedded, hence the same floats."""

    def __init__(self, model: Any, head: str, pad_id: int, batch_size: int, device: torch.device) -> None:
        self.model, self.head, self.pad_id, self.batch_size, self.device = model, head, pad_id, batch_size, device
        self.memo: dict[tuple[str, str | None], np.ndarray] = {}

    def side(self, features: Features, items: Sequence[RetrievalItem], side: int) -> np.ndarray:
        """The embeddings of one side's items of a set whose features are ``features``."""
        return self(items, features, side_rows(features, side))

    def __call__(self, items: Sequence[RetrievalItem], features: Features, rows: Sequence[int]) -> np.ndarray:
        """The embeddings of ``items``, whose tokens are the feature rows ``rows``."""
        todo: dict[tuple[str, str | None], int] = {}
        for item, row in zip(items, rows, strict=True):
            if (item.text, item.context) not in self.memo:
                todo.setdefault((item.text, item.context), row)
        keys = {row: key for key, row in todo.items()}
        new, lengths = list(todo.values()), features.lengths()
        for start in range(0, len(new), EMBED_CHUNK):
            chunk = new[start : start + EMBED_CHUNK]
            order = evaluation_batches(lengths[chunk], self.batch_size, longest_first=False)
            batches = [[chunk[i] for i in batch] for batch in order]
            outputs = forward_batches(
                self.model, self.head, features, batches, self.pad_id, self.device, f"embed {self.head}", False
            )
            for indices, vectors in outputs:
                for row, vector in zip(indices, vectors, strict=True):
                    self.memo[keys[row]] = vector
        if not items:
            return np.zeros((0, self.model.encoder.config.hidden_size), np.float32)
        return np.stack([self.memo[(item.text, item.context)] for item in items])


@dataclass(frozen=True)
class EmbeddedSet:
    """A language's retrieval set and how its sides are embedded: ``embed(items, side)``, in a run the phase's
    :class:`Embeddings` over the set's features."""

    example: RetrievalExample
    embed: Callable[[Sequence[RetrievalItem], int], np.ndarray]

    def queries(self) -> np.ndarray:
        return self.embed(self.example.queries, QUERIES)

    def candidates(self) -> np.ndarray:
        return self.embed(self.example.candidates, CANDIDATES)


def one_set(task: Task, examples: Sequence[Example]) -> RetrievalExample:
    if len(examples) != 1 or not isinstance(examples[0], RetrievalExample):
        raise XstiltsError(f"task {task.name!r}: a retrieval reader must return one retrieval set per language")
    return examples[0]


# A protocol scores one language: it loads the sets it needs by split (the evaluated one, BUCC also ``dev``).
Sets = Callable[[Split], EmbeddedSet]


# --- protocols -------------------------------------------------------------------------------------------------------


def sorted_positions(texts: Sequence[str]) -> list[int]:
    """Each text's line in XTREME's Tatoeba English file: ``utils_preprocess.py``'s ``tatoeba_preprocess`` writes
    the stripped English sentences sorted by text (a stable sort: equal texts keep their order, duplicates stay),
    and the test labels index that file."""
    order = sorted(range(len(texts)), key=lambda i: texts[i].strip())
    positions = [0] * len(texts)
    for line, i in enumerate(order):
        positions[i] = line
    return positions


def tatoeba(sets: Sets, split: Split) -> Outcome:
    """Each query's cosine nearest neighbour in the pool; accuracy against the gold index (XTREME's Tatoeba). The
    prediction file gives, per query, the predicted English sentence's line in XTREME's sorted English file
    (:func:`sorted_positions`), the index space of XTREME's labels; the accuracy is the same in either space."""
    embedded = sets(split)
    data = embedded.example
    found = nearest(normalize(embedded.queries()), normalize(embedded.candidates()))
    position = {candidate.id: i for i, candidate in enumerate(data.candidates)}
    gold = dict(data.gold)
    predicted = [int(i) for i in found]
    scores = tatoeba_accuracy(predicted, [position[gold[query.id]] for query in data.queries])
    lines = sorted_positions([candidate.text for candidate in data.candidates])
    return Outcome(scores, "tsv", "".join(f"{lines[i]}\n" for i in predicted))


def _mined_candidates(embedded: EmbeddedSet) -> list[tuple[str, str, float]]:
    """Mined (source id, target id, margin) as XTREME's BUCC evaluation sees them: each side's distinct texts mined
    (``mine_bitext``), the pairs of texts mapped back to ids, texts that occur twice on a side left out
    (``read_sent2id`` in ``bucc_eval``)."""
    sources, targets = embedded.example.queries, embedded.example.candidates
    x_keys, y_keys = [s.text for s in sources], [t.text for t in targets]
    pairs = mine(embedded.queries(), embedded.candidates(), x_keys=x_keys, y_keys=y_keys)
    scored = [(score, sources[i].text, targets[j].text) for score, i, j in pairs]
    source_ids = sentence_ids([s.id for s in sources], [s.text for s in sources])
    target_ids = sentence_ids([t.id for t in targets], [t.text for t in targets])
    return candidates_from_sentences(scored, source_ids, target_ids)


def bucc(sets: Sets, split: Split) -> Outcome:
    """Margin mining on the labelled ``dev`` (BUCC sample) split picks the F1-best threshold; the same mining on
    ``split`` keeps the pairs scoring at least that threshold."""
    dev = sets("dev")
    threshold = best_threshold(_mined_candidates(dev), dev.example.gold)
    embedded = dev if split == "dev" else sets(split)
    candidates = _mined_candidates(embedded)
    extracted = [pair for pair, score in candidate_scores(candidates).items() if score >= threshold]
    return Outcome(
        bucc_f1(candidates, embedded.example.gold, threshold),
        "tsv",
        "".join(f"{s}\t{t}\n" for s, t in extracted),
        {"threshold": threshold, "threshold_split": "dev"},
    )


def _rankings(embedded: EmbeddedSet) -> dict[str, list[str]]:
    """The top 20 candidate ids by cosine similarity, best first, for each query id."""
    _, indices = top_k(normalize(embedded.queries()), normalize(embedded.candidates()), TOP_K)
    data = embedded.example
    return {q.id: [data.candidates[int(i)].id for i in row] for q, row in zip(data.queries, indices, strict=True)}


def ranked(sets: Sets, split: Split) -> Outcome:
    """The pool ranked by cosine similarity for each query, top 20; mAP@20 over the gold items (LAReQA)."""
    embedded = sets(split)
    rankings = _rankings(embedded)
    golds: dict[str, set[str]] = defaultdict(set)
    for query_id, candidate_id in embedded.example.gold:
        golds[query_id].add(candidate_id)
    queries = embedded.example.queries
    scores = mean_average_precision(list(rankings.values()), [golds[q.id] for q in queries], TOP_K)
    return Outcome(scores, "json", json.dumps(rankings, ensure_ascii=False, indent=1) + "\n")


def entity_linking(sets: Sets, split: Split) -> Outcome:
    """Mewsli-X: the top 20 entities by cosine similarity for each mention; MRR@20 against its one gold entity,
    reported as mAP@20 as XTREME-R does (``utils_mewslix.py``'s ``evaluate``)."""
    embedded = sets(split)
    rankings = _rankings(embedded)
    gold = dict(embedded.example.gold)
    scores = mean_reciprocal_rank(list(rankings.values()), [{gold[q.id]} for q in embedded.example.queries], TOP_K)
    return Outcome({f"map@{TOP_K}": scores[f"mrr@{TOP_K}"]}, "json", json.dumps(rankings, indent=1) + "\n")


def dual_encoder_probe(metric: str) -> Callable[[Sets, Split], Outcome]:
    """A dual-encoder task's own decoding and metric (``kinds.dual_encoder``, ``metrics.ranking``) on embeddings
    of an encoder that was not trained for it: the probe of an intermediate (or pretrained) encoder."""

    def protocol(sets: Sets, split: Split) -> Outcome:
        embedded = sets(split)
        example = embedded.example
        predictions = {example.guid: rank_set(example, embedded.queries(), embedded.candidates())}
        scores = RANKING_METRICS[metric]([example], predictions)
        return Outcome(scores, DUAL_ENCODER.prediction_extension, DUAL_ENCODER.render([example], predictions))

    return protocol


# task.metric -> protocol(sets, split)
PROTOCOLS: dict[str, Callable[[Sets, Split], Outcome]] = {
    "tatoeba_accuracy": tatoeba,
    "bucc_f1": bucc,
    "map@20": ranked,
    "mewslix_map20": entity_linking,
    **{metric: dual_encoder_probe(metric) for metric in RANKING_METRICS},
}


@dataclass
class RetrievalScorer:
    """A language's retrieval sets through the task's protocol; ``settings`` (layer, depth, pooling) go into the
    record with the protocol's own details (BUCC's threshold)."""

    task: Task
    embeddings: Embeddings
    settings: dict[str, Any]
    labels: Sequence[str] = ()

    def __call__(self, data: LanguageData, split: Split) -> Outcome:
        def sets(which: Split) -> EmbeddedSet:
            examples = data.examples(which)
            example = one_set(self.task, examples)
            return EmbeddedSet(example, functools.partial(self.embeddings.side, data.features(which, examples)))

        outcome = PROTOCOLS[self.task.metric](sets, split)
        return replace(outcome, details={"retrieval": {**self.settings, **outcome.details}})


def retrieval_evaluation(
    config: EvalPhaseConfig, task: Task, parent_dir: PhaseDir | None, device: torch.device
) -> tuple[MultiTaskModel, Any, RetrievalScorer]:
    """(model, tokenizer, scorer): the parent's encoder, or the pretrained model for a baseline without a parent,
    with the task's retrieval head reading the configured (or the task's default) layer."""
    data, trust = config.data, config.trust_remote_code
    if parent_dir is not None and parent_dir.is_adapter_artefact():
        # Which adapters to activate without a task head is a choice xstilts does not make for the user yet.
        raise XstiltsError(f"task {task.name!r}: retrieval evaluation of an adapter artefact is not supported")
    if parent_dir is not None:
        encoder, tokenizer = load_encoder(str(parent_dir.encoder), trust_remote_code=trust)
    else:
        encoder, tokenizer = load_encoder(config.pretrained.name, config.pretrained.revision, trust_remote_code=trust)
    num_layers = encoder.config.num_hidden_layers
    options = RETRIEVAL.head_type.options(data)
    trained = _dual_encoder_options(parent_dir) if parent_dir is not None else None
    if trained is not None and data["retrieval_layer"] is None:
        # A dual encoder is evaluated on the embeddings it was trained on (its layer, by default the last one).
        options = {
            "layer": trained["layer"] if trained["layer"] is not None else num_layers,
            "pooling": trained["pooling"],
        }
    layer = resolve_layer(options["layer"], num_layers, task.retrieval_layers)
    options = options | {"layer": layer}
    model = MultiTaskModel(encoder, {task.name: {"kind": RETRIEVAL.name, "num_labels": 0, "options": options}})
    embeddings = Embeddings(model, task.name, tokenizer.pad_token_id, data["eval_batch_size"], device)
    settings = {"layer": layer, "num_layers": num_layers, "pooling": options["pooling"]}
    return model, tokenizer, RetrievalScorer(task, embeddings, settings, list(task.labels))


def _dual_encoder_options(parent_dir: PhaseDir) -> dict[str, Any] | None:
    """The layer and pooling of the parent phase's dual-encoder head, if it trained one."""
    heads = parent_dir.heads_json
    if not heads.exists():
        return None
    for spec in read_json(heads).values():
        if spec.get("kind") == DUAL_ENCODER.name:
            return {"layer": spec["options"]["layer"], "pooling": spec["options"]["pooling"]}
    return None
