"""Intermediate variants grouped by the domain of their tasks (code, natural language, or a mix of both), and the
answer to "how much do code intermediates help compared with natural-language ones?": per target task, the mean
delta of each domain's variants against the same-seed baseline, and the margin of code over natural language with
its bootstrap interval over seeds and a paired test over seeds (``analysis.statistics``).

A variant's domain comes from its intermediate phase's tasks (``Task.domain``): all code, all natural language, or
"mix". For each seed, a domain's delta is the mean over its variants of (variant − baseline) task scores (the
mean over every evaluated language); the margin of a seed is the code delta minus the natural-language delta, and
the table reports their mean over seeds. Per language, the same means over seeds of the per-language deltas.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from statistics import fmean
from typing import Any

from xstilts.analysis import scores
from xstilts.analysis.statistics import bootstrap_ci, paired_test
from xstilts.analysis.tables import Cell, ReportTable
from xstilts.experiments.variants import baseline_of, is_baseline
from xstilts.tasks.registry import all_tasks

CODE, NATURAL_LANGUAGE, MIX = "code", "natural language", "mix"
DOMAINS = (CODE, NATURAL_LANGUAGE, MIX)


def _task_name(member: str) -> str:
    """``mnli@de~dev-de`` -> ``mnli``: a mix member's task."""
    return member.split("@")[0].split("~")[0]


def variant_domains(phases: Iterable[dict[str, Any]]) -> dict[str, str]:
    """Variant -> code / natural language / mix, from its intermediate phase's tasks (the store's ``a+b``);
    variants with a task of no known domain (a plugin not imported) are left out."""
    tasks = all_tasks()
    out: dict[str, str] = {}
    for phase in phases:
        if phase["role"] != "intermediate" or is_baseline(phase["variant"]):
            continue
        names = [_task_name(m) for m in phase["tasks"].split("+")]
        if not all(name in tasks for name in names):
            continue
        kinds = {tasks[name].domain for name in names}
        out[phase["variant"]] = kinds.pop() if len(kinds) == 1 else MIX
    return out


def _seed_deltas(table: scores.Scores, task: str, variants: list[str]) -> dict[int, float]:
    """Seed -> mean over ``variants`` of (variant − same-seed baseline) task score, for seeds where any has one."""
    by_seed: dict[int, list[float]] = defaultdict(list)
    for variant in variants:
        for seed in scores.seeds_of(table, task, variant):
            if (task, baseline_of(variant), seed) in table:
                score = scores.task_score(table, task, variant, seed)
                by_seed[seed].append(score - scores.task_score(table, task, baseline_of(variant), seed))
    return {seed: fmean(values) for seed, values in by_seed.items()}


def margin_rows(table: scores.Scores, domains: dict[str, str]) -> list[list[Cell]]:
    """Per target task: mean Δ of code, natural-language and mix variants, the code − NL margin, its 95 %
    bootstrap interval over seeds and the paired sign-flip p over seeds (None where it cannot be computed)."""
    rows: list[list[Cell]] = []
    for task in scores.tasks_of(table):
        members = {d: [v for v in scores.variants_of(table) if domains.get(v) == d] for d in DOMAINS}
        deltas = {d: _seed_deltas(table, task, members[d]) for d in DOMAINS}
        means: list[Cell] = [fmean(deltas[d].values()) if deltas[d] else None for d in DOMAINS]
        seeds = sorted(set(deltas[CODE]) & set(deltas[NATURAL_LANGUAGE]))
        margin: Cell = None
        low: Cell = None
        high: Cell = None
        p: Cell = None
        if seeds:
            margins = [deltas[CODE][s] - deltas[NATURAL_LANGUAGE][s] for s in seeds]
            margin = fmean(margins)
            low, high = bootstrap_ci(margins)
            test = paired_test([deltas[CODE][s] for s in seeds], [deltas[NATURAL_LANGUAGE][s] for s in seeds])
            p = test["p_value"]
        rows.append([task, *means, margin, low, high, p, len(seeds)])
    return rows


def language_rows(table: scores.Scores, domains: dict[str, str]) -> list[list[Cell]]:
    """Per target task and language: each domain's mean per-language Δ (over its variants, each a mean over
    seeds) and the code − NL margin."""
    rows: list[list[Cell]] = []
    for task in scores.tasks_of(table):
        by_domain: dict[str, dict[str, list[float]]] = {d: defaultdict(list) for d in DOMAINS}
        for variant, domain in domains.items():
            for language, delta in scores.paired_language_deltas(table, task, variant).items():
                by_domain[domain][language].append(delta)
        languages = sorted({language for d in DOMAINS for language in by_domain[d]})
        for language in languages:
            means = [fmean(by_domain[d][language]) if by_domain[d][language] else None for d in DOMAINS]
            code, natural = means[0], means[1]
            rows.append([task, language, *means, code - natural if code is not None and natural is not None else None])
    return rows


def domain_tables(table: scores.Scores, phases: list[dict[str, Any]]) -> list[ReportTable]:
    """The report's code-vs-natural-language tables; none when the run has no code or no NL variant."""
    domains = variant_domains(phases)
    if not {CODE, NATURAL_LANGUAGE} <= set(domains.values()):
        return []
    listed = "; ".join(f"{d}: {', '.join(sorted(v for v, x in domains.items() if x == d)) or '–'}" for d in DOMAINS)
    return [
        ReportTable(
            "code-vs-nl",
            "Margin of code over natural-language intermediates, per target task (Δ against the same-seed baseline)",
            ["task", "code Δ", "NL Δ", "mix Δ", "margin (code − NL) Δ", "CI low", "CI high", "p (seeds)", "seeds"],
            margin_rows(table, domains),
            notes=[
                listed,
                "margin: mean over seeds of (code variants' mean Δ − NL variants' mean Δ); 95 % percentile bootstrap"
                " interval over seeds; p: paired sign-flip test over seeds (none with one seed).",
            ],
        ),
        ReportTable(
            "code-vs-nl-languages",
            "Per language: mean Δ of each intermediate domain",
            ["task", "language", "code Δ", "NL Δ", "mix Δ", "margin Δ"],
            language_rows(table, domains),
        ),
    ]
