"""XTREME and XTREME-R aggregate scores, as the official evaluation computes them, and IGLUE's zero-shot table
(``iglue_scores``, its rules in its docstring and in :mod:`xstilts.benchmarks`).

The benchmark table these functions read (task groups, official test languages, headline metrics), its
sources (google-research/xtreme's ``evaluate.py``, the XTREME and XTREME-R papers) and its deliberate departures
from the code are in :mod:`xstilts.benchmarks`.

The rules, as ``evaluate()`` implements them:

1. A task's score is, for each metric, the mean over all of the task's test languages (English included where
   the task has an English test set: XNLI, PAWS-X, UD-POS, PAN-X, XQuAD, MLQA, TyDiQA-GoldP, Mewsli-X, LAReQA;
   BUCC and Tatoeba pair other languages with English and XCOPA has no English test set); then
   ``avg_metric`` = (avg EM + avg F1) / 2 for the QA group (XQuAD, MLQA, TyDiQA-GoldP alike), else avg F1
   where the task reports F1 (UD-POS, PAN-X, BUCC), else avg accuracy (XNLI, PAWS-X, XCOPA, Tatoeba).
   Mewsli-X and LAReQA report mAP@20 (``mewslix_map20()``; the paper, §3.2.2). LAReQA's
   ``mean_avg_prec_at_k()`` averages over all questions at once; XQuAD-R being parallel (the same questions in
   each language), that equals the mean over question languages used here.
2. A group's score is the unweighted mean of its tasks' scores, shown only when every task of the group is
   available. XTREME-R's ``multi_choice`` group is XCOPA alone, which ``classification`` also holds (evaluate.py
   reports both).
3. The overall score (``all_task``) is the unweighted mean of **all tasks'** scores (9 for XTREME, 10 for
   XTREME-R), shown only when every task is available. It is *not* the mean of the group scores: the QA group
   (3 tasks) weighs 3/9 of XTREME's overall, not 1/4. ``benchmark_scores`` also returns the mean of the group
   scores (``overall_of_groups``, over the four categories: ``multi_choice`` repeats XCOPA and is left out) for
   comparison with tables that average categories, clearly labelled.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from statistics import fmean
from typing import Any

from xstilts.benchmarks import (
    IGLUE,
    IGLUE_COLUMNS,
    IGLUE_LANGUAGES,
    REPEATED_GROUPS,
    TASK_GROUPS,
    TASK_LANGUAGES,
    TASK_METRIC,
    Benchmark,
    benchmark_tasks,
)
from xstilts.data.sources import ENGLISH


def _mean_over_languages(task: str, metric: str, by_language: Mapping[str, float] | None) -> float:
    if not by_language:
        raise ValueError(f"task {task!r}: no {metric!r} values (metric → language → value expected)")
    return fmean(by_language.values())


def task_score(task: str, metrics: Mapping[str, Mapping[str, float]]) -> float:
    """One task's score from its per-language metrics (``metric → language → value``, in percent).

    evaluate.py's ``evaluate()``: each metric is averaged over every language given (English included), then
    QA tasks (xquad, mlqa, tydiqa) score (mean EM + mean F1) / 2 and the others their official metric
    (``TASK_METRIC``); other metrics present (precision, recall ...) are ignored. For QA, EM and F1 must cover
    the same languages. Whether the languages are the official test set is the caller's business
    (``missing_languages``). Unknown tasks and missing metrics raise ``ValueError``.
    """
    if task not in TASK_METRIC:
        raise ValueError(f"unknown task {task!r}; known: {', '.join(TASK_METRIC)}")
    metric = TASK_METRIC[task]
    if isinstance(metric, tuple):
        em, f1 = (metrics.get(m) for m in metric)
        if em and f1 and set(em) != set(f1):
            raise ValueError(f"task {task!r}: exact_match and f1 cover different languages")
        return (_mean_over_languages(task, metric[0], em) + _mean_over_languages(task, metric[1], f1)) / 2
    return _mean_over_languages(task, metric, metrics.get(metric))


def missing_languages(task: str, languages: Iterable[str], benchmark: Benchmark) -> list[str]:
    """The official test languages of ``task`` in ``benchmark`` (evaluate.py's TASK2LANGS) not in ``languages``."""
    official = TASK_LANGUAGES[benchmark].get(task)
    if official is None:
        raise ValueError(f"task {task!r} is not part of {benchmark}")
    given = set(languages)
    return [language for language in official if language not in given]


def benchmark_scores(task_scores: Mapping[str, float | None], benchmark: Benchmark) -> dict[str, Any]:
    """Group and overall scores of ``benchmark`` from task scores (``task → score``, e.g. from ``task_score``).

    evaluate.py's ``evaluate()``: a group's score is the mean of its tasks' scores, None unless all of them are
    given; ``overall`` is the mean of all the benchmark's tasks (not of the groups), None unless every task is
    given. ``overall_of_groups`` is the mean of the four category scores (None unless all are complete; not
    ``multi_choice``, which repeats XCOPA), for comparison only. A task given as None counts as missing. Returns
    ``{"benchmark", "groups", "overall", "overall_of_groups", "missing", "ignored"}``: ``missing`` lists the
    benchmark's absent tasks in group order, ``ignored`` the given tasks that are not part of the benchmark (e.g.
    pawsx for XTREME-R).
    """
    if benchmark not in TASK_GROUPS:
        raise ValueError(f"unknown benchmark {benchmark!r}; known: {', '.join(TASK_GROUPS)}")
    groups = TASK_GROUPS[benchmark]
    tasks = benchmark_tasks(benchmark)
    present = {task: float(score) for task, score in task_scores.items() if score is not None}
    group_scores: dict[str, float | None] = {
        group: fmean(present[t] for t in group_tasks) if all(t in present for t in group_tasks) else None
        for group, group_tasks in groups.items()
    }
    missing = [task for task in tasks if task not in present]
    complete = not missing
    return {
        "benchmark": benchmark,
        "groups": group_scores,
        "overall": fmean(present[t] for t in tasks) if complete else None,
        "overall_of_groups": fmean(s for g, s in group_scores.items() if s is not None and g not in REPEATED_GROUPS)
        if complete
        else None,
        "missing": missing,
        "ignored": sorted(task for task in task_scores if task not in tasks),
    }


def iglue_scores(metrics: Mapping[str, Mapping[str, Mapping[str, float]]]) -> dict[str, Any]:
    """IGLUE's zero-shot table from per-language test metrics (``task → metric → language → value``, percent).

    As e-bug/iglue's ``results/get_<task>_zero.py`` computes it (facts in :mod:`xstilts.benchmarks`): each column
    (``IGLUE_COLUMNS``: XVNLI, xGQA and MaRVL accuracy; xFlickr&CO and WIT image- and text-retrieval Recall@1) is
    the mean over the task's target languages, English left out and reported apart. A column is None unless every
    target language is given; IGLUE defines no score across the columns, so there is no overall. Returns
    ``{"benchmark", "columns", "english", "missing", "missing_languages", "ignored"}``: ``missing`` lists the
    columns with no value at all (tasks not run), ``missing_languages`` the incomplete ones' absent languages,
    ``ignored`` the given tasks that are not IGLUE's.
    """
    columns: dict[str, float | None] = {}
    english: dict[str, float | None] = {}
    missing: list[str] = []
    absent: dict[str, list[str]] = {}
    for column in IGLUE_COLUMNS:
        by_language = metrics.get(column.task, {}).get(column.metric, {})
        english[column.name] = by_language.get(ENGLISH)
        targets = IGLUE_LANGUAGES[column.task]
        lacking = [language for language in targets if language not in by_language]
        if not any(language in by_language for language in targets):
            missing.append(column.name)
            columns[column.name] = None
        elif lacking:
            absent[column.name] = lacking
            columns[column.name] = None
        else:
            columns[column.name] = fmean(by_language[language] for language in targets)
    return {
        "benchmark": IGLUE,
        "columns": columns,
        "english": english,
        "missing": missing,
        "missing_languages": absent,
        "ignored": sorted(task for task in metrics if task not in IGLUE_LANGUAGES),
    }
