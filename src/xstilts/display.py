"""Rich tables for the terminal: the delta table, the plan, the task list, a scored submission."""

from __future__ import annotations

from typing import Any

from rich.table import Table

from xstilts.analysis.deltas import AVERAGE, variant_order
from xstilts.analysis.tables import ReportTable
from xstilts.benchmarks import TASK_GROUPS
from xstilts.experiments.variants import is_baseline


def delta_tables(rows: list[dict[str, Any]]) -> list[Table]:
    variants = variant_order(rows)
    tables = []
    for key in dict.fromkeys((r["task"], r["split"], r["metric"]) for r in rows):
        task, split, metric = key
        table = Table(title=f"{task} · {split} · {metric} (mean over seeds; Δ vs baseline, same seed)")
        table.add_column("language")
        for variant in variants:
            table.add_column(variant, justify="right")
            if not is_baseline(variant):
                table.add_column("Δ", justify="right")
        for row in (r for r in rows if (r["task"], r["split"], r["metric"]) == key):
            cells = [f"[bold]{row['language']}[/bold]" if row["language"] == AVERAGE else row["language"]]
            for variant in variants:
                stats = row["variants"].get(variant)
                cells.append(f"{stats['mean']:.2f}" if stats else "–")
                if not is_baseline(variant):
                    delta = stats["delta"] if stats else None
                    cells.append("–" if delta is None else _signed(delta))
            table.add_row(*cells, end_section=row["language"] == AVERAGE)
        tables.append(table)
    return tables


def _signed(value: float) -> str:
    colour = "green" if value > 0 else "red" if value < 0 else ""
    text = f"{value:+.2f}"
    return f"[{colour}]{text}[/{colour}]" if colour else text


def dev_table(records: list[dict[str, Any]]) -> Table:
    table = Table(title="English dev (model selection) of training phases")
    for column in ("role", "variant", "seed", "task", "metric"):
        table.add_column(column)
    table.add_column("value", justify="right")
    for r in records:
        if r["role"] != "evaluate":
            table.add_row(r["role"], r["variant"], str(r["seed"]), r["task"], r["metric"], f"{r['value']:.2f}")
    return table


def report_tables(tables: list[ReportTable]) -> list[Table | str]:
    """Report tables (``analysis.tables.ReportTable``) for the terminal: each table, then its notes."""
    out: list[Table | str] = []
    for report_table in tables:
        table = Table(title=report_table.title)
        for number, column in enumerate(report_table.columns):
            table.add_column(column, justify="left" if number == 0 else "right", overflow="fold")
        for cells in report_table.text_rows():
            table.add_row(
                *(
                    _signed_text(cell) if column.startswith("Δ") else cell
                    for column, cell in zip(report_table.columns, cells, strict=True)
                )
            )
        out += [table, *report_table.notes]
    return out


def _signed_text(text: str) -> str:
    colour = "green" if text.startswith("+") and text.strip("+0.") else "red" if text.startswith("-") else ""
    return f"[{colour}]{text}[/{colour}]" if colour else text


def plan_table(plan: list[Any], statuses: dict[str, str]) -> Table:
    table = Table(title="plan")
    for column in ("#", "phase", "role", "tasks", "variant", "seed", "parent", "used by", "status"):
        table.add_column(column)
    for number, phase in enumerate(plan, start=1):
        table.add_row(
            str(number),
            phase.id,
            phase.role,
            "+".join(phase.tasks),
            phase.variant,
            str(phase.seed),
            phase.parent or "–",
            str(len(phase.children)) if phase.children else "–",
            statuses[phase.id],
        )
    return table


def tasks_table(descriptions: list[dict[str, Any]]) -> Table:
    table = Table(title="registered tasks")
    for column in ("task", "kind", "roles", "languages", "splits", "trained on", "hub", "local files", "origin"):
        table.add_column(column, overflow="fold")
    for d in descriptions:
        table.add_row(
            d["name"],
            d["kind"],
            ", ".join(d["roles"]),
            f"{len(d['languages'])}: {' '.join(d['languages'])}",
            ", ".join(d["splits"]),
            d["train_from"],
            d["hub"],
            d["local"],
            d["origin"],
        )
    return table


