"""Multimodal degradation on a hand-made score table: gain with the image premise minus gain with the text premise,
per language and seed-paired, with its CI and paired test; and the report section that shows it."""

from __future__ import annotations

import pytest

from xstilts.analysis.degradation import degradation_by_language, degradation_by_variant


def _table() -> dict[tuple[str, str, int], dict[str, float]]:
    # Text premise: MNLI adds +10 (fr) and +4 (ar) on every seed; image premise: +2 (fr) and +4 (ar).
    table = {}
    for seed, noise in ((1, 0.0), (2, 1.0), (3, -1.0)):
        table[("xvnli_text", "baseline", seed)] = {"fr": 60.0 + noise, "ar": 50.0}
        table[("xvnli_text", "mnli", seed)] = {"fr": 70.0 + noise, "ar": 54.0}
        table[("xvnli", "baseline", seed)] = {"fr": 40.0, "ar": 38.0 + noise}
        table[("xvnli", "mnli", seed)] = {"fr": 42.0, "ar": 42.0 + noise}
    table[("xvnli", "mnli", 4)] = {"fr": 99.0}  # no baseline for seed 4: not paired, left out
    return table


def test_degradation_per_language_is_image_gain_minus_text_gain() -> None:
    rows = {row["language"]: row for row in degradation_by_language(_table(), "xvnli", "xvnli_text")}
    assert set(rows) == {"ar", "fr"}
    fr, ar = rows["fr"], rows["ar"]
    assert (fr["seeds"], fr["gain_text"], fr["gain_image"], fr["degradation"]) == (3, 10.0, 2.0, -8.0)
    assert (fr["ci_low"], fr["ci_high"]) == (-8.0, -8.0)  # identical differences over seeds
    assert fr["p_value"] == pytest.approx(2 / 8)  # exact sign-flip test, 3 pairs: the floor 2/2^3
    assert ar["degradation"] == pytest.approx(0.0) and ar["p_value"] == pytest.approx(1.0)


def test_degradation_over_languages_per_variant() -> None:
    rows = degradation_by_language(_table(), "xvnli", "xvnli_text")
    (summary,) = degradation_by_variant(rows)
    assert summary["variant"] == "mnli" and summary["languages"] == 2
    assert summary["degradation"] == pytest.approx(-4.0)
    assert summary["gain_text"] == pytest.approx(7.0) and summary["gain_image"] == pytest.approx(3.0)
    assert summary["ci_low"] <= -4.0 <= summary["ci_high"]
    assert summary["p_holm"] == summary["p_value"]  # one variant: Holm leaves it


def test_the_report_shows_the_section_only_with_both_targets(tmp_path) -> None:
    from xstilts.analysis import report

    page = report._Page(tmp_path)
    report._multimodal_degradation(page, _table())
    text = "".join(page.parts)
    assert "Multimodal degradation: xvnli (image premise) vs xvnli_text (text premise)" in text
    assert "-8.00" in text and (tmp_path / "tables" / "degradation-xvnli.csv").exists()
    empty = report._Page(tmp_path / "other")
    report._multimodal_degradation(empty, {k: v for k, v in _table().items() if k[0] == "xvnli"})
    assert not empty.parts
