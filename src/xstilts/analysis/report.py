"""The run report: ``report/index.html`` (self-contained: tables readable without JavaScript, figures inlined
as PNG), ``report/tables/*.csv|tex`` and ``report/figures/*.png|pdf``, computed from the results store alone.

Every string that comes from data or configs is HTML-escaped (and LaTeX-escaped in the .tex tables).
"""

from __future__ import annotations

import base64
import html
import json
from collections import Counter
from pathlib import Path
from statistics import fmean
from typing import Any

from xstilts.analysis import dimensions, domains, figures, scores, source_languages
from xstilts.analysis.best_per_target import best_per_target
from xstilts.analysis.best_per_target_tables import best_per_target_tables
from xstilts.analysis.degradation import TEXT_TWINS, degradation_by_language, degradation_by_variant
from xstilts.analysis.deltas import delta_rows
from xstilts.analysis.iglue_table import iglue_table
from xstilts.analysis.ranking import ranking_section
from xstilts.analysis.statistics import bootstrap_ci, holm, mean_std, paired_test, robustness, spearman_ci
from xstilts.analysis.tables import Cell, ReportTable
from xstilts.analysis.typology import language_info, language_order, uriel_distances
from xstilts.artefacts import atomic_write_text
from xstilts.benchmarks import TASK_LANGUAGES
from xstilts.data.sources import ENGLISH
from xstilts.experiments.store import current_metrics, current_phases
from xstilts.experiments.variants import baseline_of, is_baseline, variant_sort_key
from xstilts.metrics.aggregates import benchmark_scores, missing_languages

