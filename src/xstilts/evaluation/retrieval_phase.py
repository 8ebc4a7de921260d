"""The evaluation phase of a retrieval target: no head, only the encoder's pooled embeddings of one layer.

The encoder is the parent phase's (an intermediate or SQuAD-trained artefact) or, for a baseline evaluated without
any training, the pretrained model itself. Each task's protocol (keyed by its ``metric``) embeds its sets, searches,
scores and renders predictions in XTREME's submission layout (``<task>/<split>-<lang>.<ext>``). Every metric row
carries the ``retrieval`` settings it was measured with (layer, pooling; BUCC's threshold), and so does each
language's record, since the scores depend on them as much as on the weights.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tqdm.auto import tqdm

from xstilts.artefacts import atomic_write_json, atomic_write_text, read_json
from xstilts.data.examples import RetrievalExample
from xstilts.data.sources import DataSource, Split
from xstilts.errors import XstiltsError
from xstilts.evaluation.retrieval import Embedder, mine, nearest, normalize, top_k
from xstilts.metrics.bucc import (
    best_threshold,
    bucc_f1,
    candidate_scores,
    candidates_from_sentences,
    sentence_ids,
)
from xstilts.metrics.retrieval import TOP_K, mean_average_precision, mean_reciprocal_rank, tatoeba_accuracy
from xstilts.models.adapters import is_adapter_artefact
from xstilts.models.encoder import load_encoder
from xstilts.models.pooling import resolve_layer
from xstilts.phase_config import EvalPhaseConfig
from xstilts.tasks.base import Task


@dataclass
class Outcome:
    scores: dict[str, float]
    extension: str
    predictions: str  # the prediction file's text
    details: dict[str, Any] = field(default_factory=dict)


def _one_set(task: Task, split: Split, language: str, source: DataSource) -> RetrievalExample:
    examples = task.read(split, language, source)
    if len(examples) != 1 or not isinstance(examples[0], RetrievalExample):
        raise XstiltsError(f"task {task.name!r}: a retrieval reader must return one retrieval set per language")
    return examples[0]


def sorted_positions(texts: Sequence[str]) -> list[int]:
    """Each text's line in XTREME's Tatoeba English file: ``utils_preprocess.py``'s ``tatoeba_preprocess`` writes
    the stripped English sentences sorted by text (a stable sort: equal texts keep their order, duplicates stay),
    and the test labels index that file."""
    order = sorted(range(len(texts)), key=lambda i: texts[i].strip())
    positions = [0] * len(texts)
    for line, i in enumerate(order):
        positions[i] = line
    return positions


def tatoeba(task: Task, split: Split, language: str, source: DataSource, embed: Embedder) -> Outcome:
    """Each query's cosine nearest neighbour in the pool; accuracy against the gold index (XTREME's Tatoeba). The
    prediction file gives, per query, the predicted English sentence's line in XTREME's sorted English file
    (:func:`sorted_positions`), the index space of XTREME's labels; the accuracy is the same in either space."""
    data = _one_set(task, split, language, source)
    found = nearest(normalize(embed(data.queries)), normalize(embed(data.candidates)))
    position = {candidate.id: i for i, candidate in enumerate(data.candidates)}
    gold = dict(data.gold)
    predicted = [int(i) for i in found]
    scores = tatoeba_accuracy(predicted, [position[gold[query.id]] for query in data.queries])
    lines = sorted_positions([candidate.text for candidate in data.candidates])
    return Outcome(scores, "tsv", "".join(f"{lines[i]}\n" for i in predicted))


def _mined_candidates(data: RetrievalExample, embed: Embedder) -> list[tuple[str, str, float]]:
    """Mined (source id, target id, margin) as XTREME's BUCC evaluation sees them: each side's distinct texts mined
    (``mine_bitext``), the pairs of texts mapped back to ids, texts that occur twice on a side left out
    (``read_sent2id`` in ``bucc_eval``)."""
    sources, targets = data.queries, data.candidates
    pairs = mine(embed(sources), embed(targets), x_keys=[s.text for s in sources], y_keys=[t.text for t in targets])
    scored = [(score, sources[i].text, targets[j].text) for score, i, j in pairs]
    source_ids = sentence_ids([s.id for s in sources], [s.text for s in sources])
    target_ids = sentence_ids([t.id for t in targets], [t.text for t in targets])
    return candidates_from_sentences(scored, source_ids, target_ids)


