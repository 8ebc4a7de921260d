"""Scoring a submission folder against a labels folder, both in XTREME's layout, as google-research/xtreme's
``evaluate.py`` does (its XTREME version and the later one with ``--xtreme_version``).

Layout: ``<folder>/<task>/test-<lang>.<ext>``, the files evaluate.py reads; each task's folder and extension are
``xstilts.benchmarks.SUBMISSION_FILES``, and ``FORMATS`` adds its scorer. Only the benchmark's tasks and official
test languages (``TASK_LANGUAGES``) are
scored, and the result nests as evaluate.py's output: task → metric → language → value, then ``avg_<metric>``
over the languages and ``avg_metric`` (QA: (avg EM + avg F1) / 2), group scores and ``all_task`` (the mean of
all tasks, ``metrics.aggregates``). Departures, each deliberate:

* A partial folder is scored for what it holds. evaluate.py raises ``FileNotFoundError`` on the first missing
  file; here the missing files are listed, a task lacking languages is scored over those it has and listed in
  ``incomplete_tasks``, and only complete tasks count towards the group scores and ``all_task`` (evaluate.py
  shows a group only when all its tasks are there), which are ``None`` otherwise.
* A prediction file whose examples do not line up with its label file (line-aligned formats: labels, tags,
  Tatoeba indices, XCOPA rows) is an error naming both files, as evaluate.py's assertion is; BUCC pairs, QA
  answers and retrieval rankings are keyed by id and not counted, as there.
* LAReQA: evaluate.py has neither a file format nor a metric for it (``'lareqa': []``). Here it reads as
  Mewsli-X does (``lareqa/test-<lang>.json``, question id → ranked answer ids; the labels: question id → all
  gold answer ids) and scores mAP@20, as the XTREME-R paper defines it (§3.2.2).
* Names follow xstilts in ``score_submission``'s result (the task ``mewsli_x``; its folder ``mewslix`` as in the
  official layout, or ``mewsli_x`` as xstilts' evaluation phase names it); ``official_output`` writes evaluate.py's
  names and layout.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from statistics import fmean
from typing import Any

from xstilts.benchmarks import (
    RETRIEVAL_LAREQA_NOTE,
    SUBMISSION_FILES,
    SUBMISSION_SPLIT,
    TASK_GROUPS,
    TASK_LANGUAGES,
    Benchmark,
    benchmark_tasks,
)
from xstilts.data.examples import ClassificationExample
from xstilts.data.squad_json import read_squad_json
from xstilts.errors import DataFormatError, XstiltsError
from xstilts.evaluation.submission_files import (
    read_answers,
    read_indices,
    read_jsonl_labels,
    read_labels,
    read_pairs,
    read_rankings,
    read_tags,
)
from xstilts.metrics.accuracy import accuracy
from xstilts.metrics.aggregates import benchmark_scores, task_score
from xstilts.metrics.bucc import pair_f1
from xstilts.metrics.mlqa import mlqa
from xstilts.metrics.retrieval import TOP_K, mean_average_precision, mean_reciprocal_rank, tatoeba_accuracy
from xstilts.metrics.seqeval_f1 import tagging_f1
from xstilts.metrics.squad_v1 import squad_v1

SPLIT = SUBMISSION_SPLIT
Scorer = Callable[[Path, Path, str], dict[str, float]]
"""(prediction file, label file, language) -> metric -> value in percent."""


def _same_count(prediction: Path, predicted: int, label: Path, gold: int, unit: str) -> None:
    if predicted != gold:
        raise DataFormatError(prediction, f"{predicted} {unit} but the label file {label} has {gold}")


def _score_labels(prediction: Path, label: Path, language: str) -> dict[str, float]:
    predicted, gold = read_labels(prediction), read_labels(label)
    _same_count(prediction, len(predicted), label, len(gold), "lines")
    examples = [ClassificationExample(str(i), "", None, g) for i, g in enumerate(gold)]
    return accuracy(examples, {str(i): p for i, p in enumerate(predicted)})


def _score_xcopa(prediction: Path, label: Path, language: str) -> dict[str, float]:
    predicted, gold = read_jsonl_labels(prediction), read_jsonl_labels(label)
    _same_count(prediction, len(predicted), label, len(gold), "lines")
    examples = [ClassificationExample(str(i), "", None, g) for i, g in enumerate(gold)]
    return accuracy(examples, {str(i): p for i, p in enumerate(predicted)})


def _score_tatoeba(prediction: Path, label: Path, language: str) -> dict[str, float]:
    predicted, gold = read_indices(prediction), read_indices(label)
    _same_count(prediction, len(predicted), label, len(gold), "lines")
    return tatoeba_accuracy(predicted, gold)


def _score_tags(prediction: Path, label: Path, language: str) -> dict[str, float]:
    predicted, gold = read_tags(prediction), read_tags(label)
    _same_count(prediction, len(predicted), label, len(gold), "sentences")
    for (line, tags), (gold_line, gold_tags) in zip(predicted, gold, strict=True):
        if len(tags) != len(gold_tags):
            raise DataFormatError(
                prediction,
                f"the sentence starting here has {len(tags)} tags but its label sentence ({label}:{gold_line}) "
                f"has {len(gold_tags)}",
                line,
            )
    return tagging_f1([tags for _, tags in gold], [tags for _, tags in predicted])


def _score_bucc(prediction: Path, label: Path, language: str) -> dict[str, float]:
    gold = read_pairs(label)
    if not gold:  # predictions may be empty (nothing extracted), the gold pairs may not
        raise DataFormatError(label, "no gold pairs")
    seen: dict[tuple[str, str], int] = {}
    for number, pair in enumerate(gold, start=1):  # read_pairs reads every line, so the index is the line
        if pair in seen:
            raise DataFormatError(
                label, f"gold pair {pair[0]} {pair[1]} listed twice (first on line {seen[pair]})", number
            )
        seen[pair] = number
    return pair_f1(read_pairs(prediction), gold)


def _score_squad(prediction: Path, label: Path, language: str) -> dict[str, float]:
    return squad_v1(read_squad_json(label), read_answers(prediction))


def _score_mlqa(prediction: Path, label: Path, language: str) -> dict[str, float]:
    return mlqa(read_squad_json(label), read_answers(prediction), language)


def _rankings(prediction: Path, label: Path) -> tuple[list[list[str]], list[list[str]]]:
    """Predictions in the order of the gold queries; a query without predictions ranks nothing (scores 0)."""
    predicted, gold = read_rankings(prediction, gold=False), read_rankings(label, gold=True)
    return [predicted.get(query, []) for query in gold], list(gold.values())


def _score_mewslix(prediction: Path, label: Path, language: str) -> dict[str, float]:
    """utils_mewslix.py's ``evaluate``: MRR@20 against each mention's first gold entity, reported as ``map@20``
    (the two coincide with one gold entity)."""
    ranked, golds = _rankings(prediction, label)
    scores = mean_reciprocal_rank(ranked, [{gold[0].strip()} for gold in golds], k=TOP_K)
    return {f"map@{TOP_K}": scores[f"mrr@{TOP_K}"]}


def _score_lareqa(prediction: Path, label: Path, language: str) -> dict[str, float]:
    ranked, golds = _rankings(prediction, label)
    return mean_average_precision(ranked, [set(gold) for gold in golds], k=TOP_K)


@dataclass(frozen=True)
class TaskFormat:
    folders: tuple[str, ...]  # the official folder name first; any other accepted spelling after it
    extension: str
    score: Scorer


# evaluate.py: METRIC_FUNCTION, keyed by xstilts' task names.
SCORERS: dict[str, Scorer] = {
    "xnli": _score_labels,
    "pawsx": _score_labels,
    "xcopa": _score_xcopa,
    "udpos": _score_tags,
    "panx": _score_tags,
    "xquad": _score_squad,
    "mlqa": _score_mlqa,
    "tydiqa": _score_squad,
    "bucc2018": _score_bucc,
    "tatoeba": _score_tatoeba,
    "mewsli_x": _score_mewslix,
    "lareqa": _score_lareqa,
}

FORMATS: dict[str, TaskFormat] = {
    task: TaskFormat(files.folders, files.extension, SCORERS[task]) for task, files in SUBMISSION_FILES.items()
}


def _task_folder(root: Path, task: str) -> Path | None:
    found = [root / name for name in FORMATS[task].folders if (root / name).is_dir()]
    if len(found) > 1:
        raise XstiltsError(f"{root} holds both {found[0].name}/ and {found[1].name}/ for {task}; keep one")
    return found[0] if found else None


def _check_folder(path: Path, role: str) -> None:
    if not path.is_dir():
        raise XstiltsError(f"{role} folder {path} does not exist or is not a folder")


def _task_result(by_language: dict[str, dict[str, float]], task: str) -> dict[str, Any]:
    """evaluate.py's per-task dict: metric → language → value, avg_<metric> over the languages, avg_metric."""
    result: dict[str, Any] = {}
    for language, scores in by_language.items():
        for metric, value in scores.items():
            result.setdefault(metric, {})[language] = value
    metrics = list(result)
    for metric in metrics:
        result[f"avg_{metric}"] = fmean(result[metric].values())
    result["avg_metric"] = task_score(task, {metric: result[metric] for metric in metrics})
    return result


