"""Per target task and language: each variant's mean over seeds and its delta against the baseline.

The delta is paired by seed: the mean over seeds of (variant − baseline with the same seed), using only
seeds that both have. An ``avg`` row averages the languages first (XTREME's task score), then pairs seeds.
"""

from __future__ import annotations

from collections import defaultdict
from statistics import fmean
from typing import Any

from xstilts.experiments.variants import baseline_of, is_baseline, variant_sort_key

AVERAGE = "avg"


def _summarise(per_variant: dict[str, dict[int, float]]) -> dict[str, dict[str, float | int | None]]:
    out: dict[str, dict[str, float | int | None]] = {}
    for variant, by_seed in per_variant.items():
        baseline = per_variant.get(baseline_of(variant), {})
        paired = [by_seed[s] - baseline[s] for s in by_seed if s in baseline]
        out[variant] = {
            "mean": fmean(by_seed.values()),
            "seeds": len(by_seed),
            "delta": fmean(paired) if paired and not is_baseline(variant) else None,
        }
    return out


def delta_rows(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows of (task, split, metric, language, variants → {mean, seeds, delta}) for evaluation metrics."""
    cells: dict[tuple[str, str, str], dict[str, dict[str, dict[int, float]]]] = defaultdict(
        lambda: defaultdict(lambda: defaultdict(dict))
    )
    for r in records:
        if r["role"] == "evaluate":
            cells[(r["task"], r["split"], r["metric"])][r["language"]][r["variant"]][r["seed"]] = r["value"]
    rows = []
    for (task, split, metric), by_language in sorted(cells.items()):
        averaged: dict[str, dict[int, list[float]]] = defaultdict(lambda: defaultdict(list))
        for language in sorted(by_language):
            per_variant = by_language[language]
            rows.append(
                {
                    "task": task,
                    "split": split,
                    "metric": metric,
                    "language": language,
                    "variants": _summarise(per_variant),
                }
            )
            for variant, by_seed in per_variant.items():
                for seed, value in by_seed.items():
                    averaged[variant][seed].append(value)
        complete = {
            variant: {seed: fmean(values) for seed, values in by_seed.items() if len(values) == len(by_language)}
            for variant, by_seed in averaged.items()
        }
        rows.append(
            {
                "task": task,
                "split": split,
                "metric": metric,
                "language": AVERAGE,
                "variants": _summarise({v: s for v, s in complete.items() if s}),
            }
        )
    return rows


def variant_order(rows: list[dict[str, Any]]) -> list[str]:
    names = {v for row in rows for v in row["variants"]}
    return sorted(names, key=variant_sort_key)
