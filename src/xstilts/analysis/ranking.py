"""Tables of ``xstilts rank``'s estimates, and how far each estimator's ranking agreed with the realised deltas.

Reads ``ranking/estimates.json`` (written by ``experiments.ranking``; no model is run here) and adds the
estimators that need no model: URIEL distances (``analysis.typology``) from each candidate's source language to
the target's evaluation languages. When the results store holds realised deltas for the same targets, each
estimator's ranking is compared with the realised mean delta (over languages and seeds) by Spearman's ρ and
NDCG@3 with bootstrap intervals over languages, for all languages and per language family, and a combined
ranker is evaluated leave-one-target-out (``analysis.ranking_quality``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from statistics import fmean
from typing import Any

import numpy as np

from xstilts.analysis import scores
from xstilts.analysis.ranking_quality import (
    MIN_TARGETS_TO_FIT,
    NDCG_K,
    Agreement,
    RankerRow,
    Score,
    agreement,
    leave_one_target_out,
)
from xstilts.analysis.statistics import average_ranks
from xstilts.analysis.tables import Cell, ReportTable
from xstilts.analysis.typology import DISTANCE_KINDS, language_info, uriel_distances
from xstilts.artefacts import read_json
from xstilts.experiments.ranking import ESTIMATES_JSON, RANKING_DIR
from xstilts.experiments.store import current_metrics
from xstilts.experiments.variants import is_baseline


@dataclass(frozen=True)
class Estimator:
    label: str
    higher_is_better: bool
    what: str


ESTIMATORS: dict[str, Estimator] = {
    "similarity": Estimator("similarity", True, "cosine of mean-pooled dataset embeddings (pretrained encoder)"),
    "logme": Estimator("LogME", True, "log maximum evidence of the target's labels, intermediate encoder's features"),
    "knn": Estimator("kNN acc", True, "5-fold 5-NN probe accuracy on the same features"),
    "data_size": Estimator("train size", True, "training examples of the intermediate tasks"),
    "overlap": Estimator("subword overlap", True, "LangRank overlap with the evaluation languages' inputs"),
    **{
        f"uriel_{kind}": Estimator(f"URIEL {kind}", False, f"URIEL {kind} distance, source to evaluation languages")
        for kind in DISTANCE_KINDS
    },
}


def load_estimates(run_dir: Path) -> dict[str, Any] | None:
    path = run_dir / RANKING_DIR / ESTIMATES_JSON
    return with_typology(read_json(path)) if path.exists() else None


def with_typology(record: dict[str, Any]) -> dict[str, Any]:
    """Adds each candidate's URIEL distances (mean over its source languages) per evaluation language and their
    mean over the languages; a distance URIEL lacks is left out."""
    for target in record["targets"]:
        for candidate in target["candidates"]:
            sources = candidate["source_languages"]
            if not sources:
                continue
            by_source = {source: uriel_distances(source, target["languages"]) for source in sources}
            for kind in DISTANCE_KINDS:
                per_language: dict[str, float] = {}
                for language in target["languages"]:
                    known = [d for s in by_source.values() if (d := s[language][kind]) is not None]
                    if known:
                        per_language[language] = fmean(known)
                candidate["per_language"][f"uriel_{kind}"] = per_language
                candidate["scores"][f"uriel_{kind}"] = fmean(per_language.values()) if per_language else None
    return record


def _present(target: dict[str, Any]) -> list[str]:
    """The estimators with at least one value among the target's candidates, in :data:`ESTIMATORS`' order."""
    return [e for e in ESTIMATORS if any(c["scores"].get(e) is not None for c in target["candidates"])]


def oriented(name: str, score: Score) -> Score:
    """The score with higher = predicted better (distances negated)."""
    if ESTIMATORS[name].higher_is_better:
        return score
    if isinstance(score, Mapping):
        return {k: -v for k, v in score.items()}
    return -score


def _ranks(values: Sequence[float | None]) -> list[float | None]:
    """1 = predicted best; tied scores share their mean rank; unknown values have none."""
    known = [(i, v) for i, v in enumerate(values) if v is not None]
    ranks: list[float | None] = [None] * len(values)
    if known:
        for (i, _), rank in zip(known, average_ranks(np.asarray([-v for _, v in known])).tolist(), strict=True):
            ranks[i] = rank
    return ranks


def cost_note(record: dict[str, Any]) -> str:
    cost = record["cost"]
    return (
        f"cost: {cost['sequences']} forward passes (sequences, no backward pass, no training) in {cost['batches']}"
        f" batches through {cost['encoders']} encoder(s) on {record['device']}: {cost['forward_seconds']:.1f} s"
        f" forward, {cost['load_seconds']:.1f} s loading, {cost['total_seconds']:.1f} s in all"
        f" (samples of {record['sample_size']} examples per task and language, seed {record['seed']})"
    )


def predicted_order(names: Sequence[str], values: Sequence[float | None]) -> str:
    """The candidates best first by oriented score: ``a > b = c`` (``=`` joins ties); unscored ones left out."""
    ranks = _ranks(values)
    ranked = sorted((rank, name) for name, rank in zip(names, ranks, strict=True) if rank is not None)
    parts: list[str] = []
    for number, (rank, name) in enumerate(ranked):
        if number:
            parts.append(" = " if rank == ranked[number - 1][0] else " > ")
        parts.append(name)
    return "".join(parts)


def estimate_tables(record: dict[str, Any]) -> list[ReportTable]:
    """One table per target: a row per estimator with each candidate's score and the order it predicts; the
    pretrained encoder's LogME and k-NN accuracy as a reference column (a candidate above it is predicted to help)."""
    tables = []
    for target in record["targets"]:
        candidates = target["candidates"]
        names = [c["name"] for c in candidates]
        columns = ["estimator", "better", *names, "pretrained", "predicted order (best first)"]
        rows: list[list[Cell]] = []
        for name in _present(target):
            estimator = ESTIMATORS[name]
            values = [c["scores"].get(name) for c in candidates]
            order = predicted_order(names, [_oriented_value(name, v) for v in values])
            better = "higher" if estimator.higher_is_better else "lower"
            rows.append([estimator.label, better, *values, target["reference"].get(name), order])
        notes = [f"{ESTIMATORS[n].label}: {ESTIMATORS[n].what}" for n in _present(target)]
        notes += target["notes"]
        notes += [f"{c['name']}: no LogME / kNN ({c['missing']})" for c in candidates if c.get("missing")]
        notes.append(cost_note(record))
        title = f"{target['task']}: transferability estimates of its intermediate variants"
        tables.append(
            ReportTable(f"rank-{target['task']}", title, columns, rows, digits=3, notes=[*notes, *record["notes"]])
        )
    return tables


