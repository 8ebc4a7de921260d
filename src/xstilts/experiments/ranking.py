"""``xstilts rank``: cheap transferability estimates for each target's candidate intermediate variants.

For each target task of an experiment and each of its intermediate variants (the phases the plan would train
first, English or ``train_language`` data), without fine-tuning anything on the target:

* ``similarity``: cosine of the dataset embeddings (mean over a sample of the mean-pooled last layer of the
  pretrained encoder) of the variant's training text and of the target's English training text;
* ``logme`` and ``knn``: LogME and a cross-validated 5-NN probe accuracy of the target's English training labels on
  that sample's features (the target head's pooling of the last layer) computed with the variant's phase-1 encoder,
  read from the run directory; only where that artefact exists (``xstilts run`` trains it) and the target is a
  classification task. The pretrained encoder's values are given as the reference;
* ``data_size``: the number of training examples of the variant's tasks;
* ``overlap``: LangRank's subword overlap of the variant's training sample with each evaluation language's
  sample of the target's evaluation inputs (their texts, never their labels), averaged over the languages.

URIEL distances from each variant's source language to the evaluation languages need no model and are added by
``analysis.ranking``. The result is one JSON record (``ranking/estimates.json`` in the run directory) with the
forward passes it made, counted and timed.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from statistics import fmean
from typing import Any

import numpy as np

from xstilts.artefacts import PhaseDir, atomic_write_json
from xstilts.data.sources import ENGLISH
from xstilts.evaluation.transfer_features import (
    FeatureEncoder,
    ForwardCost,
    Pooling,
    device_for,
    featurize_sample,
    sample_examples,
    token_types,
)
from xstilts.experiments.plan import build_plan
from xstilts.experiments.spec import ExperimentSpec
from xstilts.experiments.variants import MLM, is_baseline
from xstilts.kinds.classification import CLASSIFICATION
from xstilts.kinds.masked_lm import MASKED_LM
from xstilts.metrics.transferability import cosine, knn_probe_accuracy, logme, subword_overlap
from xstilts.phase_config import EvalPhaseConfig, HeadConfig, TrainPhaseConfig

RANKING_DIR = "ranking"
ESTIMATES_JSON = "estimates.json"
SAMPLE_SIZE = 256
KNN_NEIGHBOURS = 5
KNN_FOLDS = 5


@dataclass(frozen=True)
class TargetPlan:
    """A target task: its English training head (data, labels, settings) and its evaluation languages."""

    task: str
    head: HeadConfig
    evaluation: EvalPhaseConfig


@dataclass(frozen=True)
class CandidatePlan:
    """An intermediate variant: its phase (of the first seed) and the heads it trains."""

    name: str
    phase: str
    heads: tuple[HeadConfig, ...]
    source_languages: tuple[str, ...]


@dataclass
class RankingPlan:
    targets: list[TargetPlan] = field(default_factory=list)
    candidates: list[CandidatePlan] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def ranking_plan(spec: ExperimentSpec) -> RankingPlan:
    """The targets and candidates of the experiment's plan, first seed (intermediate artefacts are per seed)."""
    seed = spec.seeds[0]
    phases = [p for p in build_plan(spec) if p.seed == seed]
    out = RankingPlan()
    for phase in phases:
        if phase.role == "intermediate" and isinstance(phase.config, TrainPhaseConfig):
            heads = tuple(phase.config.heads.values())
            languages = sorted({lang for h in heads if h.task != MLM for lang in h.train.languages})
            out.candidates.append(CandidatePlan(phase.variant, phase.id, heads, tuple(languages)))
    for target in spec.target:
        evaluation = next(
            (
                p.config
                for p in phases
                if p.role == "evaluate" and p.tasks == (target,) and is_baseline(p.variant)
                if isinstance(p.config, EvalPhaseConfig)
            ),
            None,
        )
        head = next(
            (
                p.config.heads[target]
                for p in phases
                if p.role == "target" and p.tasks == (target,) and isinstance(p.config, TrainPhaseConfig)
            ),
            None,
        )
        if evaluation is None or head is None:
            out.notes.append(f"{target}: no English target training (a retrieval target): nothing to estimate on")
            continue
        out.targets.append(TargetPlan(target, head, evaluation))
    if not out.candidates:
        out.notes.append("the experiment has no intermediate variant besides the baseline: nothing to rank")
    return out


def _pooling(head: HeadConfig) -> Pooling:
    return "mean" if head.data.get("classifier_pooling") == "mean" else "first"


@dataclass
class _Text:
    """A task's sample as the pretrained encoder sees it: mean-pooled rows, token types, and the split's size."""

    features: Any
    rows: np.ndarray
    types: set[int]
    total: int


@dataclass
class _Probe:
    """A classification target's sample: its features (for the encoders) and labels."""

    features: Any
    labels: np.ndarray
    pooling: Pooling


