"""XTREME / XTREME-R aggregates: task scores from per-language metrics, groups and the overall score."""

from __future__ import annotations

import pytest

from xstilts.benchmarks import REPEATED_GROUPS, TASK_GROUPS, TASK_LANGUAGES, TASK_METRIC, benchmark_tasks
from xstilts.metrics.aggregates import benchmark_scores, missing_languages, task_score

XTREME_FULL = {
    "pawsx": 80.0,
    "xnli": 70.0,
    "udpos": 60.0,
    "panx": 50.0,
    "xquad": 40.0,
    "mlqa": 30.0,
    "tydiqa": 20.0,
    "bucc2018": 10.0,
    "tatoeba": 0.0,
}

XTREME_R_FULL = {
    "xnli": 80.0,
    "xcopa": 60.0,
    "udpos": 75.0,
    "panx": 65.0,
    "xquad": 70.0,
    "mlqa": 60.0,
    "tydiqa": 50.0,
    "tatoeba": 90.0,
    "mewsli_x": 45.0,
    "lareqa": 30.0,
}


# --- task_score -----------------------------------------------------------------------------------------------


def test_classification_task_is_the_mean_over_languages_including_english() -> None:
    assert task_score("xnli", {"accuracy": {"en": 90.0, "de": 80.0, "fr": 70.0}}) == 80.0


def test_qa_task_is_mean_em_plus_mean_f1_over_two() -> None:
    metrics = {"exact_match": {"en": 60.0, "de": 40.0}, "f1": {"en": 80.0, "de": 60.0}}
    # mean EM 50, mean F1 70 → 60, for every QA task alike
    for task in ("xquad", "mlqa", "tydiqa"):
        assert task_score(task, metrics) == 60.0


def test_each_task_uses_its_official_metric_and_ignores_the_rest() -> None:
    tagging = {"f1": {"en": 80.0, "de": 70.0}, "precision": {"en": 0.0, "de": 0.0}, "recall": {"en": 0.0, "de": 0.0}}
    assert task_score("panx", tagging) == 75.0
    assert task_score("udpos", tagging) == 75.0
    assert task_score("bucc2018", {"f1": {"de": 90.0, "fr": 80.0}, "precision": {"de": 0.0, "fr": 0.0}}) == 85.0
    assert task_score("tatoeba", {"accuracy": {"de": 95.0, "sw": 25.0}}) == 60.0
    assert task_score("xcopa", {"accuracy": {"et": 55.0, "qu": 51.0}}) == 53.0
    assert task_score("mewsli_x", {"map@20": {"en": 60.0, "ar": 30.0}}) == 45.0
    assert task_score("lareqa", {"map@20": {"en": 40.0, "zh": 30.0, "th": 20.0}}) == 30.0
    assert task_score("pawsx", {"accuracy": {"en": 94.0}}) == 94.0


def test_task_score_errors() -> None:
    with pytest.raises(ValueError, match="unknown task"):
        task_score("mnli", {"accuracy": {"en": 80.0}})
    with pytest.raises(ValueError, match="accuracy"):
        task_score("xnli", {"f1": {"en": 80.0}})
    with pytest.raises(ValueError):
        task_score("xnli", {"accuracy": {}})
    with pytest.raises(ValueError, match="exact_match"):
        task_score("xquad", {"f1": {"en": 80.0}})
    with pytest.raises(ValueError, match="different languages"):
        task_score("mlqa", {"exact_match": {"en": 60.0}, "f1": {"en": 80.0, "de": 70.0}})


def test_every_task_has_a_metric_and_languages() -> None:
    for benchmark, groups in TASK_GROUPS.items():
        tasks = [t for group, members in groups.items() if group not in REPEATED_GROUPS for t in members]
        assert len(tasks) == len(set(tasks)) == {"xtreme": 9, "xtreme-r": 10}[benchmark]
        assert tasks == list(benchmark_tasks(benchmark))  # type: ignore[arg-type]
        assert set(tasks) == set(TASK_LANGUAGES[benchmark])
        assert set(tasks) <= set(TASK_METRIC)


def test_official_language_lists() -> None:
    assert len(TASK_LANGUAGES["xtreme"]["panx"]) == 40
    assert len(TASK_LANGUAGES["xtreme-r"]["panx"]) == 48
    assert "en" in TASK_LANGUAGES["xtreme"]["xnli"]
    assert "en" not in TASK_LANGUAGES["xtreme"]["tatoeba"]  # xx → en retrieval
    assert "en" not in TASK_LANGUAGES["xtreme-r"]["xcopa"]
    assert "ro" in TASK_LANGUAGES["xtreme-r"]["xquad"] and "ro" not in TASK_LANGUAGES["xtreme"]["xquad"]
    assert missing_languages("pawsx", ["en", "de", "fr", "es"], "xtreme") == ["ja", "ko", "zh"]
    assert missing_languages("mlqa", TASK_LANGUAGES["xtreme"]["mlqa"], "xtreme") == []
    with pytest.raises(ValueError):
        missing_languages("pawsx", ["en"], "xtreme-r")


