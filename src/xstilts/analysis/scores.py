"""From stored metric records to the numbers the report analyses: one score per (task, variant, seed,
language), and deltas against the baseline paired by seed.

A language's score is the task's metric (accuracy, F1 ...); for QA it is (EM + F1) / 2, XTREME's rule.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from statistics import fmean
from typing import Any

from xstilts.benchmarks import QA_METRICS, TASK_LANGUAGES, TASK_METRIC, Benchmark
from xstilts.experiments.variants import baseline_of, variant_sort_key

# (task, variant, seed) -> language -> score
Scores = dict[tuple[str, str, int], dict[str, float]]


def combined(task: str, metrics: Mapping[str, float]) -> float:
    """A language's score: the benchmark's metric for XTREME / XTREME-R tasks ((EM + F1) / 2 for QA), else
    (EM + F1) / 2, accuracy or F1, whichever the task records, in that order of preference."""
    metric = TASK_METRIC.get(task)
    if isinstance(metric, str) and metric in metrics:
        return metrics[metric]
    if all(m in metrics for m in QA_METRICS):
        return (metrics["exact_match"] + metrics["f1"]) / 2
    for name in ("accuracy", "f1"):
        if name in metrics:
            return metrics[name]
    return metrics[min(metrics)]


def language_scores(records: Iterable[dict[str, Any]]) -> Scores:
    by_cell: dict[tuple[str, str, int, str], dict[str, float]] = defaultdict(dict)
    for r in records:
        if r["role"] == "evaluate":
            by_cell[(r["task"], r["variant"], r["seed"], r["language"])][r["metric"]] = r["value"]
    scores: Scores = defaultdict(dict)
    for (task, variant, seed, language), metrics in by_cell.items():
        scores[(task, variant, seed)][language] = combined(task, metrics)
    return dict(scores)


def variants_of(scores: Scores) -> list[str]:
    return sorted({v for _, v, _ in scores}, key=variant_sort_key)


def tasks_of(scores: Scores) -> list[str]:
    return sorted({t for t, _, _ in scores})


def seeds_of(scores: Scores, task: str, variant: str) -> list[int]:
    return sorted(s for t, v, s in scores if t == task and v == variant)


def task_score(scores: Scores, task: str, variant: str, seed: int) -> float:
    """Mean over every evaluated language, English included (XTREME's task score)."""
    return fmean(scores[(task, variant, seed)].values())


def benchmark_task_score(scores: Scores, task: str, variant: str, seed: int, benchmark: Benchmark) -> float | None:
    """The task's score as ``benchmark`` defines it: the mean over its official languages only (a run may evaluate
    more, e.g. XTREME-R's 48 PAN-X languages against XTREME's 40); None unless all of them were evaluated."""
    official = TASK_LANGUAGES[benchmark].get(task)
    by_language = scores.get((task, variant, seed), {})
    if official is None or any(language not in by_language for language in official):
        return None
    return fmean(by_language[language] for language in official)


def paired_language_deltas(scores: Scores, task: str, variant: str) -> dict[str, float]:
    """Per language: mean over seeds of (variant − baseline, same seed), for seeds both have."""
    out: dict[str, list[float]] = defaultdict(list)
    for seed in seeds_of(scores, task, variant):
        base = scores.get((task, baseline_of(variant), seed))
        if base is None:
            continue
        for language, value in scores[(task, variant, seed)].items():
            if language in base:
                out[language].append(value - base[language])
    return {language: fmean(values) for language, values in out.items()}


def paired_task_scores(scores: Scores, task: str, variant: str) -> tuple[list[float], list[float]]:
    """(variant, baseline) task scores for the seeds both have, in seed order."""
    baseline = baseline_of(variant)
    pairs = [
        (task_score(scores, task, variant, s), task_score(scores, task, baseline, s))
        for s in seeds_of(scores, task, variant)
        if (task, baseline, s) in scores
    ]
    return [p[0] for p in pairs], [p[1] for p in pairs]
