"""The paper's headline: for each target task, the variant chosen on the English dev set, and the benchmark scores
of the chosen set of models (Phang et al. 2020, "Using our best intermediate-task models for each target task").

The selection rule (the benchmarks' rule: no target-language data, no test data):

* A variant's English dev score for a target is the dev score of its last phase before evaluation (phase 2, the
  target's English training: ``role == "target"``), in the selection metric of that phase's task
  (``Task.selection_metric``: what the phase's own model selection maximised, e.g. XNLI accuracy on English
  XNLI dev, MLQA F1 on SQuAD v1.1 dev), averaged over the seeds that have both that score and an evaluation.
* The variant with the highest mean wins; variants of every method arm compete. Ties (equal means) go to the
  variant listed first in the report's order (``variant_sort_key``: arm by arm, each arm's baseline first, then
  by name): with no evidence either way, the simpler model is kept.
* A retrieval target evaluated straight on the encoder (no phase 2) has no English dev score: the choice could
  only be made on test data, so the baseline (the pretrained encoder, first in that order) is kept, and the table
  says so. A retrieval target fine-tuned on SQuAD v1.1 first is chosen on that phase's SQuAD dev F1.

The **oracle** choice takes the variant with the best mean test score instead. It is not a valid result (it
selects on the test set); it shows how much the English-dev rule costs.

Test scores use ``metrics.aggregates`` (what ``xstilts score`` uses): a seed's task score is ``task_score`` over
its languages' metrics, the benchmark scores ``benchmark_scores`` over each task's official test languages, so
``xstilts submission`` folders score back to exactly these numbers, seed by seed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from statistics import fmean
from typing import Any

from xstilts.analysis.scores import combined
from xstilts.benchmarks import TASK_LANGUAGES, TASK_METRIC, Benchmark
from xstilts.errors import XstiltsError
from xstilts.evaluation.submission_export import SubmittedTask
from xstilts.experiments.variants import ARM_SEPARATOR, baseline_of, is_baseline, variant_sort_key
from xstilts.metrics.aggregates import benchmark_scores, task_score
from xstilts.tasks.registry import get_task

ENGLISH_DEV = "English dev"
ORACLE = "oracle: not a valid result"  # chosen on the test set
NO_PHASE_2 = "no English dev score (no phase 2): baseline kept"
BENCHMARKS: tuple[Benchmark, ...] = ("xtreme", "xtreme-r")

Metrics = dict[str, dict[str, float]]
"""metric → language → value: one evaluation, as ``metrics.aggregates.task_score`` reads it."""


@dataclass
class Candidate:
    """One variant's results on one target task, seed by seed."""

    target: str
    variant: str
    evaluations: dict[int, str] = field(default_factory=dict)  # seed → evaluation phase id
    test: dict[int, Metrics] = field(default_factory=dict)  # seed → its evaluation's metrics
    dev: dict[int, float] = field(default_factory=dict)  # seed → English dev score (phase 2)
    selected_on: str | None = None  # e.g. "xnli dev (en) accuracy"; None without phase 2

    @property
    def arm(self) -> str:
        return self.variant.partition(ARM_SEPARATOR)[2]

    def dev_seeds(self) -> list[int]:
        return sorted(seed for seed in self.dev if seed in self.test)

    def dev_mean(self) -> float | None:
        seeds = self.dev_seeds()
        return fmean(self.dev[s] for s in seeds) if seeds else None

    def test_score(self, seed: int) -> float:
        """The seed's task score over every evaluated language (XTREME's rule; ``aggregates.task_score``)."""
        return target_score(self.target, self.test[seed])

    def test_mean(self) -> float:
        return fmean(self.test_score(s) for s in self.test)

    def language_scores(self, seed: int) -> dict[str, float]:
        """A language's score: the task's metric ((EM + F1) / 2 for QA), as the report's other tables."""
        by_language: dict[str, dict[str, float]] = defaultdict(dict)
        for metric, values in self.test[seed].items():
            for language, value in values.items():
                by_language[language][metric] = value
        return {language: combined(self.target, metrics) for language, metrics in by_language.items()}


