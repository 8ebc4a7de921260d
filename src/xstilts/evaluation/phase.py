"""The evaluation phase: the target-trained model on every language of the target task, zero-shot.

Each language's metrics and predictions are written as soon as they are known, so an interrupted
evaluation resumes with the languages it had not finished.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tqdm.auto import tqdm

from xstilts.artefacts import atomic_write_json, atomic_write_text, read_json
from xstilts.data.features import FeatureCache
from xstilts.errors import XstiltsError
from xstilts.evaluation.retrieval_phase import run_retrieval_eval
from xstilts.evaluation.scoring import score_set
from xstilts.kinds.base import Kind
from xstilts.kinds.retrieval import RETRIEVAL
from xstilts.models.adapters import load_phase_model, use_language
from xstilts.phase_config import EvalPhaseConfig
from xstilts.tasks.loading import load_examples, load_features
from xstilts.tasks.registry import get_task

LANGUAGE_ADAPTERS_JSON = "language_adapters.json"


def run_eval_phase(
    config: EvalPhaseConfig, phase_dir: Path, parent_dir: Path | None, cache: FeatureCache, device: Any
) -> list[dict[str, Any]]:
    """``parent_dir`` is None only for a retrieval target evaluated on the pretrained model (the baseline)."""
    task = get_task(config.task)
    if task.kind is RETRIEVAL:  # no head: pooled embeddings of the encoder
        return run_retrieval_eval(config, task, phase_dir, parent_dir, device)
    if parent_dir is None:
        raise XstiltsError(f"task {task.name!r}: evaluation needs a trained parent phase")
    split, data, source = config.split, config.data, config.source
    model, tokenizer = load_phase_model(parent_dir, config.trust_remote_code)
    model.to(device)
    labels = model.head_specs[task.name].get("labels", list(task.labels))
    metrics: list[dict[str, Any]] = []
    for language in tqdm(config.languages, desc=f"evaluate {task.name}", unit="lang", leave=False):
        done = phase_dir / "languages" / f"{language}.json"
        if not done.exists():
            _record_language_adapter(phase_dir, language, use_language(model, language))
            examples = load_examples(task, split, language, source, data["max_eval_examples"])
            features = load_features(task, split, language, source, examples, labels, tokenizer, data, False, cache)
            scores, predictions = score_set(
                model,
                task.name,
                task,
                labels,
                examples,
                features,
                data,
                language,
                tokenizer.pad_token_id,
                device,
                language,
            )
            _write_predictions(phase_dir / "predictions" / task.name, split, language, task.kind, examples, predictions)
            atomic_write_json(done, scores)
        for metric, value in read_json(done).items():
            metrics.append({"task": task.name, "language": language, "split": split, "metric": metric, "value": value})
    return metrics


def _record_language_adapter(phase_dir: Path, language: str, used: str | None) -> None:
    """MAD-X: which language's adapter evaluated ``language`` (its own, or the source language's as fallback),
    in ``language_adapters.json``; nothing for models without language adapters."""
    if used is None:
        return
    path = phase_dir / LANGUAGE_ADAPTERS_JSON
    record = read_json(path) if path.exists() else {}
    atomic_write_json(path, {**record, language: used})


def _write_predictions(
    directory: Path, split: str, language: str, kind: Kind, examples: list[Any], predictions: dict[str, Any]
) -> None:
    """XTREME's submission layout, ``<task>/<split>-<lang>.<ext>``, in the kind's format."""
    path = directory / f"{split}-{language}.{kind.prediction_extension}"
    atomic_write_text(path, kind.render(examples, predictions))