def estimate(
    spec: ExperimentSpec,
    run_dir: Path,
    sample_size: int = SAMPLE_SIZE,
    seed: int = 0,
    log: Callable[[str], None] = lambda _: None,
) -> dict[str, Any]:
    """Every estimate of every (target, candidate), as the record ``estimates.json`` holds."""
    started = time.perf_counter()
    plan = ranking_plan(spec)
    cost = ForwardCost()
    device = device_for()
    batch_size = spec.training.eval_batch_size
    notes = list(plan.notes)
    log(f"loading {spec.model}")
    pretrained = FeatureEncoder.load(spec.model, spec.model_revision, spec.trust_remote_code, batch_size, device, cost)
    tokenizer, special = pretrained.tokenizer, pretrained.tokenizer.all_special_ids
    texts: dict[str, _Text] = {}

    def text(head: HeadConfig, language: str) -> _Text:
        """The pretrained view of a head's training sample (shared by every candidate and target that has it)."""
        train = head.train
        where = [train.task, train.split, train.source.model_dump(), language]
        key = json.dumps([head.kind, head.labels, head.data, *where], sort_keys=True)
        if key not in texts:
            log(f"embedding a sample of {train.task}/{train.split}/{language}")
            limit = head.data.get("max_train_examples")
            sample = sample_examples(train.task, train.split, language, train.source, sample_size, seed, limit)
            features = featurize_sample(head.task, sample.examples, tokenizer, head.labels, head.data, training=True)
            rows = pretrained.pooled(features, "mean", limit=sample_size)  # a QA example makes several windows
            texts[key] = _Text(features, rows, token_types(features, special), sample.total)
        return texts[key]

    targets: list[dict[str, Any]] = []
    probes: dict[str, _Probe] = {}
    evaluation_types: dict[str, dict[str, set[int]]] = {}
    for target in plan.targets:
        head, evaluation = target.head, target.evaluation
        record: dict[str, Any] = {
            "task": target.task,
            "kind": head.kind,
            "train": f"{head.train.task}/{head.train.split}",
            "languages": list(evaluation.languages),
            "notes": [],
            "reference": {},
            "candidates": [],
        }
        english = text(head, ENGLISH)
        record["_embedding"] = english.rows.mean(axis=0)
        evaluation_types[target.task] = {}
        for language in evaluation.languages:
            sample = sample_examples(evaluation.task, evaluation.split, language, evaluation.source, sample_size, seed)
            data = evaluation.data
            features = featurize_sample(evaluation.task, sample.examples, tokenizer, head.labels, data, training=False)
            evaluation_types[target.task][language] = token_types(features, special)
        if head.kind == CLASSIFICATION.name:
            labels = np.asarray(english.features.scalars["label"], dtype=np.int64)
            probes[target.task] = _Probe(english.features, labels, _pooling(head))
            record["reference"] = _probe_scores(pretrained, probes[target.task], seed)
            record["sample"] = len(labels)
        else:
            record["notes"].append(
                f"LogME and the k-NN probe need sentence labels; {target.task} is a {head.kind} task: not estimated"
            )
        targets.append(record)
    views = {
        c.name: [text(h, h.train.languages[0]) for h in c.heads if h.kind != MASKED_LM.name] for c in plan.candidates
    }
    pretrained.release()

    for candidate in plan.candidates:
        directory = PhaseDir.of(run_dir, candidate.phase)
        encoder_dir = directory.encoder
        artefact = directory.is_done() and encoder_dir.is_dir()
        missing = (
            "adapter artefact (the intermediate encoder is frozen; features would need its adapters)"
            if directory.is_done()
            else f"phase {candidate.phase} not trained in {run_dir}"
        )
        encoder = None
        if artefact and probes:
            log(f"features of the target samples with {candidate.name}'s encoder")
            encoder = FeatureEncoder.load(str(encoder_dir), None, spec.trust_remote_code, batch_size, device, cost)
        for record in targets:
            mine = views[candidate.name]
            scores: dict[str, float | None] = {"data_size": sum(v.total for v in mine) if mine else None}
            per_language: dict[str, dict[str, float]] = {}
            if mine:
                rows = np.concatenate([v.rows for v in mine])
                scores["similarity"] = cosine(rows.mean(axis=0), record["_embedding"])
                types = set().union(*(v.types for v in mine))
                overlaps = {
                    lang: subword_overlap(types, evaluation_types[record["task"]][lang]) for lang in record["languages"]
                }
                per_language["overlap"] = overlaps
                scores["overlap"] = fmean(overlaps.values())
            probe = probes.get(record["task"])
            if probe is not None:
                scores.update(_probe_scores(encoder, probe, seed))
            record["candidates"].append(
                {
                    "name": candidate.name,
                    "tasks": [h.task for h in candidate.heads],
                    "phase": candidate.phase,
                    "artefact": str(encoder_dir) if artefact else None,
                    "missing": None if artefact else missing,
                    "source_languages": list(candidate.source_languages),
                    "scores": scores,
                    "per_language": per_language,
                }
            )
        if encoder is not None:
            encoder.release()
        if any(h.kind == MASKED_LM.name for h in candidate.heads):
            notes.append(f"{candidate.name}: its MLM member is left out of similarity, overlap and data size")

    for record in targets:
        record.pop("_embedding")
    return {
        "experiment": spec.name,
        "model": spec.model,
        "seed": seed,
        "artefact_seed": spec.seeds[0],
        "sample_size": sample_size,
        "knn": {"k": KNN_NEIGHBOURS, "folds": KNN_FOLDS},
        "device": str(device),
        "cost": {**cost.as_dict(), "total_seconds": round(time.perf_counter() - started, 3)},
        "notes": notes,
        "targets": targets,
    }


def _probe_scores(encoder: FeatureEncoder | None, probe: _Probe, seed: int) -> dict[str, float | None]:
    """LogME and the k-NN probe of the target's sample on the encoder's features (None without an encoder)."""
    if encoder is None:
        return {"logme": None, "knn": None}
    features = encoder.pooled(probe.features, probe.pooling)
    return {
        "logme": logme(features, probe.labels),
        "knn": knn_probe_accuracy(features, probe.labels, KNN_NEIGHBOURS, KNN_FOLDS, seed),
    }


def write_estimates(run_dir: Path, record: dict[str, Any]) -> Path:
    path = run_dir / RANKING_DIR / ESTIMATES_JSON
    atomic_write_json(path, record)
    return path