def _oriented_value(name: str, value: float | None) -> float | None:
    if value is None:
        return None
    result = oriented(name, value)
    return float(result) if not isinstance(result, Mapping) else None


def realised_deltas(records: list[dict[str, Any]]) -> dict[str, dict[str, dict[str, float]]]:
    """target -> variant -> language -> Δ (mean over seeds, paired with the baseline's seed)."""
    table = scores.language_scores(records)
    out: dict[str, dict[str, dict[str, float]]] = {}
    for task in scores.tasks_of(table):
        for variant in scores.variants_of(table):
            deltas = scores.paired_language_deltas(table, task, variant)
            if deltas and not is_baseline(variant):
                out.setdefault(task, {})[variant] = deltas
    return out


def _groups(languages: Sequence[str]) -> list[tuple[str, list[str]]]:
    """All languages, then each family among them (``analysis.typology``)."""
    families: dict[str, list[str]] = {}
    for language in languages:
        families.setdefault(language_info(language).family, []).append(language)
    return [("all", list(languages)), *sorted(families.items())]


def _candidate_scores(target: dict[str, Any], name: str) -> dict[str, Score]:
    out: dict[str, Score] = {}
    for candidate in target["candidates"]:
        score = candidate["per_language"].get(name) or candidate["scores"].get(name)
        if score is not None:
            out[candidate["name"]] = oriented(name, score)
    return out


AGREEMENT_COLUMNS = [
    "target",
    "languages",
    "estimator",
    "candidates",
    "n lang",
    "ρ",
    "ρ low",
    "ρ high",
    f"NDCG@{NDCG_K}",
    "NDCG low",
    "NDCG high",
]


def _agreement_row(target: str, group: str, estimator: str, found: Agreement) -> list[Cell]:
    rho_low, rho_high = found.rho_ci or (None, None)
    ndcg_low, ndcg_high = found.ndcg_ci or (None, None)
    head = [target, group, estimator, found.candidates, found.languages]
    return [*head, found.rho, rho_low, rho_high, found.ndcg, ndcg_low, ndcg_high]


