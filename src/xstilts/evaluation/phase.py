"""The evaluation phase: the target-trained model on every language of the target task, zero-shot; one loop for
every kind. The kind decides how the model is built and how a language is scored: with the trained head of the
parent phase (:class:`~xstilts.evaluation.scoring.HeadScorer`), or, for retrieval, with the parent's encoder (or
the pretrained model) and a parameter-free embedding head (``evaluation.retrieval``). Every set's features come
through the kind's featurizer and the feature cache (:class:`~xstilts.evaluation.scoring.LanguageData`).

Each language's metrics and predictions are written as soon as they are known, so an interrupted evaluation
resumes with the languages it had not finished. A language's record is its scores, or, for a kind that records
details with them (retrieval: its settings), ``{"scores": ..., <detail>: ...}``; each detail is added to every
metric row.
"""

from __future__ import annotations

from typing import Any

import torch
from tqdm.auto import tqdm

from xstilts.artefacts import PhaseDir, atomic_write_json, atomic_write_text, read_json
from xstilts.data.features import FeatureCache
from xstilts.errors import XstiltsError
from xstilts.evaluation.retrieval import retrieval_evaluation
from xstilts.evaluation.scoring import HeadScorer, LanguageData
from xstilts.kinds.dual_encoder import DUAL_ENCODER
from xstilts.kinds.retrieval import RETRIEVAL
from xstilts.models.adapters import load_phase_model, use_language
from xstilts.models.multitask import MultiTaskModel
from xstilts.phase_config import EvalPhaseConfig
from xstilts.tasks.base import Task
from xstilts.tasks.registry import get_task


def run_eval_phase(
    config: EvalPhaseConfig, phase_dir: PhaseDir, parent_dir: PhaseDir | None, cache: FeatureCache, device: Any
) -> list[dict[str, Any]]:
    """``parent_dir`` is None only for a retrieval target evaluated on the pretrained model (the baseline)."""
    task = get_task(config.task)
    split, data, source = config.split, config.data, config.source
    build = retrieval_evaluation if _by_embeddings(task, parent_dir) else _head_evaluation
    model, tokenizer, scorer = build(config, task, parent_dir, device)
    model.to(device)
    metrics: list[dict[str, Any]] = []
    for language in tqdm(config.languages, desc=f"evaluate {task.name}", unit="lang", leave=False):
        done = phase_dir.language_record(language)
        if not done.exists():
            _record_language_adapter(phase_dir, language, use_language(model, language))
            outcome = scorer(LanguageData(task, language, source, scorer.labels, tokenizer, data, cache), split)
            atomic_write_text(
                phase_dir.prediction_file(task.name, split, language, outcome.extension), outcome.predictions
            )
            atomic_write_json(
                done, {"scores": outcome.scores, **outcome.details} if outcome.details else outcome.scores
            )
        metrics += _metric_rows(task.name, language, split, read_json(done))
    return metrics


def _by_embeddings(task: Task, parent_dir: PhaseDir | None) -> bool:
    """Retrieval, and a dual-encoder task whose parent has no head for it (a probe of the intermediate encoder or
    of the pretrained model), are scored by embeddings of the parent's encoder (``evaluation.retrieval``)."""
    if task.kind is RETRIEVAL:
        return True
    if task.kind is not DUAL_ENCODER:
        return False
    return parent_dir is None or task.name not in read_json(parent_dir.heads_json)


def _head_evaluation(
    config: EvalPhaseConfig, task: Task, parent_dir: PhaseDir | None, device: torch.device
) -> tuple[MultiTaskModel, Any, HeadScorer]:
    """(model, tokenizer, scorer): the parent phase's model with its heads; the task's head scores."""
    if parent_dir is None:
        raise XstiltsError(f"task {task.name!r}: evaluation needs a trained parent phase")
    model, tokenizer = load_phase_model(parent_dir, config.trust_remote_code)
    labels = model.head_specs[task.name].get("labels", list(task.labels))
    return model, tokenizer, HeadScorer(model, task, labels, tokenizer.pad_token_id, device)


def _metric_rows(task: str, language: str, split: str, record: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per metric of a language's record, with the record's details (flat scores have none)."""
    details: dict[str, Any] = {}
    if isinstance(record.get("scores"), dict):
        details = {key: value for key, value in record.items() if key != "scores"}
        record = record["scores"]
    return [
        {"task": task, "language": language, "split": split, "metric": metric, "value": value} | details
        for metric, value in record.items()
    ]


def _record_language_adapter(phase_dir: PhaseDir, language: str, used: str | None) -> None:
    """MAD-X: which language's adapter evaluated ``language`` (its own, or the source language's as fallback),
    in ``language_adapters.json``; nothing for models without language adapters."""
    if used is None:
        return
    path = phase_dir.language_adapters
    record = read_json(path) if path.exists() else {}
    atomic_write_json(path, {**record, language: used})
