"""Retrieval building blocks: batched sentence embedding, cosine nearest neighbours, and BUCC margin mining.

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
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from xstilts.data.examples import RetrievalItem
from xstilts.models.pooling import Pooling, layer_embeddings

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


@dataclass
class Embedder:
    """Pooled embeddings of retrieval items with one encoder, layer and pooling; items are tokenized once, run
    in length order with dynamic padding, and remembered by (text, context) so a pool shared by several
    languages' evaluations (LAReQA's) is embedded once per phase."""

    encoder: Any
    tokenizer: Any
    layer: int
    pooling: Pooling
    max_length: int
    batch_size: int
    device: torch.device
    memo: dict[tuple[str, str | None], np.ndarray] = field(default_factory=dict)

    def __call__(self, items: Sequence[RetrievalItem]) -> np.ndarray:
        todo = list(
            dict.fromkeys((item.text, item.context) for item in items if (item.text, item.context) not in self.memo)
        )
        for start in range(0, len(todo), 20_000):
            self._embed(todo[start : start + 20_000])
        hidden = self.encoder.config.hidden_size
        if not items:
            return np.zeros((0, hidden), np.float32)
        return np.stack([self.memo[(item.text, item.context)] for item in items])

    def _embed(self, keys: list[tuple[str, str | None]]) -> None:
        if not keys:
            return
        texts = [text for text, _ in keys]
        contexts = [context for _, context in keys]
        options = {"max_length": self.max_length, "return_attention_mask": True}
        if any(context is not None for context in contexts):
            encoded = self.tokenizer(texts, [c or "" for c in contexts], truncation="longest_first", **options)
        else:
            encoded = self.tokenizer(texts, truncation=True, **options)
        order = sorted(range(len(keys)), key=lambda i: len(encoded["input_ids"][i]))
        self.encoder.eval()
        for start in range(0, len(order), self.batch_size):
            rows = order[start : start + self.batch_size]
            features = [{name: encoded[name][i] for name in ("input_ids", "attention_mask")} for i in rows]
            batch = {k: v.to(self.device) for k, v in self.tokenizer.pad(features, return_tensors="pt").items()}
            vectors = layer_embeddings(self.encoder, batch, self.layer, self.pooling).float().cpu().numpy()
            for i, vector in zip(rows, vectors, strict=True):
                self.memo[keys[i]] = vector
