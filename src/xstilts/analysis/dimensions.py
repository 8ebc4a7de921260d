"""Grouping results by the dims recorded with each phase (``Phase.dims``): subset size, sampler, source language,
method, ...: the research questions that compare families of variants rather than single variants.

A dim is compared when at least two of its values occur among the non-baseline variants. For each target task
and each value, the per-language deltas of every variant with that value (against the same-seed baseline) are
summarised with ``statistics.robustness`` and averaged over those variants.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from statistics import fmean
from typing import Any

from xstilts.analysis import scores
from xstilts.analysis.statistics import robustness
from xstilts.experiments.variants import is_baseline

# Identifiers rather than factors: grouping by them would compare single draws.
NOT_COMPARED = frozenset({"subset_index", "subset_seed"})


@dataclass(frozen=True)
class Group:
    """One (dim, value, task) cell: how many variants share the value and their averaged statistics."""

    dim: str
    value: str
    task: str
    variants: int
    mean: float
    worst: float
    improved: float  # percent of languages improved

    @property
    def numeric(self) -> float | None:
        try:
            return float(self.value)
        except ValueError:
            return None


def variant_dims(phases: Iterable[dict[str, Any]]) -> dict[str, dict[str, str]]:
    """Variant → its dims (every phase of a variant carries them; phases stored before dims have none)."""
    out: dict[str, dict[str, str]] = {}
    for phase in phases:
        out.setdefault(phase["variant"], {}).update(phase.get("dims") or {})
    return out


def task_count(variant: str, dims: dict[str, str]) -> int:
    """Intermediate tasks in a variant: recorded as ``num_tasks``, else read from a mix's name (``a+b``)."""
    return int(dims["num_tasks"]) if "num_tasks" in dims else len(variant.split("+"))


def compared_dims(dims: dict[str, dict[str, str]]) -> list[str]:
    values: dict[str, set[str]] = {}
    for variant, recorded in dims.items():
        if not is_baseline(variant):
            for dim, value in recorded.items():
                values.setdefault(dim, set()).add(value)
    return sorted(dim for dim, seen in values.items() if len(seen) >= 2 and dim not in NOT_COMPARED)


def groups(table: scores.Scores, dims: dict[str, dict[str, str]]) -> list[Group]:
    """Every compared dim's cells, values sorted numerically where they are numbers."""
    out: list[Group] = []
    for dim in compared_dims(dims):
        for task in scores.tasks_of(table):
            by_value: dict[str, list[dict[str, Any]]] = {}
            for variant in scores.variants_of(table):
                value = dims.get(variant, {}).get(dim)
                deltas = scores.paired_language_deltas(table, task, variant) if not is_baseline(variant) else {}
                if value is not None and deltas:
                    by_value.setdefault(value, []).append(robustness(deltas))
            for value, stats in by_value.items():
                out.append(
                    Group(
                        dim,
                        value,
                        task,
                        len(stats),
                        fmean(s["mean"] for s in stats),
                        fmean(s["worst"] for s in stats),
                        fmean(100.0 * s["improved_share"] for s in stats),
                    )
                )
    return sorted(out, key=lambda g: (g.dim, g.task, g.numeric is None, g.numeric or 0.0, g.value))
