"""Multimodal degradation: does an intermediate task's gain shrink when the target's premise is an image?

A multimodal target and its text-only twin are built from the same aligned items (XVNLI with the image premise,
``xvnli``, and with the caption as premise, ``xvnli_text``), trained from the same intermediate artefacts with the
same seeds. For each intermediate variant, language and seed:

    gain_image = image_task[variant, seed][lang] - image_task[baseline, seed][lang]
    gain_text  = text_task[variant, seed][lang]  - text_task[baseline, seed][lang]
    degradation = gain_image - gain_text          (negative: the benefit degrades with the image premise)

Per (variant, language) the seeds give a mean, a bootstrap CI and a paired sign-flip test of gain_image against
gain_text (pairs: seeds); per variant, the languages' mean degradations give a CI and a paired test over
languages (pairs: languages, each the mean over its seeds), Holm-corrected over the variants.
"""

from __future__ import annotations

from statistics import fmean
from typing import Any

from xstilts.analysis.scores import Scores, seeds_of, variants_of
from xstilts.analysis.statistics import bootstrap_ci, holm, paired_test
from xstilts.experiments.variants import baseline_of, is_baseline

# image-premise task -> its text-premise twin over the same items
TEXT_TWINS = {"xvnli": "xvnli_text", "demo_scene": "demo_scene_text"}


def _gains(table: Scores, task: str, variant: str, seed: int) -> dict[str, float]:
    ours, base = table.get((task, variant, seed)), table.get((task, baseline_of(variant), seed))
    if ours is None or base is None:
        return {}
    return {language: value - base[language] for language, value in ours.items() if language in base}


def degradation_by_language(table: Scores, image_task: str, text_task: str) -> list[dict[str, Any]]:
    """One row per (variant, language) that both targets evaluated with a baseline, for at least one seed."""
    rows = []
    for variant in (v for v in variants_of(table) if not is_baseline(v)):
        per_language: dict[str, list[tuple[float, float]]] = {}
        for seed in seeds_of(table, image_task, variant):
            image, text = _gains(table, image_task, variant, seed), _gains(table, text_task, variant, seed)
            for language in sorted(set(image) & set(text)):
                per_language.setdefault(language, []).append((image[language], text[language]))
        for language, pairs in per_language.items():
            image_gains, text_gains = [p[0] for p in pairs], [p[1] for p in pairs]
            differences = [a - b for a, b in pairs]
            low, high = bootstrap_ci(differences)
            rows.append(
                {
                    "variant": variant,
                    "language": language,
                    "seeds": len(pairs),
                    "gain_text": fmean(text_gains),
                    "gain_image": fmean(image_gains),
                    "degradation": fmean(differences),
                    "ci_low": low,
                    "ci_high": high,
                    "p_value": paired_test(image_gains, text_gains)["p_value"],
                }
            )
    return rows


def degradation_by_variant(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per variant over its languages: mean degradation, bootstrap CI, paired test (languages as pairs), Holm."""
    out, tests = [], {}
    for variant in dict.fromkeys(row["variant"] for row in rows):
        mine = [row for row in rows if row["variant"] == variant]
        differences = [row["degradation"] for row in mine]
        low, high = bootstrap_ci(differences)
        test = paired_test([row["gain_image"] for row in mine], [row["gain_text"] for row in mine])
        tests[variant] = test["p_value"]
        out.append(
            {
                "variant": variant,
                "languages": len(mine),
                "gain_text": fmean(row["gain_text"] for row in mine),
                "gain_image": fmean(row["gain_image"] for row in mine),
                "degradation": fmean(differences),
                "ci_low": low,
                "ci_high": high,
                "p_value": test["p_value"],
            }
        )
    adjusted = holm(tests)
    for row in out:
        row["p_holm"] = adjusted[row["variant"]]
    return out