def score_tables(result: dict[str, Any]) -> list[Table]:
    """``xstilts score``: one table per task (language × metric), then tasks, groups and the overall score."""
    tables = []
    for task, scores in result["tasks"].items():
        metrics = [m for m in scores if not m.startswith("avg_")]
        table = Table(title=f"{task} · test")
        table.add_column("language")
        for metric in metrics:
            table.add_column(metric, justify="right")
        for language in scores[metrics[0]]:
            table.add_row(language, *(f"{scores[m][language]:.2f}" for m in metrics))
        table.add_row("[bold]avg[/bold]", *(f"{scores[f'avg_{m}']:.2f}" for m in metrics))
        tables.append(table)
    summary = Table(title=f"{result['benchmark']} scores" + ("" if result["complete"] else " (incomplete)"))
    for column in ("group", "task", "score", "languages"):
        summary.add_column(column, justify="right" if column == "score" else "left")
    for group, tasks in TASK_GROUPS[result["benchmark"]].items():
        for task in tasks:
            scores = result["tasks"].get(task)
            missing = result["incomplete_tasks"].get(task)
            summary.add_row(
                group,
                task,
                f"{scores['avg_metric']:.2f}" if scores else "–",
                "not scored" if not scores else f"missing {len(missing)}: {' '.join(missing)}" if missing else "all",
            )
        summary.add_row(f"[bold]{group}[/bold]", "", _aggregate(result["groups"][group]), "", end_section=True)
    summary.add_row("[bold]all tasks[/bold]", "", _aggregate(result["all_task"]), "")
    return [*tables, summary]


def _aggregate(score: float | None) -> str:
    return f"[bold]{score:.2f}[/bold]" if score is not None else "incomplete"


SHOWN_FILES = 6  # missing files named per folder in the terminal; --json lists them all


def score_notes(result: dict[str, Any]) -> list[str]:
    """What ``xstilts score`` could not score: missing files per task folder, unknown folders, ignored files."""
    notes = []
    for side in ("predictions", "labels"):
        by_folder: dict[str, list[str]] = {}
        for path in result["missing"][side]:
            folder, name = path.split("/")
            by_folder.setdefault(folder, []).append(name)
        for folder, names in by_folder.items():
            more = f" … (+{len(names) - SHOWN_FILES})" if len(names) > SHOWN_FILES else ""
            shown = " ".join(names[:SHOWN_FILES]) + more
            notes.append(f"missing from {side}: {folder}/ {len(names)} file(s): {shown}")
    if result["unknown_tasks"]:
        notes.append(f"not tasks of {result['benchmark']}, not scored: {' '.join(result['unknown_tasks'])}")
    if result["ignored_files"]:
        notes.append(f"not official test files, not scored: {' '.join(result['ignored_files'])}")
    return notes


_CHECK_STYLE = {"match": "green", "differs": "bold red", "error": "bold red", "no official count": "dim"}


def data_check_table(checks: list[Any]) -> Table:
    """``xstilts data check``: one row per (task, split, language) with its count against the official one."""
    table = Table(title="data check: example counts against the official releases")
    for column in ("task", "split", "lang", "source", "count", "official", "status", "notes"):
        table.add_column(column, justify="right" if column in ("count", "official") else "left")
    for check in checks:
        status = check.status
        if status == "differs":
            status = f"differs by {check.difference:+d}"
        style = _CHECK_STYLE.get(check.status, "")
        table.add_row(
            check.task,
            check.split,
            check.language,
            check.source,
            "–" if check.count is None else str(check.count),
            "–" if check.official is None else str(check.official),
            f"[{style}]{status}[/{style}]" if style else status,
            "; ".join(check.notes),
        )
    return table


def prefetch_table(fetched: list[Any]) -> Table:
    """``xstilts prefetch``: what was fetched (and exported) per (task, split, language)."""
    table = Table(title="prefetched")
    for column in ("task", "split", "lang", "source", "examples", "exported to", "notes"):
        table.add_column(column, justify="right" if column == "examples" else "left")
    for f in fetched:
        table.add_row(f.task, f.split, f.language, f.source, str(f.count), f.exported or "–", f.note)
    return table