@dataclass
class Choice:
    """The variant chosen for one target, by one rule, with its baseline (same arm) to compare with."""

    rule: str  # ENGLISH_DEV or ORACLE
    chosen: Candidate
    baseline: Candidate | None
    note: str  # how it was chosen: "xnli dev (en) accuracy", NO_PHASE_2, or the oracle's "test score"

    @property
    def target(self) -> str:
        return self.chosen.target

    def delta(self) -> float | None:
        """Mean over seeds of (chosen − baseline) task scores, for the seeds both have."""
        if self.baseline is None or is_baseline(self.chosen.variant):
            return None
        seeds = [s for s in self.chosen.test if s in self.baseline.test]
        return fmean(self.chosen.test_score(s) - self.baseline.test_score(s) for s in seeds) if seeds else None

    def language_rows(self) -> dict[str, tuple[float, float | None]]:
        """language → (mean over seeds, mean paired delta against the baseline, or None)."""
        values: dict[str, list[float]] = defaultdict(list)
        deltas: dict[str, list[float]] = defaultdict(list)
        for seed in self.chosen.test:
            ours = self.chosen.language_scores(seed)
            base = self.baseline.language_scores(seed) if self.baseline and seed in self.baseline.test else {}
            for language, value in ours.items():
                values[language].append(value)
                if language in base and not is_baseline(self.chosen.variant):
                    deltas[language].append(value - base[language])
        return {
            language: (fmean(v), fmean(deltas[language]) if deltas[language] else None)
            for language, v in sorted(values.items())
        }


def target_score(target: str, metrics: Metrics) -> float:
    """``aggregates.task_score`` for benchmark tasks; for others (no official rule), the mean over languages of
    the score ``analysis.scores.combined`` gives each."""
    if target in TASK_METRIC:
        return task_score(target, metrics)
    languages = sorted({language for values in metrics.values() for language in values})
    return fmean(
        combined(target, {m: values[lang] for m, values in metrics.items() if lang in values}) for lang in languages
    )


def candidates(records: Iterable[dict[str, Any]], phases: Iterable[dict[str, Any]]) -> dict[str, list[Candidate]]:
    """target → its variants' candidates (report order), from the store's metric records and phases
    (``current_metrics``, ``current_phases``)."""
    by_id = {p["phase_id"]: p for p in phases}
    by_phase: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for record in records:
        by_phase[record["phase"]].append(record)
    found: dict[tuple[str, str], Candidate] = {}
    for phase in by_id.values():
        if phase["role"] != "evaluate" or not by_phase.get(phase["phase_id"]):
            continue
        target, variant, seed = phase["tasks"], phase["variant"], phase["seed"]
        candidate = found.setdefault((target, variant), Candidate(target, variant))
        candidate.evaluations[seed] = phase["phase_id"]
        metrics: Metrics = defaultdict(dict)
        for record in by_phase[phase["phase_id"]]:
            metrics[record["metric"]][record["language"]] = record["value"]
        candidate.test[seed] = dict(metrics)
        parent = by_id.get(phase["parent"] or "")
        if parent is not None and parent["role"] == "target":
            score = _dev_score(parent, by_phase.get(parent["phase_id"], []))
            if score is not None:
                candidate.dev[seed], candidate.selected_on = score
    out: dict[str, list[Candidate]] = defaultdict(list)
    for (target, _), candidate in sorted(found.items(), key=lambda item: (item[0][0], variant_sort_key(item[0][1]))):
        out[target].append(candidate)
    return dict(out)


def _dev_score(phase: dict[str, Any], records: list[dict[str, Any]]) -> tuple[float, str] | None:
    """A phase-2 record's English dev score in its task's selection metric, and what it is."""
    task = phase["tasks"]  # phase 2 trains one task (a stage of the target's chain: the target, or SQuAD v1.1)
    metric = get_task(task).selection_metric
    for record in records:
        if record["split"] == "dev" and record["task"] == task and record["metric"] == metric:
            return record["value"], f"{task} dev ({record['language']}) {metric}"
    return None


def _baseline_for(variant: str, pool: list[Candidate]) -> Candidate | None:
    return next((c for c in pool if c.variant == baseline_of(variant)), None)