@dataclass
class Section:
    """What the report shows for the ranking: tables and notes, in order."""

    tables: list[ReportTable] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def agreement_section(record: dict[str, Any], records: list[dict[str, Any]]) -> Section:
    """Each estimator against the realised deltas, per target and language group, and the combined ranker."""
    section = Section()
    realised = realised_deltas(records)
    rows: list[list[Cell]] = []
    ranker_rows: list[RankerRow] = []
    for target in record["targets"]:
        deltas = realised.get(target["task"], {})
        languages = [lang for lang in target["languages"] if any(lang in d for d in deltas.values())]
        if not deltas or not languages:
            section.notes.append(f"{target['task']}: no realised deltas in the store yet (run the experiment)")
            continue
        for group, members in _groups(languages):
            for name in _present(target):
                found = agreement(_candidate_scores(target, name), deltas, members)
                rows.append(_agreement_row(target["task"], group, ESTIMATORS[name].label, found))
        for candidate in target["candidates"]:
            if candidate["name"] in deltas:
                features = {n: _oriented_value(n, candidate["scores"].get(n)) for n in ESTIMATORS}
                mine = deltas[candidate["name"]]
                realised_mean = fmean(mine[lang] for lang in languages if lang in mine)
                ranker_rows.append(RankerRow(target["task"], candidate["name"], features, realised_mean))
    if rows:
        section.tables.append(
            ReportTable(
                "rank-agreement",
                f"Estimators against realised Δ: Spearman ρ and NDCG@{NDCG_K} (95% bootstrap CI over languages)",
                AGREEMENT_COLUMNS,
                rows,
                notes=[
                    "Realised Δ: each candidate's mean over the group's languages of its Δ against the baseline (mean"
                    " over seeds, paired by seed). ρ needs two candidates and is then ±1 only; with few candidates"
                    " read these as anecdotes, not as a measured accuracy.",
                    f"NDCG@{NDCG_K}: gains are Δ minus the worst candidate's Δ; tied scores count as every order"
                    " of the tie (expected DCG). Intervals resample the languages, not the candidates.",
                ],
            )
        )
    section.tables.extend(_combined(ranker_rows, realised, record, section.notes))
    return section


def _combined(
    rows: list[RankerRow],
    realised: dict[str, dict[str, dict[str, float]]],
    record: dict[str, Any],
    notes: list[str],
) -> list[ReportTable]:
    targets = sorted({r.target for r in rows})
    used = [n for n in ESTIMATORS if any(r.features.get(n) is not None for r in rows)]
    predictions = leave_one_target_out(rows, used)
    if predictions is None:
        notes.append(
            f"Combined ranker (ridge over standardised estimator scores, leave-one-target-out) not fitted:"
            f" {len(targets)} target(s) with realised deltas here, it needs at least {MIN_TARGETS_TO_FIT}"
            " (fitted on all but one, scored on the one left out)."
        )
        return []
    languages = {t["task"]: t["languages"] for t in record["targets"]}
    table_rows: list[list[Cell]] = []
    for target, predicted in predictions.items():
        members = [lang for lang in languages[target] if any(lang in d for d in realised[target].values())]
        found = agreement(dict(predicted), realised[target], members)
        table_rows.append(_agreement_row(target, "all", "combined (LOTO)", found))
    return [
        ReportTable(
            "rank-combined",
            f"Combined ranker, leave-one-target-out: ρ and NDCG@{NDCG_K} on each held-out target",
            AGREEMENT_COLUMNS,
            table_rows,
            notes=[
                f"Ridge regression (α = 1) from the estimators {', '.join(ESTIMATORS[n].label for n in used)},"
                " standardised within each target, to the standardised realised Δ, fitted on the other targets."
            ],
        )
    ]


def ranking_section(run_dir: Path) -> Section | None:
    """The report's ranking section: the estimate tables and, with realised deltas, their agreement; None when
    ``xstilts rank`` has not been run on this run directory."""
    record = load_estimates(run_dir)
    if record is None:
        return None
    section = Section(tables=estimate_tables(record))
    found = agreement_section(record, current_metrics(run_dir))
    section.tables += found.tables
    section.notes += found.notes
    return section


def write_ranking(run_dir: Path) -> Section:
    """Writes the ranking's tables (``ranking/tables/*.csv|tex``) from ``estimates.json`` and the store; returns
    them for printing."""
    section = ranking_section(run_dir)
    if section is None:
        raise FileNotFoundError(run_dir / RANKING_DIR / ESTIMATES_JSON)
    for table in section.tables:
        table.write(run_dir / RANKING_DIR / "tables")
    return section
