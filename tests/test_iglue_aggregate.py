"""IGLUE's zero-shot table (``iglue_scores``) against e-bug/iglue's own published rows: the per-language scores
of mUNITER in ``results/<task>/<Task>_0.csv`` (commit 43cbac9) and the ``avg`` column its
``results/get_<task>_zero.py`` computed from them (the mean over the target languages, English left out)."""

from __future__ import annotations

import pytest

from xstilts.benchmarks import IGLUE_COLUMNS, IGLUE_LANGUAGES
from xstilts.metrics.aggregates import iglue_scores

# mUNITER's zero-shot row of each results CSV: language -> score, and the CSV's avg.
MUNITER = {
    ("xvnli", "accuracy"): (
        {"en": 76.375, "ar": 46.735, "es": 56.959, "fr": 59.364, "ru": 51.718},
        53.694,
    ),
    ("marvl", "accuracy"): (
        {"en": 71.91, "id": 54.787, "sw": 51.173, "ta": 52.657, "tr": 54.661, "zh": 55.336},
        53.7228,
    ),
    ("xgqa", "accuracy"): (
        {
            "en": 54.676184564452726,
            "bn": 3.0622801572522245,
            "de": 23.949927581212496,
            "id": 9.36271466997724,
            "ko": 4.210635216221808,
            "pt": 13.666459755845231,
            "ru": 8.493689219946203,
            "zh": 7.034967928822677,
        },
        9.968667789896841,
    ),
    ("xflickrco", "ir_r@1"): (
        {"en": 44.5, "de": 12.05, "es": 13.15, "id": 5.95, "ja": 6.3, "ru": 5.85, "tr": 1.75, "zh": 11.35},
        8.057142857142859,
    ),
    ("xflickrco", "tr_r@1"): (
        {"en": 40.9, "de": 11.85, "es": 13.05, "id": 7.55, "ja": 7.7, "ru": 6.8, "tr": 3.25, "zh": 11.85},
        8.864285714285714,
    ),
    ("wit", "ir_r@1"): (
        {
            "en": 19.9,
            "ar": 7.744,
            "bg": 8.256,
            "da": 10.662,
            "el": 8.947,
            "et": 7.666,
            "id": 10.877,
            "ja": 9.0,
            "ko": 5.908,
            "tr": 9.57,
            "vi": 13.002,
        },
        9.1632,
    ),
    ("wit", "tr_r@1"): (
        {
            "en": 22.336,
            "ar": 9.206,
            "bg": 10.174,
            "da": 12.162,
            "el": 10.536,
            "et": 8.333,
            "id": 12.881,
            "ja": 8.789,
            "ko": 6.749,
            "tr": 10.866,
            "vi": 15.075,
        },
        10.4771,
    ),
}


def _metrics(keep: set[str] | None = None) -> dict[str, dict[str, dict[str, float]]]:
    out: dict[str, dict[str, dict[str, float]]] = {}
    for (task, metric), (by_language, _) in MUNITER.items():
        if keep is None or task in keep:
            out.setdefault(task, {})[metric] = dict(by_language)
    return out


def test_each_column_is_the_official_avg_of_the_target_languages() -> None:
    result = iglue_scores(_metrics())
    expected = {f"{c.name}": MUNITER[c.task, c.metric][1] for c in IGLUE_COLUMNS}
    assert result["columns"] == pytest.approx(expected, abs=1e-9)
    assert result["english"]["xvnli"] == 76.375 and result["english"]["wit_tr"] == 22.336
    assert result["missing"] == [] and result["missing_languages"] == {} and result["ignored"] == []
    assert "overall" not in result  # IGLUE defines no score across its columns


def test_the_language_lists_are_the_result_scripts_without_english() -> None:
    for (task, _), (by_language, _) in MUNITER.items():
        assert IGLUE_LANGUAGES[task] == tuple(lang for lang in by_language if lang != "en")


def test_missing_tasks_and_languages_are_listed_not_averaged() -> None:
    metrics = _metrics({"xvnli", "marvl", "xflickrco"})
    del metrics["marvl"]["accuracy"]["sw"]
    metrics["xnli"] = {"accuracy": {"en": 80.0}}
    result = iglue_scores(metrics)
    assert result["columns"]["xvnli"] == pytest.approx(53.694, abs=1e-9)
    assert result["columns"]["marvl"] is None and result["missing_languages"] == {"marvl": ["sw"]}
    assert result["missing"] == ["xgqa", "wit_ir", "wit_tr"]
    assert result["ignored"] == ["xnli"]
    only_english = iglue_scores({"xgqa": {"accuracy": {"en": 50.0}}})
    assert "xgqa" in only_english["missing"] and only_english["english"]["xgqa"] == 50.0


def _records(variant: str, seed: int, task: str, metric: str, by_language: dict[str, float]) -> list[dict]:
    return [
        {"role": "evaluate", "split": "test", "variant": variant, "seed": seed, "task": task, "metric": metric}
        | {"language": language, "value": value}
        for language, value in by_language.items()
    ]


def test_the_report_table_averages_seeds_and_pairs_deltas_by_seed() -> None:
    from xstilts.analysis.iglue_table import iglue_table

    languages = IGLUE_LANGUAGES["xvnli"]
    records = []
    # baseline: 50 / 60 on seeds 0 / 1; mnli: 55 / 70 -> means 55 and 62.5, paired gain (5 + 10) / 2 = 7.5
    for variant, seed, value in (("baseline", 0, 50.0), ("baseline", 1, 60.0), ("mnli", 0, 55.0), ("mnli", 1, 70.0)):
        records += _records(variant, seed, "xvnli", "accuracy", {lang: value for lang in languages} | {"en": 99.0})
    # English dev and a non-IGLUE task never enter the table
    records += _records("mnli", 0, "xnli", "accuracy", {"en": 1.0})
    records += [r | {"split": "dev", "value": 0.0} for r in _records("mnli", 0, "xvnli", "accuracy", {"ar": 0.0})]
    records += _records("mnli", 0, "marvl", "accuracy", {"id": 60.0})  # incomplete: one of five languages
    table = iglue_table(records)
    assert table is not None
    rows = {row[0]: dict(zip(table.columns, row, strict=True)) for row in table.rows}
    assert rows["baseline"]["xvnli"] == pytest.approx(55.0) and rows["baseline"]["Δ xvnli"] is None
    assert rows["mnli"]["xvnli"] == pytest.approx(62.5) and rows["mnli"]["Δ xvnli"] == pytest.approx(7.5)
    assert rows["mnli"]["marvl"] is None
    assert any("marvl: not computed" in note and "sw, ta, tr, zh" in note for note in table.notes)
    assert any(note.startswith("not evaluated: xgqa, xflickrco_ir") for note in table.notes)
    assert iglue_table(_records("mnli", 0, "xnli", "accuracy", {"en": 1.0})) is None