def score_submission(predictions: Path, labels: Path, benchmark: Benchmark) -> dict[str, Any]:
    """Scores every ``<task>/test-<lang>.<ext>`` of ``benchmark`` present in both folders.

    Returns ``benchmark``, ``complete``, ``groups`` (group → score, ``None`` unless all its tasks are complete),
    ``all_task`` (``None`` unless every task is complete), ``tasks`` (task → evaluate.py's per-task dict),
    ``incomplete_tasks`` (scored task → its languages not scored), ``missing`` (``predictions`` and ``labels``:
    the official files absent from each folder, as ``<task>/test-<lang>.<ext>``), ``unknown_tasks`` (prediction
    folders that are not tasks of the benchmark) and ``ignored_files`` (files in a task's prediction folder that
    are not one of its official test files). Malformed files and misaligned prediction files raise
    ``DataFormatError``.
    """
    if benchmark not in TASK_LANGUAGES:
        raise XstiltsError(f"unknown benchmark {benchmark!r}; known: {', '.join(TASK_LANGUAGES)}")
    _check_folder(predictions, "predictions")
    _check_folder(labels, "labels")
    tasks: dict[str, Any] = {}
    incomplete: dict[str, list[str]] = {}
    missing: dict[str, list[str]] = {"predictions": [], "labels": []}
    ignored: list[str] = []
    known_folders: set[str] = set()
    for task in benchmark_tasks(benchmark):
        task_format = FORMATS[task]
        known_folders.update(task_format.folders)
        prediction_dir, label_dir = _task_folder(predictions, task), _task_folder(labels, task)
        by_language: dict[str, dict[str, float]] = {}
        expected: set[str] = set()
        for language in TASK_LANGUAGES[benchmark][task]:
            name = f"{SPLIT}-{language}.{task_format.extension}"
            expected.add(name)
            prediction = prediction_dir / name if prediction_dir else None
            label = label_dir / name if label_dir else None
            for side, path in (("predictions", prediction), ("labels", label)):
                if path is None or not path.is_file():
                    missing[side].append(f"{task_format.folders[0]}/{name}")
            if prediction is not None and prediction.is_file() and label is not None and label.is_file():
                by_language[language] = task_format.score(prediction, label, language)
        if prediction_dir is not None:
            ignored += sorted(
                f"{prediction_dir.name}/{p.name}" for p in prediction_dir.iterdir() if p.name not in expected
            )
        if by_language:
            tasks[task] = _task_result(by_language, task)
            left_out = [lang for lang in TASK_LANGUAGES[benchmark][task] if lang not in by_language]
            if left_out:
                incomplete[task] = left_out
    complete_scores = {task: result["avg_metric"] for task, result in tasks.items() if task not in incomplete}
    aggregates = benchmark_scores(complete_scores, benchmark)
    return {
        "benchmark": benchmark,
        "complete": aggregates["overall"] is not None,
        "groups": aggregates["groups"],
        "all_task": aggregates["overall"],
        "tasks": tasks,
        "incomplete_tasks": incomplete,
        "missing": missing,
        "unknown_tasks": sorted(p.name for p in predictions.iterdir() if p.is_dir() and p.name not in known_folders),
        "ignored_files": ignored,
    }