SOURCE_LANGUAGE = ENGLISH  # the paper's setting: English intermediate and target training data
DISTANCES = ("genetic", "syntactic", "geographic", "featural")
BENCHMARKS = ("xtreme", "xtreme-r")

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em; color: #222; max-width: 80em; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; }
th, td { padding: 0.2em 0.6em; border-bottom: 1px solid #ddd; text-align: right; }
th:first-child, td:first-child { text-align: left; }
tr.avg td { font-weight: bold; border-top: 2px solid #888; }
td.up { background: #e3f4e3; } td.down { background: #f8e1e1; }
p.note { color: #555; font-size: 0.9em; }
img { max-width: 100%; }
"""


class _Page:
    """Collects HTML, and writes every table and figure it is given to the report's folders."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.parts: list[str] = []

    def heading(self, text: str) -> None:
        self.parts.append(f"<h2>{html.escape(text)}</h2>")

    def note(self, text: str) -> None:
        self.parts.append(f'<p class="note">{html.escape(text)}</p>')

    def table(self, table: ReportTable) -> None:
        table.write(self.out / "tables")
        self.parts.append(table.html())

    def figure(self, figure: Any, stem: str, alt: str) -> None:
        png = figures.save(figure, self.out / "figures", stem)
        encoded = base64.b64encode(png).decode()
        self.parts.append(f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{encoded}">')


def write_report(run_dir: Path) -> Path:
    """Writes the report folder; returns the page's path."""
    records = current_metrics(run_dir)
    phases = current_phases(run_dir)
    page = _Page(run_dir / "report")
    table = scores.language_scores(records)
    _summary(page, phases)
    if not table:
        page.note("No evaluation results yet.")
    else:
        _main_table(page, table)
        _iglue(page, records)
        _best_per_target(page, records, phases)
        _per_language(page, records, table)
        _typology(page, table)
        _robustness(page, table, dimensions.variant_dims(phases))
        _seeds(page, table)
        _seeds_per_language(page, table)
        _dimensions(page, table, phases)
        _domains(page, table, phases)
        _source_language_comparison(page, table, dimensions.variant_dims(phases))
        _multimodal_degradation(page, table)
    _transferability(page, run_dir)
    document = (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>xstilts report: {html.escape(run_dir.name)}</title><style>{_STYLE}</style></head><body>"
        f"<h1>xstilts report: {html.escape(run_dir.name)}</h1>" + "".join(page.parts) + "</body></html>\n"
    )
    path = page.out / "index.html"
    atomic_write_text(path, document)
    return path


def _transferability(page: _Page, run_dir: Path) -> None:
    """``xstilts rank``'s estimates, and how they compare with the realised deltas (``analysis.ranking``)."""
    section = ranking_section(run_dir)
    if section is None:
        return
    page.heading("Transferability estimates (xstilts rank) against realised deltas")
    for table in section.tables:
        page.table(table)
    for note in section.notes:
        page.note(note)


def _summary(page: _Page, phases: list[dict[str, Any]]) -> None:
    page.heading("Run summary")
    configs = [json.loads(p["config"]) for p in phases]
    models = sorted({f"{c['model']['name']} ({c['model'].get('fingerprint', '')})" for c in configs if c.get("model")})
    versions = Counter(p["versions"] for p in phases if p.get("versions"))
    revisions = sorted({p["git_revision"] for p in phases if p.get("git_revision")})
    facts: list[list[Cell]] = [
        ["model", "; ".join(models) or "–"],
        ["variants", ", ".join(sorted({p["variant"] for p in phases}, key=variant_sort_key))],
        ["seeds", ", ".join(str(s) for s in sorted({p["seed"] for p in phases}))],
        ["phases", str(len(phases))],
        ["wall time (all phases)", f"{sum(p['wall_seconds'] or 0 for p in phases) / 60:.1f} min"],
        ["versions", "; ".join(f"{v}" for v in versions) or "–"],
        ["git revision", ", ".join(revisions) or "–"],
    ]
    page.table(ReportTable("summary", "Run", ["", "value"], facts))
    optimizer = sorted({json.dumps(c["optimizer"], sort_keys=True) for c in configs if "optimizer" in c})
    rows = [
        [p["role"], p["variant"], p["seed"], p["tasks"], p["phase_id"], p["wall_seconds"]]
        for p in sorted(phases, key=lambda p: (p["variant"], p["seed"], p["role"]))
    ]
    page.table(
        ReportTable(
            "phases",
            "Phases and wall time",
            ["role", "variant", "seed", "tasks", "phase", "seconds"],
            rows,
            digits=1,
            notes=[f"training settings: {o}" for o in optimizer],
        )
    )


def _main_table(page: _Page, table: scores.Scores) -> None:
    page.heading("Main table: task scores")
    tasks, variants = scores.tasks_of(table), scores.variants_of(table)
    columns = ["variant"]
    for task in tasks:
        columns += [task, f"Δ {task}"]
    columns += [name for b in BENCHMARKS for name in (b, f"Δ {b}")]
    rows, notes = [], []
    for variant in variants:
        row: list[Any] = [variant]
        for task in tasks:
            values = [scores.task_score(table, task, variant, s) for s in scores.seeds_of(table, task, variant)]
            ours, base = scores.paired_task_scores(table, task, variant)
            delta = fmean(a - b for a, b in zip(ours, base, strict=True)) if ours and not is_baseline(variant) else None
            row += [fmean(values) if values else None, delta]
        seeds = sorted({s for t in tasks for s in scores.seeds_of(table, t, variant)})
        for benchmark in BENCHMARKS:
            # Each benchmark averages a task over its own official languages (XTREME: 40 PAN-X, XTREME-R: 48).
            overall = [
                benchmark_scores(
                    {t: scores.benchmark_task_score(table, t, variant, s, benchmark) for t in tasks}, benchmark
                )["overall"]
                for s in seeds
            ]
            known = [v for v in overall if v is not None]
            row += [fmean(known) if known else None, None]
        rows.append(row)
    for benchmark in BENCHMARKS:
        missing = benchmark_scores({t: 0.0 for t in tasks}, benchmark)["missing"]
        if missing:
            notes.append(f"{benchmark.upper()} score not computed: missing tasks {', '.join(missing)}")
        for task in tasks:
            if task in TASK_LANGUAGES[benchmark]:
                evaluated = {lang for (t, _, _), by_lang in table.items() if t == task for lang in by_lang}
                absent = missing_languages(task, evaluated, benchmark)
                if absent:
                    notes.append(
                        f"{task} is not comparable with {benchmark.upper()} scores: its official languages"
                        f" {', '.join(absent)} were not evaluated"
                    )
    _fill_benchmark_deltas(rows, columns, variants)
    page.table(
        ReportTable(
            "main",
            "Task score per variant (mean over seeds; Δ = paired by seed, vs baseline)",
            columns,
            rows,
            notes=[*notes, "QA task score = (EM + F1) / 2; task score = mean over all languages, English included."],
        )
    )


def _iglue(page: _Page, records: list[dict[str, Any]]) -> None:
    """IGLUE's zero-shot columns, when the run evaluated any of its tasks (``analysis.iglue_table``)."""
    table = iglue_table(records)
    if table is not None:
        page.heading("IGLUE")
        page.table(table)


def _best_per_target(page: _Page, records: list[dict[str, Any]], phases: list[dict[str, Any]]) -> None:
    """The paper's headline: the variant chosen on English dev per target, and its benchmark scores."""
    page.heading("Best per target (chosen on English dev)")
    for report_table in best_per_target_tables(best_per_target(records, phases)):
        page.table(report_table)


def _fill_benchmark_deltas(rows: list[list[Any]], columns: list[str], variants: list[str]) -> None:
    for benchmark in BENCHMARKS:
        k = columns.index(benchmark)
        for row, variant in zip(rows, variants, strict=True):
            if is_baseline(variant) or baseline_of(variant) not in variants:
                continue
            base = rows[variants.index(baseline_of(variant))]
            if row[k] is not None and base[k] is not None:
                row[k + 1] = row[k] - base[k]


def _per_language(page: _Page, records: list[dict[str, Any]], table: scores.Scores) -> None:
    page.heading("Per-language results")
    rows_by_key: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    for row in delta_rows(records):
        rows_by_key.setdefault((row["task"], row["split"], row["metric"]), []).append(row)
    variants = scores.variants_of(table)
    for (task, split, metric), rows in rows_by_key.items():
        columns = ["language"] + [c for v in variants for c in ([v] if is_baseline(v) else [v, f"Δ {v}"])]
        body = []
        for row in rows:
            cells: list[Any] = [row["language"]]
            for variant in variants:
                stats = row["variants"].get(variant) or {}
                cells.append(stats.get("mean"))
                if not is_baseline(variant):
                    cells.append(stats.get("delta"))
            body.append(cells)
        title = f"{task} · {split} · {metric} (mean over seeds; Δ paired by seed)"
        page.table(ReportTable(f"languages-{task}-{split}-{metric}", title, columns, body, emphasise_last_row=True))
    others = [v for v in variants if not is_baseline(v)]
    for task in scores.tasks_of(table):
        deltas = {v: scores.paired_language_deltas(table, task, v) for v in others}
        languages = language_order({lang for d in deltas.values() for lang in d})
        if not languages:
            continue
        page.note(f"{task}: languages grouped by family, then script (left to right).")
        matrix = [[deltas[v].get(lang) for lang in languages] for v in others]
        labels = [f"{lang}\n{language_info(lang).script}" for lang in languages]
        title = f"{task}: Δ score vs baseline per language"
        page.figure(figures.delta_heatmap(others, labels, matrix, title), f"heatmap-{task}", title)


def _typology(page: _Page, table: scores.Scores) -> None:
    page.heading(f"Typology: deltas against URIEL distance to the source language ({SOURCE_LANGUAGE})")
    others = [v for v in scores.variants_of(table) if not is_baseline(v)]
    rows = []
    for task in scores.tasks_of(table):
        for variant in others:
            deltas = scores.paired_language_deltas(table, task, variant)
            distances = uriel_distances(SOURCE_LANGUAGE, sorted(deltas))
            for kind in DISTANCES:
                pairs = [
                    (distance, d, lang) for lang, d in deltas.items() if (distance := distances[lang][kind]) is not None
                ]
                stats = spearman_ci([p[0] for p in pairs], [p[1] for p in pairs])
                low, high = stats["ci"] if stats["ci"] is not None else (None, None)
                rows.append([task, variant, kind, stats["n"], stats["rho"], low, high])
                if kind == "syntactic" and len(pairs) >= 2:
                    rho = "n/a" if stats["rho"] is None else f"{stats['rho']:+.2f}"
                    title = f"{task}, {variant}: Δ vs syntactic distance to {SOURCE_LANGUAGE}"
                    annotation = f"Spearman ρ = {rho} (n = {stats['n']})"
                    page.figure(
                        figures.delta_scatter(pairs, f"URIEL {kind} distance", title, annotation),
                        f"scatter-{task}-{variant}-{kind}",
                        title,
                    )
    page.table(
        ReportTable(
            "typology-spearman",
            "Spearman correlation of per-language Δ with distance (95% bootstrap CI over languages)",
            ["task", "variant", "distance", "n", "ρ", "CI low", "CI high"],
            rows,
            notes=["Distances: cosine distances between URIEL vectors (lang2vec); n counts languages with data."],
        )
    )
    summary = []
    for task in scores.tasks_of(table):
        for variant in others:
            deltas = scores.paired_language_deltas(table, task, variant)
            for attribute in ("family", "script"):
                groups: dict[str, list[float]] = {}
                for lang, delta in deltas.items():
                    groups.setdefault(getattr(language_info(lang), attribute), []).append(delta)
                for group, values in sorted(groups.items()):
                    summary.append([task, variant, attribute, group, len(values), fmean(values)])
    page.table(
        ReportTable(
            "typology-groups",
            "Mean Δ by family and by script",
            ["task", "variant", "by", "group", "languages", "mean Δ"],
            summary,
        )
    )


def _robustness(page: _Page, table: scores.Scores, dims: dict[str, dict[str, str]]) -> None:
    page.heading("Robustness across languages")
    rows = []
    for task in scores.tasks_of(table):
        for variant in (v for v in scores.variants_of(table) if not is_baseline(v)):
            deltas = scores.paired_language_deltas(table, task, variant)
            if not deltas:  # no baseline with the same seed to compare with
                continue
            stats = robustness(deltas)
            rows.append(
                [
                    task,
                    variant,
                    stats["n"],
                    stats["mean"],
                    stats["std"],
                    stats["worst"],
                    stats["worst_language"],
                    100.0 * stats["improved_share"],
                ]
            )
    page.table(
        ReportTable(
            "robustness",
            "Per variant: Δ over languages",
            ["task", "variant", "languages", "mean Δ", "std", "worst Δ", "worst language", "% improved"],
            rows,
        )
    )
    _task_count_curves(page, table, dims)


def _task_count_curves(page: _Page, table: scores.Scores, dims: dict[str, dict[str, str]]) -> None:
    """Robustness against the number of intermediate tasks in a variant (a mix of k tasks has k), averaged
    over the variants of each size: the question of whether more tasks make transfer more robust."""
    sizes: dict[str, dict[int, list[dict[str, Any]]]] = {}
    for task in scores.tasks_of(table):
        for variant in (v for v in scores.variants_of(table) if not is_baseline(v)):
            deltas = scores.paired_language_deltas(table, task, variant)
            if deltas:
                size = dimensions.task_count(variant, dims.get(variant, {}))
                sizes.setdefault(task, {}).setdefault(size, []).append(robustness(deltas))
    shown = {task: by_size for task, by_size in sizes.items() if len(by_size) >= 2}
    if not shown:
        page.note("Every intermediate variant here has the same number of tasks: no curves against it.")
        return
    rows = []
    for task, by_size in shown.items():
        series: dict[str, list[tuple[int, float]]] = {"mean Δ": [], "worst Δ": [], "% improved": []}
        for size in sorted(by_size):
            group = by_size[size]
            values = (
                fmean(r["mean"] for r in group),
                fmean(r["worst"] for r in group),
                fmean(100.0 * r["improved_share"] for r in group),
            )
            rows.append([task, size, len(group), *values])
            for name, value in zip(series, values, strict=True):
                series[name].append((size, value))
        title = f"{task}: robustness against the number of intermediate tasks"
        page.figure(figures.curves(series, "intermediate tasks in the variant", title), f"task-count-{task}", title)
    page.table(
        ReportTable(
            "task-count",
            "Robustness by number of intermediate tasks (averaged over the variants of each size)",
            ["task", "tasks in variant", "variants", "mean Δ", "worst Δ", "% improved"],
            rows,
        )
    )


def _seeds(page: _Page, table: scores.Scores) -> None:
    page.heading("Seeds")
    rows, tests = [], {}
    for task in scores.tasks_of(table):
        for variant in scores.variants_of(table):
            values = [scores.task_score(table, task, variant, s) for s in scores.seeds_of(table, task, variant)]
            mean, std = mean_std(values)
            low, high = bootstrap_ci(values)
            p_value = None
            if not is_baseline(variant):
                ours, base = scores.paired_task_scores(table, task, variant)
                p_value = paired_test(ours, base)["p_value"]
                tests[(task, variant)] = p_value
            rows.append([task, variant, len(values), mean, std, low, high, p_value])
    adjusted = holm(tests)
    for row in rows:
        row.append(adjusted.get((row[0], row[1])))
    page.table(
        ReportTable(
            "seeds",
            "Task score over seeds: mean ± std, 95% bootstrap CI, paired test vs baseline",
            ["task", "variant", "seeds", "mean", "std", "CI low", "CI high", "p", "p (Holm)"],
            rows,
            digits=3,
            notes=[
                "Paired test: exact sign-flip permutation test on per-seed differences (two-sided); p-values over"
                " all (task, variant) comparisons are corrected for multiple comparisons with Holm's method.",
                "With one seed there is no test; bootstrap CIs over fewer than 5 seeds are indicative only.",
            ],
        )
    )


def _seeds_per_language(page: _Page, table: scores.Scores) -> None:
    """Per-language paired tests over seeds, where every compared cell has at least two seeds."""
    tests, deltas = {}, {}
    for task in scores.tasks_of(table):
        for variant in (v for v in scores.variants_of(table) if not is_baseline(v)):
            baseline = baseline_of(variant)
            seeds = [s for s in scores.seeds_of(table, task, variant) if (task, baseline, s) in table]
            if len(seeds) < 2:
                continue
            for language in sorted(table[(task, variant, seeds[0])]):
                ours = [table[(task, variant, s)].get(language) for s in seeds]
                base = [table[(task, baseline, s)].get(language) for s in seeds]
                pairs = [(a, b) for a, b in zip(ours, base, strict=True) if a is not None and b is not None]
                if len(pairs) >= 2:
                    key = (task, variant, language)
                    tests[key] = paired_test([a for a, _ in pairs], [b for _, b in pairs])["p_value"]
                    deltas[key] = (len(pairs), fmean(a - b for a, b in pairs))
    if not tests:
        page.note("Per-language tests need at least two seeds per variant; this run has fewer.")
        return
    adjusted = holm(tests)
    rows = [[*key, deltas[key][0], deltas[key][1], p, adjusted[key]] for key, p in tests.items()]
    page.table(
        ReportTable(
            "seeds-languages",
            "Per language: paired test over seeds vs baseline (Holm-corrected over all rows)",
            ["task", "variant", "language", "seeds", "Δ", "p", "p (Holm)"],
            rows,
            digits=3,
        )
    )


def _dimensions(page: _Page, table: scores.Scores, phases: list[dict[str, Any]]) -> None:
    """Deltas grouped by each recorded dim with two or more values (``analysis.dimensions``): a curve over
    numeric values (subset size: question (a)), a table for every dim (source language: question (c))."""
    page.heading("Method and source-language comparisons")
    cells = dimensions.groups(table, dimensions.variant_dims(phases))
    if not cells:
        page.note(
            "No recorded dimension (sampler, subset size, source language, method, ...) takes two or more values"
            " among this run's variants, so there is nothing to compare along one."
        )
        return
    for dim in sorted({c.dim for c in cells}):
        group = [c for c in cells if c.dim == dim]
        rows = [[c.task, c.value, c.variants, c.mean, c.worst, c.improved] for c in group]
        page.table(
            ReportTable(
                f"dim-{dim}",
                f"Δ against the baseline by {dim} (averaged over the variants with each value)",
                ["task", dim, "variants", "mean Δ", "worst Δ", "% improved"],
                rows,
            )
        )
        for task in sorted({c.task for c in group}):
            points = [c for c in group if c.task == task]
            if len(points) >= 2 and all(c.numeric is not None for c in points):
                series = {
                    # every c.numeric is a number (checked above); the condition only tells the type checker
                    "mean Δ": [(c.numeric, c.mean) for c in points if c.numeric is not None],
                    "worst Δ": [(c.numeric, c.worst) for c in points if c.numeric is not None],
                }
                title = f"{task}: Δ against {dim}"
                page.figure(figures.curves(series, dim, title), f"dim-{dim}-{task}", title)


def _source_language_comparison(page: _Page, table: scores.Scores, dims: dict[str, dict[str, str]]) -> None:
    """Each non-English source against English as the source, per target task and evaluation language, with the
    URIEL distance between source and evaluation language: shown whenever the run has two or more sources."""
    if len(source_languages.source_languages(dims)) < 2:
        return
    page.heading("Source languages: each source against English intermediate training")
    cells = source_languages.comparisons(table, dims)
    if not cells:
        page.note(
            "The run has several source languages, but no non-English variant has an English-source counterpart"
            " (the same tasks without @language) evaluated with a common seed, so there is nothing to pair."
        )
        return
    rows = [
        [
            c.task,
            c.language,
            c.variant,
            c.source,
            c.data,
            c.seeds,
            c.delta,
            *(c.ci if c.ci is not None else (None, None)),
            c.p_value,
            c.p_holm,
            c.distance,
            c.english_distance,
            "in-language (not zero-shot)" if c.in_language else "zero-shot",
        ]
        for c in cells
    ]
    notes = [
        "Δ = variant − its English-source counterpart, same seed, mean over seeds; CI: 95% bootstrap over seeds;"
        " p: paired sign-flip test over seeds, Holm-corrected over all rows.",
        "Distance: URIEL syntactic distance (lang2vec vectors, cosine) between the source and the evaluation"
        " language; the last distance column is English's, for reference.",
    ]
    mixed = sorted({c.variant for c in cells if c.mixes_provenance})
    if mixed:
        notes.append(
            "Mixes human and translated data: " + ", ".join(mixed) + " train on machine-translated data, compared"
            " with English human-written data; their Δ includes the effect of translation."
        )
    in_language = sorted({f"{c.variant} on {c.task}/{c.language}" for c in cells if c.in_language})
    if in_language:
        notes.append("Not zero-shot (source = evaluation language): " + ", ".join(in_language) + ".")
    page.table(
        ReportTable(
            "source-languages",
            "Δ of each source language against English as the source, per target and evaluation language",
            [
                "task",
                "language",
                "variant",
                "source",
                "data",
                "seeds",
                "Δ vs en",
                "CI low",
                "CI high",
                "p",
                "p (Holm)",
                "distance (source, language)",
                "distance (en, language)",
                "transfer",
            ],
            rows,
            digits=3,
            notes=notes,
        )
    )
    points = [
        (c.distance, c.delta, f"{c.task}:{c.source}→{c.language}" + ("*" if c.mixes_provenance else ""))
        for c in cells
        if c.distance is not None
    ]
    if len(points) >= 2:
        stats = spearman_ci([p[0] for p in points], [p[1] for p in points])
        rho = "n/a" if stats["rho"] is None else f"{stats['rho']:+.2f}"
        title = "Δ vs English source against URIEL syntactic distance (source, evaluation language)"
        annotation = f"Spearman ρ = {rho} (n = {stats['n']}); * machine-translated source data"
        page.figure(
            figures.delta_scatter(points, "URIEL syntactic distance", title, annotation), "source-languages", title
        )


# (column heading, row key) of the degradation tables; the per-variant table counts languages instead of seeds
_GAIN_COLUMNS = [
    ("Δ text", "gain_text"),
    ("Δ image", "gain_image"),
    ("degradation", "degradation"),
    ("CI low", "ci_low"),
    ("CI high", "ci_high"),
    ("p", "p_value"),
]
_BY_LANGUAGE = [("variant", "variant"), ("language", "language"), ("seeds", "seeds"), *_GAIN_COLUMNS]
_BY_VARIANT = [("variant", "variant"), ("languages", "languages"), *_GAIN_COLUMNS, ("p (Holm)", "p_holm")]


def _multimodal_degradation(page: _Page, table: scores.Scores) -> None:
    """The intermediate's gain with the image premise minus its gain with the text premise (``analysis.degradation``),
    for every multimodal target whose text-only twin the run also trained."""
    tasks = set(scores.tasks_of(table))
    for image_task, text_task in TEXT_TWINS.items():
        rows = degradation_by_language(table, image_task, text_task) if {image_task, text_task} <= tasks else []
        if not rows:
            continue
        page.heading(f"Multimodal degradation: {image_task} (image premise) vs {text_task} (text premise)")
        tables = [
            (
                f"degradation-{image_task}",
                "Per language: the intermediate's gain (vs baseline, same seed) with each premise; degradation ="
                " Δ image − Δ text (negative: the benefit shrinks with the image premise)",
                _BY_LANGUAGE,
                rows,
                "CI: 95% percentile bootstrap over seeds; p: paired sign-flip test of Δ image against Δ text over"
                " seeds (none with one seed).",
            ),
            (
                f"degradation-{image_task}-variants",
                "Per intermediate, over languages",
                _BY_VARIANT,
                degradation_by_variant(rows),
                "CI: bootstrap over languages; p: paired sign-flip test over languages, Holm over variants.",
            ),
        ]
        for name, title, layout, records, note in tables:
            body: list[list[Cell]] = [[record[key] for _, key in layout] for record in records]
            page.table(ReportTable(name, title, [c for c, _ in layout], body, digits=2, notes=[note]))


def _domains(page: _Page, table: scores.Scores, phases: list[dict[str, Any]]) -> None:
    """Code vs natural-language intermediates (``analysis.domains``), when the run has both."""
    tables = domains.domain_tables(table, phases)
    if tables:
        page.heading("Code vs natural-language intermediate tasks")
        for domain_table in tables:
            page.table(domain_table)
