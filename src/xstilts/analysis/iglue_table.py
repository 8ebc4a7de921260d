"""The report's IGLUE table: per variant, IGLUE's seven zero-shot columns (``metrics.aggregates.iglue_scores``)
averaged over seeds, and each column's gain over the arm's baseline, paired by seed.

It reads the metric records themselves rather than the report's one-number-per-language scores, because a
retrieval task (xFlickr&CO, WIT) contributes two columns, image and text retrieval Recall@1.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from statistics import fmean
from typing import Any

from xstilts.analysis.tables import Cell, ReportTable
from xstilts.benchmarks import IGLUE_COLUMNS, IGLUE_LANGUAGES
from xstilts.experiments.variants import baseline_of, is_baseline, variant_sort_key
from xstilts.metrics.aggregates import iglue_scores

EVAL_SPLIT = "test"

# (variant, seed) -> IGLUE column -> score (None where incomplete)
ColumnScores = dict[tuple[str, int], dict[str, float | None]]


def iglue_column_scores(records: Iterable[dict[str, Any]]) -> tuple[ColumnScores, dict[str, Any]]:
    """Each (variant, seed)'s IGLUE columns from its test-split evaluation records, and what is missing: the columns
    no variant evaluated, and the absent languages of columns some variant evaluated in part."""
    metrics: dict[tuple[str, int], dict[str, dict[str, dict[str, float]]]] = defaultdict(dict)
    for r in records:
        if r["role"] == "evaluate" and r["split"] == EVAL_SPLIT and r["task"] in IGLUE_LANGUAGES:
            by_metric = metrics[(r["variant"], r["seed"])].setdefault(r["task"], {})
            by_metric.setdefault(r["metric"], {})[r["language"]] = r["value"]
    results = {key: iglue_scores(value) for key, value in metrics.items()}
    missing = [c.name for c in IGLUE_COLUMNS if all(c.name in r["missing"] for r in results.values())]
    incomplete = {c: langs for r in results.values() for c, langs in r["missing_languages"].items()}
    columns = {key: result["columns"] for key, result in results.items()}
    return columns, {"missing": missing, "missing_languages": incomplete}


def iglue_table(records: Iterable[dict[str, Any]]) -> ReportTable | None:
    """The IGLUE table, or None when the run evaluated no IGLUE task."""
    columns, gaps = iglue_column_scores(records)
    if not columns:
        return None
    variants = sorted({v for v, _ in columns}, key=variant_sort_key)
    names = [c.name for c in IGLUE_COLUMNS]
    rows: list[list[Cell]] = []
    for variant in variants:
        row: list[Cell] = [variant]
        seeds = sorted(s for v, s in columns if v == variant)
        for name in names:
            values = [v for s in seeds if (v := columns[variant, s][name]) is not None]
            row.append(fmean(values) if values else None)
            pairs = [
                (ours, base)
                for s in seeds
                if (ours := columns[variant, s][name]) is not None
                and (base := columns.get((baseline_of(variant), s), {}).get(name)) is not None
            ]
            row.append(fmean(a - b for a, b in pairs) if pairs and not is_baseline(variant) else None)
        rows.append(row)
    notes = [
        "IGLUE's zero-shot table (e-bug/iglue results/get_<task>_zero.py): each column is the mean over the task's"
        " target languages, English excluded; retrieval reports image (IR) and text (TR) retrieval Recall@1 apart."
        " IGLUE defines no score across the columns, so none is shown."
    ]
    if gaps["missing"]:
        notes.append(f"not evaluated: {', '.join(gaps['missing'])}")
    for name, languages in gaps["missing_languages"].items():
        notes.append(f"{name}: not computed, its target languages {', '.join(languages)} were not evaluated")
    headings = ["variant"] + [h for name in names for h in (name, f"Δ {name}")]
    title = "IGLUE zero-shot scores (mean over seeds; Δ = paired by seed, vs baseline)"
    return ReportTable("iglue", title, headings, rows, notes=notes)