# --- benchmark_scores -----------------------------------------------------------------------------------------


def test_xtreme_full_set() -> None:
    result = benchmark_scores(XTREME_FULL, "xtreme")
    assert result["groups"] == {"classification": 75.0, "tagging": 55.0, "qa": 30.0, "retrieval": 5.0}
    # overall: mean of the 9 tasks (360 / 9), not of the groups ((75 + 55 + 30 + 5) / 4 = 41.25)
    assert result["overall"] == 40.0
    assert result["overall_of_groups"] == 41.25
    assert result["missing"] == []
    assert result["ignored"] == []
    assert result["benchmark"] == "xtreme"


def test_xtreme_partial_set() -> None:
    partial = {task: score for task, score in XTREME_FULL.items() if task not in ("tatoeba", "mlqa")}
    partial["mnli"] = 84.0  # an intermediate task, not part of XTREME
    result = benchmark_scores(partial, "xtreme")
    assert result["groups"] == {"classification": 75.0, "tagging": 55.0, "qa": None, "retrieval": None}
    assert result["overall"] is None
    assert result["overall_of_groups"] is None
    assert result["missing"] == ["mlqa", "tatoeba"]
    assert result["ignored"] == ["mnli"]


def test_none_counts_as_missing() -> None:
    result = benchmark_scores({**XTREME_FULL, "xnli": None}, "xtreme")
    assert result["groups"]["classification"] is None
    assert result["overall"] is None
    assert result["missing"] == ["xnli"]


def test_xtreme_r_full_set() -> None:
    result = benchmark_scores(XTREME_R_FULL, "xtreme-r")
    groups = {"classification": 70.0, "tagging": 70.0, "qa": 60.0, "retrieval": 55.0, "multi_choice": 60.0}
    assert result["groups"] == groups  # multi_choice: XCOPA alone, as evaluate.py reports it
    assert result["overall"] == 62.5  # 625 / 10
    assert result["overall_of_groups"] == 63.75  # 255 / 4: the four categories, XCOPA counted once
    assert result["missing"] == []


def test_xtreme_r_partial_set_and_xtreme_only_tasks() -> None:
    partial = {task: XTREME_R_FULL[task] for task in ("xnli", "xcopa", "xquad", "mlqa", "tydiqa", "tatoeba")}
    partial["pawsx"] = 90.0
    result = benchmark_scores(partial, "xtreme-r")
    groups = {"classification": 70.0, "tagging": None, "qa": 60.0, "retrieval": None, "multi_choice": 60.0}
    assert result["groups"] == groups
    assert result["overall"] is None
    assert result["missing"] == ["udpos", "panx", "mewsli_x", "lareqa"]
    assert result["ignored"] == ["pawsx"]


def test_empty_and_unknown_benchmark() -> None:
    result = benchmark_scores({}, "xtreme")
    assert set(result["groups"].values()) == {None}
    assert result["missing"] == list(XTREME_FULL)
    with pytest.raises(ValueError):
        benchmark_scores(XTREME_FULL, "glue")  # type: ignore[arg-type]


def test_task_scores_feed_benchmark_scores() -> None:
    metrics = {"exact_match": {"en": 70.0, "es": 50.0}, "f1": {"en": 84.0, "es": 66.0}}
    scores = {**XTREME_FULL, "xquad": task_score("xquad", metrics)}  # (60 + 75) / 2 = 67.5
    result = benchmark_scores(scores, "xtreme")
    assert result["groups"]["qa"] == pytest.approx((67.5 + 30.0 + 20.0) / 3)
    assert result["overall"] == pytest.approx((360.0 - 40.0 + 67.5) / 9)


def test_a_benchmark_scores_a_task_over_its_own_official_languages_only() -> None:
    from xstilts.analysis.scores import benchmark_task_score

    xtreme_r = TASK_LANGUAGES["xtreme-r"]["xquad"]
    by_language = {language: (0.0 if language == "ro" else 80.0) for language in xtreme_r}
    table = {("xquad", "baseline", 1): by_language}
    assert "ro" in xtreme_r and "ro" not in TASK_LANGUAGES["xtreme"]["xquad"]
    assert benchmark_task_score(table, "xquad", "baseline", 1, "xtreme") == pytest.approx(80.0)
    assert benchmark_task_score(table, "xquad", "baseline", 1, "xtreme-r") == pytest.approx(80.0 * 11 / 12)
    del by_language["de"]
    assert benchmark_task_score(table, "xquad", "baseline", 1, "xtreme") is None  # an official language missing
    assert benchmark_task_score(table, "pawsx", "baseline", 1, "xtreme-r") is None  # not part of XTREME-R


def test_a_language_score_is_the_benchmark_metric_of_the_task() -> None:
    from xstilts.analysis.scores import combined

    assert combined("udpos", {"precision": 10.0, "f1": 50.0, "recall": 90.0}) == 50.0
    assert combined("xquad", {"exact_match": 40.0, "f1": 60.0}) == 50.0
    assert combined("qqp", {"accuracy": 80.0, "f1": 70.0, "accuracy_f1_mean": 75.0}) == 80.0
