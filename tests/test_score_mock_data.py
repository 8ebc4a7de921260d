"""`xstilts score` on a mock submission of every task XTREME's evaluate.py scores (XTREME's nine, and XTREME-R's
XCOPA and Mewsli-X), every test language of either benchmark, against the official script's own output.

The mock files are written by ``tests/xtreme_mock.py`` (generated, in the official formats and of the size of
google-research/xtreme's ``mock_test_data``, whose files are not copied). The expected values below are what
google-research/xtreme's ``evaluate.py`` (commit 838c13b, with seqeval 1.2.2) printed for exactly these files, run
once outside this repository with ``--xtreme_version xtreme`` and ``--xtreme_version xtreme-r``: per task, metric
and language, the averages over each version's languages, and the group scores. Nothing here was computed by
xstilts. Values agree to floating-point rounding (both compute the same fractions, in a different order).

``--json`` writes the layout of evaluate.py's output file (groups, ``all_task`` and every task at the top level,
evaluate.py's names). The one deliberate departure (``xstilts.evaluation.submission``'s docstring): XTREME-R's
retrieval group here also holds LAReQA, which evaluate.py cannot score, so with no LAReQA files the group is
absent where evaluate.py averages Tatoeba and Mewsli-X; the output says so under its ``xstilts`` key.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from typer.testing import CliRunner

from tests.xtreme_mock import TASKS, write_mock
from xstilts.cli import app
from xstilts.evaluation.submission import NOTES_KEY

# evaluate.py's names where xstilts' differ.
OFFICIAL_TASK = {"mewsli_x": "mewslix"}

# fmt: off
PER_LANGUAGE: dict[str, dict[str, dict[str, float]]] = {
    "pawsx": {
        "accuracy": {"de": 33.33333333333333, "en": 70.0, "es": 83.33333333333334, "fr": 21.428571428571427,
            "ja": 83.33333333333334, "ko": 100.0, "zh": 84.61538461538461},
    },
    "xnli": {
        "accuracy": {"ar": 100.0, "bg": 33.33333333333333, "de": 75.0, "el": 30.0, "en": 86.66666666666667,
            "es": 27.27272727272727, "fr": 25.0, "hi": 27.27272727272727, "ru": 100.0, "sw": 57.14285714285714,
            "th": 66.66666666666666, "tr": 42.857142857142854, "ur": 100.0, "vi": 38.46153846153847,
            "zh": 77.77777777777779},
    },
    "panx": {
        "f1": {"af": 66.66666666666666, "ar": 100.0, "az": 50.0, "bg": 36.36363636363636, "bn": 50.0, "de": 75.0,
            "el": 0.0, "en": 71.42857142857143, "es": 0.0, "et": 100.0, "eu": 100.0, "fa": 55.55555555555556,
            "fi": 50.0, "fr": 30.769230769230766, "gu": 66.66666666666666, "he": 66.66666666666666,
            "hi": 31.57894736842105, "hu": 66.66666666666666, "id": 100.0, "it": 66.66666666666666, "ja": 100.0,
            "jv": 100.0, "ka": 62.500000000000014, "kk": 66.66666666666666, "ko": 100.0, "lt": 80.00000000000001,
            "ml": 100.0, "mr": 33.33333333333333, "ms": 100.0, "my": 0.0, "nl": 75.0, "pa": 66.66666666666666,
            "pl": 80.00000000000001, "pt": 0.0, "qu": 11.11111111111111, "ro": 37.5, "ru": 78.26086956521738,
            "sw": 87.5, "ta": 83.33333333333334, "te": 87.5, "th": 28.571428571428577, "tl": 100.0,
            "tr": 31.57894736842105, "uk": 87.5, "ur": 90.0, "vi": 23.52941176470588, "yo": 100.0, "zh": 75.0},
        "precision": {"af": 62.5, "ar": 100.0, "az": 50.0, "bg": 33.33333333333333, "bn": 45.45454545454545,
            "de": 75.0, "el": 0.0, "en": 71.42857142857143, "es": 0.0, "et": 100.0, "eu": 100.0,
            "fa": 55.55555555555556, "fi": 50.0, "fr": 28.57142857142857, "gu": 66.66666666666666, "he": 62.5,
            "hi": 27.27272727272727, "hu": 62.5, "id": 100.0, "it": 66.66666666666666, "ja": 100.0, "jv": 100.0,
            "ka": 55.55555555555556, "kk": 66.66666666666666, "ko": 100.0, "lt": 80.0, "ml": 100.0,
            "mr": 28.57142857142857, "ms": 100.0, "my": 0.0, "nl": 75.0, "pa": 100.0, "pl": 80.0, "pt": 0.0,
            "qu": 9.090909090909092, "ro": 33.33333333333333, "ru": 75.0, "sw": 87.5, "ta": 83.33333333333334,
            "te": 87.5, "th": 25.0, "tl": 100.0, "tr": 33.33333333333333, "uk": 87.5, "ur": 90.0, "vi": 20.0,
            "yo": 100.0, "zh": 75.0},
        "recall": {"af": 71.42857142857143, "ar": 100.0, "az": 50.0, "bg": 40.0, "bn": 55.55555555555556, "de": 75.0,
            "el": 0.0, "en": 71.42857142857143, "es": 0.0, "et": 100.0, "eu": 100.0, "fa": 55.55555555555556,
            "fi": 50.0, "fr": 33.33333333333333, "gu": 66.66666666666666, "he": 71.42857142857143, "hi": 37.5,
            "hu": 71.42857142857143, "id": 100.0, "it": 66.66666666666666, "ja": 100.0, "jv": 100.0,
            "ka": 71.42857142857143, "kk": 66.66666666666666, "ko": 100.0, "lt": 80.0, "ml": 100.0, "mr": 40.0,
            "ms": 100.0, "my": 0.0, "nl": 75.0, "pa": 50.0, "pl": 80.0, "pt": 0.0, "qu": 14.285714285714285,
            "ro": 42.857142857142854, "ru": 81.81818181818183, "sw": 87.5, "ta": 83.33333333333334, "te": 87.5,
            "th": 33.33333333333333, "tl": 100.0, "tr": 30.0, "uk": 87.5, "ur": 90.0, "vi": 28.57142857142857,
            "yo": 100.0, "zh": 75.0},
    },
    "udpos": {
        "f1": {"af": 61.81818181818181, "ar": 94.73684210526315, "bg": 50.0, "de": 43.63636363636363,
            "el": 26.08695652173913, "en": 81.48148148148148, "es": 20.408163265306122, "et": 92.3076923076923,
            "eu": 66.66666666666667, "fa": 52.17391304347826, "fi": 48.97959183673469, "fr": 14.285714285714285,
            "he": 70.58823529411765, "hi": 71.99999999999999, "hu": 41.379310344827594, "id": 71.23287671232877,
            "it": 57.14285714285714, "ja": 100.0, "kk": 63.76811594202899, "ko": 81.48148148148148,
            "lt": 85.71428571428572, "mr": 47.61904761904761, "nl": 82.05128205128204, "pl": 50.0,
            "pt": 69.23076923076924, "ro": 83.72093023255815, "ru": 87.27272727272727, "ta": 62.06896551724138,
            "te": 96.29629629629629, "th": 73.91304347826086, "tl": 100.0, "tr": 19.607843137254903,
            "uk": 90.9090909090909, "ur": 84.84848484848484, "vi": 53.33333333333332, "wo": 32.72727272727273,
            "yo": 75.0, "zh": 84.21052631578947},
        "precision": {"af": 60.71428571428571, "ar": 94.73684210526315, "bg": 50.0, "de": 44.44444444444444,
            "el": 30.0, "en": 81.48148148148148, "es": 18.51851851851852, "et": 92.3076923076923,
            "eu": 68.42105263157895, "fa": 52.17391304347826, "fi": 52.17391304347826, "fr": 14.285714285714285,
            "he": 69.23076923076923, "hi": 69.23076923076923, "hu": 40.0, "id": 68.42105263157895,
            "it": 59.25925925925925, "ja": 100.0, "kk": 64.70588235294117, "ko": 78.57142857142857,
            "lt": 81.81818181818183, "mr": 50.0, "nl": 80.0, "pl": 52.63157894736842, "pt": 64.28571428571429,
            "ro": 85.71428571428571, "ru": 88.88888888888889, "ta": 60.0, "te": 96.29629629629629,
            "th": 73.91304347826086, "tl": 100.0, "tr": 18.51851851851852, "uk": 90.9090909090909, "ur": 87.5,
            "vi": 54.54545454545454, "wo": 33.33333333333333, "yo": 75.0, "zh": 84.21052631578947},
        "recall": {"af": 62.96296296296296, "ar": 94.73684210526315, "bg": 50.0, "de": 42.857142857142854,
            "el": 23.076923076923077, "en": 81.48148148148148, "es": 22.727272727272727, "et": 92.3076923076923,
            "eu": 65.0, "fa": 52.17391304347826, "fi": 46.15384615384615, "fr": 14.285714285714285, "he": 72.0,
            "hi": 75.0, "hu": 42.857142857142854, "id": 74.28571428571429, "it": 55.172413793103445, "ja": 100.0,
            "kk": 62.857142857142854, "ko": 84.61538461538461, "lt": 90.0, "mr": 45.45454545454545,
            "nl": 84.21052631578947, "pl": 47.61904761904761, "pt": 75.0, "ro": 81.81818181818183,
            "ru": 85.71428571428571, "ta": 64.28571428571429, "te": 96.29629629629629, "th": 73.91304347826086,
            "tl": 100.0, "tr": 20.833333333333336, "uk": 90.9090909090909, "ur": 82.35294117647058,
            "vi": 52.17391304347826, "wo": 32.142857142857146, "yo": 75.0, "zh": 84.21052631578947},
    },
    "bucc2018": {
        "f1": {"de": 10.000000000000002, "fr": 38.0952380952381, "ru": 95.23809523809523, "zh": 80.00000000000001},
        "precision": {"de": 10.0, "fr": 36.36363636363637, "ru": 90.9090909090909, "zh": 80.0},
        "recall": {"de": 10.0, "fr": 40.0, "ru": 100.0, "zh": 80.0},
    },
    "tatoeba": {
        "accuracy": {"af": 70.0, "ar": 100.0, "az": 60.0, "bg": 20.0, "bn": 40.0, "de": 40.0, "el": 30.0, "es": 50.0,
            "et": 90.0, "eu": 100.0, "fa": 90.0, "fi": 50.0, "fr": 40.0, "he": 80.0, "hi": 40.0, "hu": 30.0,
            "id": 70.0, "it": 30.0, "ja": 100.0, "jv": 100.0, "ka": 80.0, "kk": 70.0, "ko": 90.0, "lt": 100.0,
            "ml": 100.0, "mr": 50.0, "nl": 70.0, "pl": 70.0, "pt": 60.0, "ro": 80.0, "ru": 100.0, "sw": 30.0,
            "ta": 60.0, "te": 90.0, "th": 50.0, "tl": 100.0, "tr": 30.0, "uk": 100.0, "ur": 90.0, "vi": 0.0,
            "zh": 80.0},
    },
    "xquad": {
        "exact_match": {"ar": 33.333333333333336, "de": 0.0, "el": 50.0, "en": 50.0, "es": 0.0, "hi": 50.0,
            "ro": 100.0, "ru": 33.333333333333336, "th": 66.66666666666667, "tr": 66.66666666666667, "vi": 0.0,
            "zh": 50.0},
        "f1": {"ar": 63.333333333333336, "de": 40.0, "el": 50.0, "en": 81.42857142857143, "es": 75.55555555555556,
            "hi": 50.0, "ro": 100.0, "ru": 59.99999999999999, "th": 66.66666666666667, "tr": 66.66666666666667,
            "vi": 55.833333333333336, "zh": 50.0},
    },
    "mlqa": {
        "exact_match": {"ar": 50.0, "de": 75.0, "en": 50.0, "es": 75.0, "hi": 50.0, "vi": 50.0, "zh": 50.0},
        "f1": {"ar": 83.33333333333333, "de": 85.0, "en": 83.33333333333333, "es": 75.0, "hi": 50.0, "vi": 50.0,
            "zh": 83.33333333333333},
    },
    "tydiqa": {
        "exact_match": {"ar": 0.0, "bn": 33.333333333333336, "en": 66.66666666666667, "fi": 50.0, "id": 100.0,
            "ko": 66.66666666666667, "ru": 50.0, "sw": 50.0, "te": 50.0},
        "f1": {"ar": 33.33333333333333, "bn": 50.0, "en": 88.88888888888887, "fi": 92.85714285714286, "id": 100.0,
            "ko": 80.0, "ru": 50.0, "sw": 50.0, "te": 90.0},
    },
    "xcopa": {
        "accuracy": {"et": 100.0, "ht": 50.0, "id": 80.0, "it": 50.0, "qu": 40.0, "sw": 44.44444444444444,
            "ta": 77.77777777777779, "th": 64.28571428571429, "tr": 38.46153846153847, "vi": 30.0, "zh": 70.0},
    },
    "mewslix": {
        "map@20": {"ar": 1.7543859649122806, "de": 12.037037037037036, "en": 25.0, "es": 12.5,
            "fa": 3.571428571428571, "ja": 18.627450980392158, "pl": 3.3333333333333335, "ro": 1.7543859649122806,
            "ta": 6.428571428571428, "tr": 8.333333333333332, "uk": 3.125},
    },
}
AVERAGES: dict[str, dict[str, dict[str, Any]]] = {
    "xtreme": {
        "pawsx": {"avg_accuracy": 68.00627943485087, "avg_metric": 68.00627943485087,
            "languages": ("de", "en", "es", "fr", "ja", "ko", "zh"),
        },
        "xnli": {"avg_accuracy": 59.163429163429164, "avg_metric": 59.163429163429164,
            "languages": ("ar", "bg", "de", "el", "en", "es", "fr", "hi", "ru", "sw", "th", "tr", "ur", "vi", "zh"),
        },
        "panx": {"avg_f1": 64.7534149688797, "avg_precision": 63.58107864357866, "avg_recall": 66.2369227994228,
            "avg_metric": 64.7534149688797,
            "languages": ("ar", "he", "vi", "id", "jv", "ms", "tl", "eu", "ml", "ta", "te", "af", "nl", "en", "de",
                "el", "bn", "hi", "mr", "ur", "fa", "fr", "it", "pt", "es", "bg", "ru", "ja", "ka", "ko", "th", "sw",
                "yo", "my", "zh", "kk", "tr", "et", "fi", "hu"),
        },
        "udpos": {"avg_f1": 65.01899281778032, "avg_precision": 64.90410488429106, "avg_recall": 65.27262772194634,
            "avg_metric": 65.01899281778032,
            "languages": ("af", "ar", "bg", "de", "el", "en", "es", "et", "eu", "fa", "fi", "fr", "he", "hi", "hu",
                "id", "it", "ja", "kk", "ko", "mr", "nl", "pt", "ru", "ta", "te", "th", "tl", "tr", "ur", "vi", "yo",
                "zh"),
        },
        "bucc2018": {"avg_f1": 55.83333333333333, "avg_precision": 54.31818181818182, "avg_recall": 57.5,
            "avg_metric": 55.83333333333333,
            "languages": ("de", "fr", "ru", "zh"),
        },
        "tatoeba": {"avg_accuracy": 64.44444444444444, "avg_metric": 64.44444444444444,
            "languages": ("ar", "he", "vi", "id", "jv", "tl", "eu", "ml", "ta", "te", "af", "nl", "de", "el", "bn",
                "hi", "mr", "ur", "fa", "fr", "it", "pt", "es", "bg", "ru", "ja", "ka", "ko", "th", "sw", "zh", "kk",
                "tr", "et", "fi", "hu"),
        },
        "xquad": {"avg_exact_match": 36.36363636363637, "avg_f1": 59.95310245310245, "avg_metric": 48.15836940836941,
            "languages": ("en", "es", "de", "el", "ru", "tr", "ar", "vi", "th", "zh", "hi"),
        },
        "mlqa": {"avg_exact_match": 57.142857142857146, "avg_f1": 72.85714285714285, "avg_metric": 65.0,
            "languages": ("en", "es", "de", "ar", "hi", "vi", "zh"),
        },
        "tydiqa": {"avg_exact_match": 51.851851851851855, "avg_f1": 70.56437389770723,
            "avg_metric": 61.208112874779545,
            "languages": ("en", "ar", "bn", "fi", "id", "ko", "ru", "sw", "te"),
        },
    },
    "xtreme-r": {
        "xnli": {"avg_accuracy": 59.163429163429164, "avg_metric": 59.163429163429164,
            "languages": ("ar", "bg", "de", "el", "en", "es", "fr", "hi", "ru", "sw", "th", "tr", "ur", "vi", "zh"),
        },
        "panx": {"avg_f1": 63.949605066659, "avg_precision": 63.538209475709486, "avg_recall": 65.01638407888407,
            "avg_metric": 63.949605066659,
            "languages": ("ar", "he", "vi", "id", "jv", "ms", "tl", "eu", "ml", "ta", "te", "af", "nl", "en", "de",
                "el", "bn", "hi", "mr", "ur", "fa", "fr", "it", "pt", "es", "bg", "ru", "ja", "ka", "ko", "th", "sw",
                "yo", "my", "zh", "kk", "tr", "et", "fi", "hu", "qu", "pl", "uk", "az", "lt", "pa", "gu", "ro"),
        },
        "udpos": {"avg_f1": 65.49206164657784, "avg_precision": 65.42741926062804, "avg_recall": 65.6969971661423,
            "avg_metric": 65.49206164657784,
            "languages": ("af", "ar", "bg", "de", "el", "en", "es", "et", "eu", "fa", "fi", "fr", "he", "hi", "hu",
                "id", "it", "ja", "kk", "ko", "mr", "nl", "pt", "ru", "ta", "te", "th", "tl", "tr", "ur", "vi", "yo",
                "zh", "lt", "pl", "uk", "wo", "ro"),
        },
        "tatoeba": {"avg_accuracy": 66.58536585365853, "avg_metric": 66.58536585365853,
            "languages": ("ar", "he", "vi", "id", "jv", "tl", "eu", "ml", "ta", "te", "af", "nl", "de", "el", "bn",
                "hi", "mr", "ur", "fa", "fr", "it", "pt", "es", "bg", "ru", "ja", "ka", "ko", "th", "sw", "zh", "kk",
                "tr", "et", "fi", "hu", "az", "lt", "pl", "uk", "ro"),
        },
        "xcopa": {"avg_accuracy": 58.63358863358863, "avg_metric": 58.63358863358863,
            "languages": ("et", "ht", "id", "it", "qu", "sw", "ta", "th", "tr", "vi", "zh"),
        },
        "mewslix": {"avg_map@20": 8.769538783083673, "avg_metric": 8.769538783083673,
            "languages": ("ar", "de", "en", "es", "fa", "ja", "pl", "ro", "ta", "tr", "uk"),
        },
        "xquad": {"avg_exact_match": 41.666666666666664, "avg_f1": 63.29034391534392, "avg_metric": 52.47850529100529,
            "languages": ("en", "es", "de", "el", "ru", "tr", "ar", "vi", "th", "zh", "hi", "ro"),
        },
        "mlqa": {"avg_exact_match": 57.142857142857146, "avg_f1": 72.85714285714285, "avg_metric": 65.0,
            "languages": ("en", "es", "de", "ar", "hi", "vi", "zh"),
        },
        "tydiqa": {"avg_exact_match": 51.851851851851855, "avg_f1": 70.56437389770723,
            "avg_metric": 61.208112874779545,
            "languages": ("en", "ar", "bn", "fi", "id", "ko", "ru", "sw", "te"),
        },
    },
}
GROUPS: dict[str, dict[str, float]] = {
    "xtreme": {"all_task": 61.28737516065186, "classification": 63.58485429914002, "tagging": 64.88620389333,
        "qa": 58.122160761049656, "retrieval": 60.138888888888886},
    "xtreme-r": {"classification": 58.898508898508894, "tagging": 64.72083335661841, "qa": 59.56220605526161,
        "retrieval": 37.6774523183711, "multi_choice": 58.63358863358863},
}
# fmt: on


@pytest.fixture(scope="module")
def scored(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    root = tmp_path_factory.mktemp("mock")
    write_mock(root / "predictions", root / "labels")
    results = {}
    for benchmark in ("xtreme", "xtreme-r"):
        arguments = ["score", "--predictions", str(root / "predictions"), "--labels", str(root / "labels")]
        result = CliRunner().invoke(app, [*arguments, "--benchmark", benchmark, "--json"])
        assert result.exit_code == 0, result.output
        results[benchmark] = json.loads(result.output)
    return results


def _close(value: float) -> Any:
    return pytest.approx(value, rel=1e-13, abs=1e-12)


def _tasks(result: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {key: value for key, value in result.items() if isinstance(value, dict) and key != NOTES_KEY}


def _groups(result: dict[str, Any]) -> dict[str, float]:
    return {key: value for key, value in result.items() if not isinstance(value, dict)}


@pytest.mark.parametrize("benchmark", ["xtreme", "xtreme-r"])
def test_every_task_of_the_benchmark_is_scored(scored: dict[str, dict], benchmark: str) -> None:
    assert set(_tasks(scored[benchmark])) == set(AVERAGES[benchmark])  # evaluate.py's task names, at the top level


def test_xtreme_output_has_exactly_the_keys_of_evaluate_pys_file(scored: dict[str, dict]) -> None:
    assert set(scored["xtreme"]) == set(GROUPS["xtreme"]) | set(AVERAGES["xtreme"])  # no notes: nothing departs
    # evaluate.py's order: all_task, the groups, then the tasks as its XTREME_TASK2LANGS lists them
    assert list(scored["xtreme"]) == ["all_task", "classification", "tagging", "qa", "retrieval", *AVERAGES["xtreme"]]


def test_xtreme_r_output_says_where_it_departs(scored: dict[str, dict]) -> None:
    notes = scored["xtreme-r"][NOTES_KEY]
    assert notes["benchmark"] == "xtreme-r" and any("LAReQA" in note for note in notes["notes"])
    assert notes["incomplete_tasks"] == {}  # every task but LAReQA has all its languages
    assert notes["missing"]["labels"] == notes["missing"]["predictions"]
    assert all(path.startswith("lareqa/") for path in notes["missing"]["labels"])


@pytest.mark.parametrize(
    ("benchmark", "task"),
    [(benchmark, task) for benchmark in ("xtreme", "xtreme-r") for task in TASKS if OFFICIAL_TASK.get(task, task)
     in AVERAGES[benchmark]],
)  # fmt: skip
def test_per_language_values_and_averages_are_evaluate_pys(scored: dict[str, dict], benchmark: str, task: str) -> None:
    official_task = OFFICIAL_TASK.get(task, task)
    expected = AVERAGES[benchmark][official_task]
    ours = scored[benchmark][official_task]
    for metric, values in PER_LANGUAGE[official_task].items():
        assert list(ours[metric]) == list(expected["languages"]), metric  # evaluate.py's languages, in its order
        assert ours[metric] == {lang: _close(values[lang]) for lang in expected["languages"]}, metric
    averages = {key: value for key, value in expected.items() if key != "languages"}
    assert {key: ours[key] for key in averages} == {key: _close(value) for key, value in averages.items()}
    assert set(ours) == set(PER_LANGUAGE[official_task]) | set(averages)


def test_xtreme_group_and_overall_scores_are_evaluate_pys(scored: dict[str, dict]) -> None:
    assert _groups(scored["xtreme"]) == {group: _close(value) for group, value in GROUPS["xtreme"].items()}


def test_xtreme_r_groups_are_evaluate_pys_where_they_hold_the_same_tasks(scored: dict[str, dict]) -> None:
    result, official = scored["xtreme-r"], GROUPS["xtreme-r"]
    for group in ("classification", "tagging", "qa", "multi_choice"):
        assert result[group] == _close(official[group]), group
    # evaluate.py: retrieval = (Tatoeba + Mewsli-X) / 2, no overall without LAReQA; here LAReQA belongs to the
    # group, so without its files there is no group score either.
    assert official["retrieval"] == _close((result["tatoeba"]["avg_metric"] + result["mewslix"]["avg_metric"]) / 2)
    assert "retrieval" not in result and "all_task" not in result and "all_task" not in official
