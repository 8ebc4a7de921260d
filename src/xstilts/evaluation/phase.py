"""The evaluation phase: the target-trained model on every language of the target task, zero-shot.

Each language's metrics and predictions are written as soon as they are known, so an interrupted
evaluation resumes with the languages it had not finished.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tqdm.auto import tqdm

from xstilts.artefacts import atomic_write_json, atomic_write_text, read_json
from xstilts.data.features import FeatureCache
from xstilts.data.loading import load_examples, load_features
from xstilts.evaluation.scoring import score_set
from xstilts.models.encoder import load_encoder
from xstilts.models.multitask import MultiTaskModel
from xstilts.tasks.base import DataSource, TaskKind
from xstilts.tasks.registry import get_task


def run_eval_phase(
    config: dict[str, Any], phase_dir: Path, parent_dir: Path, cache: FeatureCache, device: Any
) -> list[dict[str, Any]]:
    task = get_task(config["task"])
    split, data, source = config["split"], config["data"], DataSource(**config["source"])
    encoder, tokenizer = load_encoder(str(parent_dir / "encoder"), trust_remote_code=config["trust_remote_code"])
    model = MultiTaskModel(encoder, read_json(parent_dir / "heads.json"))
    model.load_heads(parent_dir)
    model.to(device)
    labels = model.head_specs[task.name].get("labels", list(task.labels))
    metrics: list[dict[str, Any]] = []
    for language in tqdm(config["languages"], desc=f"evaluate {task.name}", unit="lang", leave=False):
        done = phase_dir / "languages" / f"{language}.json"
        if not done.exists():
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
                tokenizer.pad_token_id,
                device,
                language,
            )
            _write_predictions(phase_dir / "predictions" / task.name, split, language, task.kind, examples, predictions)
            atomic_write_json(done, scores)
        for metric, value in read_json(done).items():
            metrics.append({"task": task.name, "language": language, "split": split, "metric": metric, "value": value})
    return metrics


def _label_lines(examples: list[Any], predictions: dict[str, Any]) -> str:
    return "".join(f"{predictions[e.guid]}\n" for e in examples)


def _answer_map(examples: list[Any], predictions: dict[str, Any]) -> str:
    return json.dumps({e.guid: predictions[e.guid] for e in examples}, ensure_ascii=False, indent=1) + "\n"


# kind -> (file extension, text of the file): XTREME's submission layout, ``<task>/<split>-<lang>.<ext>``.
PREDICTION_FILES: dict[str, tuple[str, Callable[[list[Any], dict[str, Any]], str]]] = {
    TaskKind.CLASSIFICATION.value: ("tsv", _label_lines),
    TaskKind.SPAN_EXTRACTION.value: ("json", _answer_map),
}


def _write_predictions(
    directory: Path,
    split: str,
    language: str,
    kind: TaskKind,
    examples: list[Any],
    predictions: dict[str, Any],
) -> None:
    extension, render = PREDICTION_FILES[kind.value]
    atomic_write_text(directory / f"{split}-{language}.{extension}", render(examples, predictions))
