"""The "best per target" tables (``analysis.best_per_target``), for the report and for ``xstilts results``:
the choice per target with its dev and test scores, its per-language test scores, and the benchmark scores of the
chosen set of models, seed by seed (what ``xstilts submission`` writes and ``xstilts score`` reproduces)."""

from __future__ import annotations

from statistics import fmean

from xstilts.analysis.best_per_target import (
    BENCHMARKS,
    ENGLISH_DEV,
    NO_PHASE_2,
    ORACLE,
    Choice,
    seeds_of,
    selection_benchmark_scores,
)
from xstilts.analysis.tables import Cell, ReportTable
from xstilts.benchmarks import TASK_GROUPS, TASK_LANGUAGES, Benchmark

RULE_NOTE = (
    "Chosen on English dev: per target, the variant (of any method arm) with the best mean English dev score of its"
    " phase 2 (the target's English training), in that task's selection metric; ties go to the variant listed first"
    " (arm by arm, baseline first, then by name). A retrieval target without phase 2 has no English dev score: its"
    f" baseline is kept ({NO_PHASE_2!r})."
)
ORACLE_NOTE = (
    f"Rows marked {ORACLE!r} choose the variant with the best mean test score: selection on the test set, which"
    " no benchmark allows; they show how much the English-dev rule costs."
)
SCORE_NOTE = (
    "test = task score over every evaluated language (QA: (EM + F1) / 2), mean over seeds; Δ = paired by seed, vs"
    " the same arm's baseline. Benchmark scores: each task over its official test languages, computed as"
    " `xstilts score` computes them; a task lacking languages, or absent, leaves its group and the overall score"
    " empty."
)
GROUPS = list(dict.fromkeys(group for benchmark in BENCHMARKS for group in TASK_GROUPS[benchmark]))


def choice_table(selection: dict[str, list[Choice]]) -> ReportTable:
    rows: list[list[Cell]] = []
    oracle = {choice.target: choice for choice in selection[ORACLE]}
    for choice in selection[ENGLISH_DEV]:
        for shown in (choice, oracle.get(choice.target)):
            if shown is None:
                continue
            chosen = shown.chosen
            dev = chosen.dev_mean()
            rows.append(
                [
                    shown.target,
                    shown.rule,
                    chosen.variant,
                    chosen.arm or "–",
                    shown.note,
                    dev,
                    len(chosen.dev_seeds()) if dev is not None else len(chosen.test),
                    chosen.test_mean(),
                    shown.delta(),
                ]
            )
    return ReportTable(
        "best-per-target",
        "Best per target: the variant chosen on English dev (and the oracle, chosen on test)",
        ["target", "chosen by", "variant", "arm", "selected on", "English dev", "seeds", "test", "Δ test"],
        rows,
        notes=[RULE_NOTE, ORACLE_NOTE, SCORE_NOTE],
    )


def language_table(selection: dict[str, list[Choice]]) -> ReportTable:
    rows: list[list[Cell]] = []
    oracle = {choice.target: choice for choice in selection[ORACLE]}
    for choice in selection[ENGLISH_DEV]:
        other = oracle.get(choice.target)
        theirs = other.language_rows() if other else {}
        for language, (value, delta) in choice.language_rows().items():
            oracle_value, oracle_delta = theirs.get(language, (None, None))
            rows.append([choice.target, language, choice.chosen.variant, value, delta, oracle_value, oracle_delta])
    return ReportTable(
        "best-per-target-languages",
        "Best per target: test score per language (mean over seeds; Δ paired by seed vs the same arm's baseline)",
        ["target", "language", "variant", "test", "Δ", "oracle test", "Δ oracle"],
        rows,
        notes=["The oracle columns choose on the test set: not a valid result (the rule is in the table above)."],
    )


def _mean(values: list[float | None]) -> float | None:
    return fmean(v for v in values if v is not None) if values and None not in values else None


def _benchmark_rows(rule: str, benchmark: Benchmark, choices: list[Choice]) -> list[list[Cell]]:
    """One row per seed, then (with several seeds) their mean where every seed has a value."""
    rows: list[list[Cell]] = []
    per_seed = [selection_benchmark_scores(choices, seed, benchmark) for seed in seeds_of(choices)]
    for scores in per_seed:
        absent = [task for task in scores["missing"] if task not in scores["tasks"]]
        incomplete = [f"{task} (−{len(langs)})" for task, langs in scores["incomplete"].items()]
        groups = [scores["groups"].get(group) for group in GROUPS]
        rows.append(
            [
                rule,
                benchmark,
                scores["seed"],
                *groups,
                scores["overall"],
                " ".join(absent),
                " ".join(incomplete),
            ]
        )
    if len(per_seed) > 1 and any(scores["groups"][g] is not None for scores in per_seed for g in scores["groups"]):
        groups = [_mean([scores["groups"].get(group) for scores in per_seed]) for group in GROUPS]
        overall = _mean([scores["overall"] for scores in per_seed])
        rows.append([rule, benchmark, "mean", *groups, overall, "", ""])
    return rows


def benchmark_table(selection: dict[str, list[Choice]]) -> ReportTable:
    rows = [row for rule, choices in selection.items() for b in BENCHMARKS for row in _benchmark_rows(rule, b, choices)]
    return ReportTable(
        "best-per-target-benchmarks",
        "Benchmark scores of the chosen set of models, per seed (what `xstilts submission --seed N` scores to)",
        ["chosen by", "benchmark", "seed", *GROUPS, "all_task", "missing tasks", "incomplete (languages missing)"],
        rows,
        notes=[
            "all_task: the mean over all the benchmark's tasks (9 for XTREME, 10 for XTREME-R), as evaluate.py;"
            " XTREME-R's retrieval includes LAReQA (the paper); multi_choice is XCOPA alone (evaluate.py).",
            f"{ORACLE!r} rows: chosen on the test set.",
        ],
    )


def seed_table(selection: dict[str, list[Choice]]) -> ReportTable:
    """Per seed, each chosen task's score for each benchmark: ``xstilts score``'s ``avg_metric``."""
    rows: list[list[Cell]] = []
    for rule, choices in selection.items():
        for benchmark in BENCHMARKS:
            for seed in seeds_of(choices):
                scores = selection_benchmark_scores(choices, seed, benchmark)
                variants = {choice.target: choice.chosen.variant for choice in choices}
                for task, score in scores["tasks"].items():
                    absent = scores["incomplete"].get(task, [])
                    rows.append([rule, benchmark, seed, task, variants[task], score, " ".join(absent)])
    return ReportTable(
        "best-per-target-seeds",
        "Task scores of the chosen models, per seed, over each benchmark's official languages",
        ["chosen by", "benchmark", "seed", "task", "variant", "score", "official languages missing"],
        rows,
    )


NO_BENCHMARK_NOTE = "No target of this run is an XTREME or XTREME-R task: no benchmark scores."


def best_per_target_tables(selection: dict[str, list[Choice]]) -> list[ReportTable]:
    """The choice and per-language tables, then (when some target is a benchmark task) the benchmark scores."""
    choices = choice_table(selection)
    tables = [choices, language_table(selection)]
    if any(choice.target in TASK_LANGUAGES[b] for choice in selection[ENGLISH_DEV] for b in BENCHMARKS):
        return [*tables, benchmark_table(selection), seed_table(selection)]
    choices.notes.append(NO_BENCHMARK_NOTE)
    return tables
