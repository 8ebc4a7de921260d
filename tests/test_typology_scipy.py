"""The report's typology statistics against scipy: Spearman's rho (``scipy.stats.spearmanr``), tie-averaged ranks
(``scipy.stats.rankdata``) and the paired percentile bootstrap interval (``scipy.stats.bootstrap``), on seeded
generated data with and without ties, and end to end on the report's ``typology-spearman`` table, where the URIEL
distances themselves tie (many languages share a distance of 1 to English)."""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from tests.builders import evaluation_record
from xstilts.analysis.report import write_report
from xstilts.analysis.statistics import average_ranks, spearman_ci
from xstilts.analysis.typology import DISTANCE_KINDS, uriel_distances
from xstilts.experiments.store import ResultsStore

Draw = Callable[[np.random.Generator, int], np.ndarray]

# How each kind of generated sample is drawn: continuous, a few distinct values (heavy ties), rounded (light ties).
DRAWS: dict[str, Draw] = {
    "continuous": lambda rng, n: rng.normal(size=n),
    "heavy-ties": lambda rng, n: rng.integers(0, 4, size=n).astype(float),
    "rounded": lambda rng, n: np.round(rng.normal(size=n), 1),
}


def _spearman(x: np.ndarray, y: np.ndarray) -> float:
    return float(stats.spearmanr(x, y).statistic)


def _rank_pearson(a: np.ndarray, b: np.ndarray, axis: int = -1) -> np.ndarray:
    """Spearman's rho as scipy defines it (Pearson's r of the average ranks), row by row: ``spearmanr`` itself
    cannot, and calling it 10,000 times takes seconds."""
    ranks_a, ranks_b = stats.rankdata(a, axis=axis), stats.rankdata(b, axis=axis)
    return stats.pearsonr(ranks_a, ranks_b, axis=axis).statistic


def _scipy_bootstrap(
    x: np.ndarray, y: np.ndarray, seed: int, n_resamples: int, *, vectorized: bool = False
) -> tuple[float, float]:
    """scipy's paired percentile bootstrap of Spearman's rho, with the same generator and seed as ``spearman_ci``:
    it draws the (n_resamples, n) resample indices from ``default_rng(seed)`` in one call, as ``spearman_ci``
    does in chunks, so both see the same resamples. The statistic is ``spearmanr`` itself, or with ``vectorized``
    its row-wise equivalent."""
    result = stats.bootstrap(
        (x, y),
        _rank_pearson if vectorized else lambda a, b: stats.spearmanr(a, b).statistic,
        paired=True,
        vectorized=vectorized,
        n_resamples=n_resamples,
        method="percentile",
        confidence_level=0.95,
        rng=np.random.default_rng(seed),
    )
    return float(result.confidence_interval.low), float(result.confidence_interval.high)


@pytest.mark.parametrize("kind", sorted(DRAWS))
def test_average_ranks_are_scipy_rankdata(kind: str) -> None:
    rng = np.random.default_rng(11)
    values = DRAWS[kind](rng, 60).reshape(3, 20)
    np.testing.assert_array_equal(average_ranks(values), stats.rankdata(values, method="average", axis=1))
    np.testing.assert_array_equal(average_ranks(values[0]), stats.rankdata(values[0]))


@pytest.mark.parametrize("x_kind", sorted(DRAWS))
@pytest.mark.parametrize("y_kind", sorted(DRAWS))
@pytest.mark.parametrize("n", [3, 7, 15, 50])
def test_rho_is_scipy_spearmanr(x_kind: str, y_kind: str, n: int) -> None:
    rng = np.random.default_rng(n * 7919 + len(x_kind) * 31 + len(y_kind))
    checked = 0
    for _ in range(20):
        x, y = DRAWS[x_kind](rng, n), DRAWS[y_kind](rng, n)
        rho = spearman_ci(x.tolist(), y.tolist(), n_resamples=1)["rho"]
        if np.all(x == x[0]) or np.all(y == y[0]):  # scipy: NaN; ours: None
            assert rho is None
            continue
        assert rho == pytest.approx(_spearman(x, y), abs=1e-12)
        checked += 1
    assert checked >= 10


def test_rho_of_a_monotone_transform_with_ties_is_scipys() -> None:
    # y a non-decreasing step function of x: ties in y where x has none; rho < 1, and scipy says how much below.
    x = np.arange(12, dtype=float)
    y = np.floor(x / 3)
    rho = spearman_ci(x.tolist(), y.tolist(), n_resamples=1)["rho"]
    assert rho == pytest.approx(_spearman(x, y), abs=1e-12)
    assert rho < 1.0