NOTES_KEY = "xstilts"
"""The one key ``official_output`` adds to evaluate.py's layout, only where a score departs from what evaluate.py
would write: XTREME-R (LAReQA in retrieval and ``all_task``) and partial folders (evaluate.py stops at the first
missing file)."""


def official_output(result: dict[str, Any]) -> dict[str, Any]:
    """``score_submission``'s result in the layout of the file evaluate.py writes (``--output_file``): ``all_task``
    when every task is scored, each group whose tasks all are, then each scored task under its official name
    (``mewslix``), as task → metric → language → value with ``avg_<metric>`` and ``avg_metric``. Incomplete groups
    and ``all_task`` are absent, not null, as there. Only where the scores depart from evaluate.py's (XTREME-R, a
    partial folder) does ``NOTES_KEY`` say how: its ``notes``, with the tasks scored over fewer languages
    (``incomplete_tasks``), the missing files, unknown task folders and ignored files (as ``score_submission``).
    """
    benchmark = result["benchmark"]
    output: dict[str, Any] = {} if result["all_task"] is None else {"all_task": result["all_task"]}
    output |= {group: score for group, score in result["groups"].items() if score is not None}
    tasks = result["tasks"]  # in evaluate.py's order (its TASK2LANGS, which TASK_LANGUAGES follows)
    output |= {SUBMISSION_FILES[t].folders[0]: tasks[t] for t in TASK_LANGUAGES[benchmark] if t in tasks}
    partial = bool(result["incomplete_tasks"]) or any(result["missing"].values())
    notes = [RETRIEVAL_LAREQA_NOTE] if "lareqa" in TASK_GROUPS[benchmark]["retrieval"] else []
    if partial:
        notes.append(
            "partial folder: evaluate.py stops at the first missing file; here what is present is scored, tasks"
            " missing languages are scored over those they have (incomplete_tasks) and left out of groups and all_task"
        )
    if notes:
        details = ("incomplete_tasks", "missing", "unknown_tasks", "ignored_files")
        output[NOTES_KEY] = {"benchmark": benchmark, "notes": notes} | {key: result[key] for key in details}
    return output
