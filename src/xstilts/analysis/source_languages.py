"""Source languages side by side: for each target task and evaluation language, how a variant trained on another
language's intermediate data does against the same variant trained on English data (``tydiqa@fi`` against
``tydiqa``, ``panx@et+udpos@et`` against ``panx+udpos``), paired by seed, next to the URIEL distance between the
source and the evaluation language.

The English counterpart of a variant is its name with every member's ``@<language>`` removed (within its method
arm); a variant without one in the run (XNLI-MT, whose English counterpart is MNLI, a differently named task) is
compared only through its baseline deltas elsewhere in the report. Data provenance comes from the ``source_data``
dim the plan records (``human``, ``translated``); English training data are the tasks' own, human-written.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from statistics import fmean

from xstilts.analysis import scores
from xstilts.analysis.statistics import bootstrap_ci, holm, paired_test
from xstilts.analysis.typology import uriel_distances
from xstilts.data.sources import ENGLISH
from xstilts.experiments.variants import ARM_SEPARATOR, SOURCE_DATA, SOURCE_LANGUAGE, is_baseline
from xstilts.tasks.base import HUMAN

_LANGUAGE_TAG = re.compile(r"@[^~]+")


@dataclass(frozen=True)
class SourceComparison:
    """One (target task, evaluation language, non-English-source variant) cell against its English counterpart."""

    task: str
    language: str  # the evaluation language
    variant: str
    english: str  # the English-source counterpart
    source: str  # the variant's source language
    data: str  # its training data's provenance: human, translated, human+translated
    seeds: int
    delta: float  # mean over seeds of (variant − English counterpart)
    ci: tuple[float, float] | None  # 95% bootstrap CI of that mean over seeds (None with one seed)
    p_value: float | None  # paired sign-flip test over seeds
    p_holm: float | None  # Holm-corrected over every comparison of the run
    distance: float | None  # URIEL syntactic distance between source and evaluation language
    english_distance: float | None  # the same for English

    @property
    def in_language(self) -> bool:
        """Trained on the evaluation language itself: not zero-shot transfer."""
        return self.source == self.language

    @property
    def mixes_provenance(self) -> bool:
        """The comparison puts machine-translated data against English human-written data."""
        return self.data != HUMAN


def english_counterpart(variant: str) -> str:
    """``tydiqa@fi`` → ``tydiqa``; ``panx@et+udpos@et/lora`` → ``panx+udpos/lora`` (members re-sorted, as mixes are)."""
    name, separator, method = variant.partition(ARM_SEPARATOR)
    members = sorted(_LANGUAGE_TAG.sub("", member) for member in name.split("+"))
    return "+".join(members) + separator + method


def source_languages(dims: Mapping[str, Mapping[str, str]]) -> set[str]:
    """The source languages among the run's intermediate variants (mixed-language variants count each)."""
    return {
        language
        for variant, recorded in dims.items()
        if not is_baseline(variant) and SOURCE_LANGUAGE in recorded
        for language in recorded[SOURCE_LANGUAGE].split("+")
    }


def comparisons(table: scores.Scores, dims: Mapping[str, Mapping[str, str]]) -> list[SourceComparison]:
    """Every (task, evaluation language, variant) with a single non-English source and an English counterpart
    evaluated with at least one common seed, sorted by task, language and source."""
    variants = set(scores.variants_of(table))
    raw: list[tuple[str, str, str, str, str, str, list[float]]] = []
    for variant in sorted(variants):
        recorded = dims.get(variant, {})
        source = recorded.get(SOURCE_LANGUAGE, "")
        english = english_counterpart(variant)
        if is_baseline(variant) or "+" in source or source in ("", ENGLISH) or english not in variants:
            continue
        if dims.get(english, {}).get(SOURCE_LANGUAGE, ENGLISH) != ENGLISH:
            continue
        for task in scores.tasks_of(table):
            seeds = [s for s in scores.seeds_of(table, task, variant) if (task, english, s) in table]
            by_language: dict[str, list[float]] = {}
            for seed in seeds:
                ours, theirs = table[(task, variant, seed)], table[(task, english, seed)]
                for language in ours.keys() & theirs.keys():
                    by_language.setdefault(language, []).append(ours[language] - theirs[language])
            for language, differences in by_language.items():
                data = recorded.get(SOURCE_DATA, HUMAN)
                raw.append((task, language, source, variant, english, data, differences))
    tests = {(t, lang, v): paired_test(d, [0.0] * len(d))["p_value"] for t, lang, _, v, _, _, d in raw}
    adjusted = holm(tests)
    out = []
    for task, language, source, variant, english, data, differences in raw:
        distance = _syntactic(source, language)
        out.append(
            SourceComparison(
                task,
                language,
                variant,
                english,
                source,
                data,
                len(differences),
                fmean(differences),
                bootstrap_ci(differences) if len(differences) >= 2 else None,
                tests[(task, language, variant)],
                adjusted[(task, language, variant)],
                distance,
                _syntactic(ENGLISH, language),
            )
        )
    return sorted(out, key=lambda c: (c.task, c.language, c.source, c.variant))


def _syntactic(source: str, language: str) -> float | None:
    return uriel_distances(source, [language])[language]["syntactic"]