def bucc(task: Task, split: Split, language: str, source: DataSource, embed: Embedder) -> Outcome:
    """Margin mining on the labelled ``dev`` (BUCC sample) split picks the F1-best threshold; the same mining on
    ``split`` keeps the pairs scoring at least that threshold."""
    dev = _one_set(task, "dev", language, source)
    threshold = best_threshold(_mined_candidates(dev, embed), dev.gold)
    data = dev if split == "dev" else _one_set(task, split, language, source)
    candidates = _mined_candidates(data, embed)
    extracted = [pair for pair, score in candidate_scores(candidates).items() if score >= threshold]
    return Outcome(
        bucc_f1(candidates, data.gold, threshold),
        "tsv",
        "".join(f"{s}\t{t}\n" for s, t in extracted),
        {"threshold": threshold, "threshold_split": "dev"},
    )


def ranked(task: Task, split: Split, language: str, source: DataSource, embed: Embedder) -> Outcome:
    """The pool ranked by cosine similarity for each query, top 20; mAP@20 over the gold items (LAReQA)."""
    data = _one_set(task, split, language, source)
    _, indices = top_k(normalize(embed(data.queries)), normalize(embed(data.candidates)), TOP_K)
    golds: dict[str, set[str]] = defaultdict(set)
    for query_id, candidate_id in data.gold:
        golds[query_id].add(candidate_id)
    rankings = {q.id: [data.candidates[int(i)].id for i in row] for q, row in zip(data.queries, indices, strict=True)}
    scores = mean_average_precision(list(rankings.values()), [golds[q.id] for q in data.queries], TOP_K)
    return Outcome(scores, "json", json.dumps(rankings, ensure_ascii=False, indent=1) + "\n")


def entity_linking(task: Task, split: Split, language: str, source: DataSource, embed: Embedder) -> Outcome:
    """Mewsli-X: the top 20 entities by cosine similarity for each mention; MRR@20 against its one gold entity,
    reported as mAP@20 as XTREME-R does (``utils_mewslix.py``'s ``evaluate``)."""
    data = _one_set(task, split, language, source)
    _, indices = top_k(normalize(embed(data.queries)), normalize(embed(data.candidates)), TOP_K)
    gold = dict(data.gold)
    rankings = {q.id: [data.candidates[int(i)].id for i in row] for q, row in zip(data.queries, indices, strict=True)}
    scores = mean_reciprocal_rank(list(rankings.values()), [{gold[q.id]} for q in data.queries], TOP_K)
    return Outcome({f"map@{TOP_K}": scores[f"mrr@{TOP_K}"]}, "json", json.dumps(rankings, indent=1) + "\n")


# task.metric -> protocol(task, split, language, source, embed)
PROTOCOLS: dict[str, Callable[[Task, Split, str, DataSource, Embedder], Outcome]] = {
    "tatoeba_accuracy": tatoeba,
    "bucc_f1": bucc,
    "map@20": ranked,
    "mewslix_map20": entity_linking,
}


def run_retrieval_eval(
    config: EvalPhaseConfig, task: Task, phase_dir: Path, parent_dir: Path | None, device: Any
) -> list[dict[str, Any]]:
    split, data, source = config.split, config.data, config.source
    trust = config.trust_remote_code
    if parent_dir is not None and is_adapter_artefact(parent_dir):
        # Which adapters to activate without a task head is a choice xstilts does not make for the user yet.
        raise XstiltsError(f"task {task.name!r}: retrieval evaluation of an adapter artefact is not supported")
    if parent_dir is not None:
        encoder, tokenizer = load_encoder(str(parent_dir / "encoder"), trust_remote_code=trust)
    else:
        encoder, tokenizer = load_encoder(config.pretrained.name, config.pretrained.revision, trust_remote_code=trust)
    encoder.to(device)
    num_layers = encoder.config.num_hidden_layers
    layer = resolve_layer(data["retrieval_layer"], num_layers, task.retrieval_layers)
    settings = {"layer": layer, "num_layers": num_layers, "pooling": data["retrieval_pooling"]}
    embed = Embedder(
        encoder, tokenizer, layer, data["retrieval_pooling"], data["max_length"], data["eval_batch_size"], device
    )
    protocol = PROTOCOLS[task.metric]
    metrics: list[dict[str, Any]] = []
    for language in tqdm(config.languages, desc=f"evaluate {task.name}", unit="lang", leave=False):
        done = phase_dir / "languages" / f"{language}.json"
        if not done.exists():
            outcome = protocol(task, split, language, source, embed)
            predictions = phase_dir / "predictions" / task.name / f"{split}-{language}.{outcome.extension}"
            atomic_write_text(predictions, outcome.predictions)
            atomic_write_json(done, {"scores": outcome.scores, "retrieval": {**settings, **outcome.details}})
        record = read_json(done)
        for metric, value in record["scores"].items():
            row = {"task": task.name, "language": language, "split": split, "metric": metric, "value": value}
            metrics.append(row | {"retrieval": record["retrieval"]})
    return metrics