def choose(pool: list[Candidate], rule: str) -> Choice | None:
    """The module docstring's rule (``ENGLISH_DEV``) or the oracle's (``ORACLE``) over one target's candidates
    in report order (``candidates``); the first of equal scores wins. None when nothing can be chosen."""
    if not pool:
        return None
    if rule == ORACLE:
        chosen = max(pool, key=lambda c: c.test_mean())  # max keeps the first of equal keys
        return Choice(rule, chosen, _baseline_for(chosen.variant, pool), "test score")
    scored = [c for c in pool if c.dev_mean() is not None]
    if not scored:
        chosen = next((c for c in pool if is_baseline(c.variant)), None)
        return Choice(rule, chosen, chosen, NO_PHASE_2) if chosen else None
    chosen = max(scored, key=lambda c: c.dev_mean() or 0.0)
    return Choice(rule, chosen, _baseline_for(chosen.variant, pool), chosen.selected_on or "")


def best_per_target(records: Iterable[dict[str, Any]], phases: Iterable[dict[str, Any]]) -> dict[str, list[Choice]]:
    """rule (``ENGLISH_DEV``, ``ORACLE``) → one choice per target, in target order."""
    pools = candidates(records, phases)
    return {
        rule: [choice for pool in pools.values() if (choice := choose(pool, rule)) is not None]
        for rule in (ENGLISH_DEV, ORACLE)
    }


def benchmark_task(choice: Choice, seed: int, benchmark: Benchmark) -> tuple[float, list[str]] | None:
    """The chosen variant's task score for ``benchmark`` with ``seed``, over the official test languages it has,
    and the official languages it lacks (``xstilts score``'s ``incomplete_tasks``); None if it has none."""
    official = TASK_LANGUAGES[benchmark].get(choice.target)
    metrics = choice.chosen.test.get(seed)
    if official is None or metrics is None:
        return None
    kept = {metric: {lang: v for lang, v in values.items() if lang in official} for metric, values in metrics.items()}
    kept = {metric: values for metric, values in kept.items() if values}
    if not kept:
        return None
    present = {lang for values in kept.values() for lang in values}
    return task_score(choice.target, kept), [lang for lang in official if lang not in present]


def selection_benchmark_scores(choices: list[Choice], seed: int, benchmark: Benchmark) -> dict[str, Any]:
    """``benchmark_scores`` of the chosen set of models with ``seed``, as ``xstilts score`` computes them from its
    submission: a task counts towards groups and overall only with all its official languages. Adds ``tasks``
    (task → score over the languages it has) and ``incomplete`` (task → official languages it lacks)."""
    tasks: dict[str, float] = {}
    incomplete: dict[str, list[str]] = {}
    for choice in choices:
        scored = benchmark_task(choice, seed, benchmark)
        if scored is not None:
            tasks[choice.target], absent = scored
            if absent:
                incomplete[choice.target] = absent
    complete = {task: score for task, score in tasks.items() if task not in incomplete}
    return benchmark_scores(complete, benchmark) | {"tasks": tasks, "incomplete": incomplete, "seed": seed}


def seeds_of(choices: list[Choice]) -> list[int]:
    return sorted({seed for choice in choices for seed in choice.chosen.test})


def submission_seed(choices: list[Choice], seed: int | None) -> int:
    """The seed whose models a submission holds: the one asked for, else the run's only seed."""
    seeds = seeds_of(choices)
    if seed is None and len(seeds) == 1:
        return seeds[0]
    if seed is None or seed not in seeds:
        asked = "" if seed is None else f"seed {seed} is not one of them; "
        raise XstiltsError(
            f"the run's evaluations have seeds {', '.join(map(str, seeds)) or 'none'}: {asked}choose one with --seed"
        )
    return seed


def submission_tasks(choices: list[Choice], seed: int) -> dict[str, SubmittedTask]:
    """task → the evaluation of its chosen variant with ``seed`` (tasks whose variant lacks that seed are absent)."""
    return {
        choice.target: SubmittedTask(
            choice.target,
            choice.chosen.variant,
            seed,
            choice.chosen.evaluations[seed],
            {
                "rule": choice.rule,
                "selected_on": choice.note,
                "dev_score": choice.chosen.dev_mean(),
                "dev_seeds": choice.chosen.dev_seeds(),
            },
        )
        for choice in choices
        if seed in choice.chosen.evaluations
    }