@pytest.mark.parametrize("kind", ["continuous", "heavy-ties", "rounded"])
def test_ci_is_scipys_paired_percentile_bootstrap(kind: str) -> None:
    rng = np.random.default_rng(5)
    n = 15
    x = DRAWS[kind](rng, n)
    y = 0.5 * x + DRAWS[kind](rng, n)
    result = spearman_ci(x.tolist(), y.tolist(), n_resamples=3000, seed=7)
    # No resample is constant at these sizes (with these seeds), so scipy's interval has no NaN to trip over.
    assert result["resamples_used"] == 3000
    assert result["ci"] == pytest.approx(_scipy_bootstrap(x, y, seed=7, n_resamples=3000), abs=1e-12)


def test_ci_leaves_out_resamples_without_a_rho_as_scipy_would_have_none() -> None:
    # n = 3: a resample that repeats one pair three times (or has a constant column) has no rho; scipy's
    # spearmanr gives NaN for it. The interval is the quantiles of the others.
    x = np.array([0.0, 1.0, 1.0, 2.0])
    y = np.array([3.0, 1.0, 2.0, 2.0])
    seed, n_resamples = 3, 500
    result = spearman_ci(x.tolist(), y.tolist(), n_resamples=n_resamples, seed=seed)
    index = np.random.default_rng(seed).integers(0, x.size, size=(n_resamples, x.size))
    with np.errstate(invalid="ignore"), pytest.warns(stats.ConstantInputWarning):
        rhos = np.array([_spearman(x[i], y[i]) for i in index])
    defined = rhos[~np.isnan(rhos)]
    assert 0 < defined.size < n_resamples
    assert result["resamples_used"] == defined.size
    assert result["ci"] == pytest.approx(tuple(np.quantile(defined, [0.025, 0.975])), abs=1e-12)


# --- the report's table ----------------------------------------------------------------------------------------

# XNLI's 15 languages; deltas rounded to 0.5 so that several tie, on top of the ties among the distances.
XNLI = ["ar", "bg", "de", "el", "en", "es", "fr", "hi", "ru", "sw", "th", "tr", "ur", "vi", "zh"]


def _report_rows(tmp_path: Path, deltas: dict[str, float]) -> dict[str, dict[str, str]]:
    store = ResultsStore(tmp_path / "results.sqlite")
    base = dict.fromkeys(deltas, 60.0)
    store.record_phase(evaluation_record("baseline-1", "baseline", 1, base))
    store.record_phase(evaluation_record("mnli-1", "mnli", 1, {lang: 60.0 + d for lang, d in deltas.items()}))
    write_report(tmp_path)
    with (tmp_path / "report" / "tables" / "typology-spearman.csv").open() as handle:
        return {row["distance"]: row for row in csv.DictReader(handle)}


def test_report_typology_table_is_scipys_spearman_and_bootstrap(tmp_path: Path) -> None:
    rng = np.random.default_rng(20)
    deltas = {lang: float(v) for lang, v in zip(XNLI, np.round(rng.normal(size=len(XNLI)) * 2) / 2, strict=True)}
    assert len(set(deltas.values())) < len(deltas)  # the deltas tie
    rows = _report_rows(tmp_path, deltas)
    distances = uriel_distances("en", XNLI)
    assert set(rows) == set(DISTANCE_KINDS)
    for kind in DISTANCE_KINDS:
        languages = [lang for lang in XNLI if distances[lang][kind] is not None]
        x = np.array([distances[lang][kind] for lang in languages])
        y = np.array([deltas[lang] for lang in languages])
        row = rows[kind]
        assert int(row["n"]) == len(languages)
        assert float(row["ρ"]) == pytest.approx(_spearman(x, y), abs=1e-12), kind
        # The report uses spearman_ci's defaults: 10,000 resamples, seed 0.
        assert float(_rank_pearson(x, y)) == pytest.approx(_spearman(x, y), abs=1e-12)
        low, high = _scipy_bootstrap(x, y, seed=0, n_resamples=10_000, vectorized=True)
        assert (float(row["CI low"]), float(row["CI high"])) == pytest.approx((low, high), abs=1e-12), kind
    genetic = [distances[lang]["genetic"] for lang in XNLI]
    assert len(set(genetic)) < len(genetic)  # the distances tie too (unrelated families all at 1.0)
