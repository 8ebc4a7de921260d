"""Writing a submission folder from a run: each benchmark task's prediction files, taken from the evaluation phase
of the variant chosen for it, copied into XTREME's layout (``<task>/test-<lang>.<ext>``, the folder and extension
of ``xstilts.benchmarks.SUBMISSION_FILES``), with a manifest that says where every file came from.

Which variant each task takes is the caller's choice (``analysis.best_per_target``, the English-dev rule); this
module only copies and records. Without ``partial`` a submission that lacks a task or an official test language
of the benchmark is refused before anything is written; with it, what there is is written and the manifest lists
what is missing. The folder is scored by ``xstilts score`` (``evaluation.submission``) like any other.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from xstilts.artefacts import PhaseDir, atomic_write_json
from xstilts.benchmarks import SUBMISSION_FILES, SUBMISSION_SPLIT, TASK_LANGUAGES, Benchmark, benchmark_tasks
from xstilts.errors import XstiltsError

MANIFEST = "manifest.json"
SHOWN = 8  # missing languages named per task in the refusal; the manifest (--partial) lists them all


@dataclass(frozen=True)
class SubmittedTask:
    """The evaluation whose prediction files one task of the submission copies, and why it was chosen."""

    task: str
    variant: str
    seed: int
    phase: str  # the evaluation phase's id
    selection: dict[str, Any]  # how the variant was chosen (rule, selection score, ...), for the manifest


def _sources(run_dir: Path, chosen: SubmittedTask, benchmark: Benchmark) -> tuple[dict[str, Path], list[str]]:
    """(language → prediction file, official languages without one) of one task."""
    extension = SUBMISSION_FILES[chosen.task].extension
    found, absent = {}, []
    for language in TASK_LANGUAGES[benchmark][chosen.task]:
        path = PhaseDir.of(run_dir, chosen.phase).prediction_file(chosen.task, SUBMISSION_SPLIT, language, extension)
        if path.is_file():
            found[language] = path
        else:
            absent.append(language)
    return found, absent


def _refusal(benchmark: Benchmark, missing_tasks: list[str], missing: dict[str, list[str]]) -> str:
    parts = []
    if missing_tasks:
        parts.append(f"no evaluation for {', '.join(missing_tasks)}")
    for task, languages in missing.items():
        more = f" … (+{len(languages) - SHOWN})" if len(languages) > SHOWN else ""
        parts.append(f"{task} lacks {len(languages)} official test language(s): {' '.join(languages[:SHOWN])}{more}")
    return (
        f"the {benchmark} submission is incomplete: {'; '.join(parts)}. Run the missing targets and languages, or"
        " pass --partial to write what there is (the manifest lists what is missing)"
    )


def write_submission(
    run_dir: Path, chosen: dict[str, SubmittedTask], benchmark: Benchmark, out: Path, partial: bool
) -> dict[str, Any]:
    """Copies the chosen evaluations' prediction files of ``benchmark``'s tasks into ``out`` (which must not exist
    or be empty) and writes ``out/manifest.json``; returns the manifest. Tasks of ``chosen`` that are not part of
    the benchmark are left out and listed (``not_in_benchmark``)."""
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise XstiltsError(f"{out} exists and is not an empty folder; choose a new folder for the submission")
    tasks = benchmark_tasks(benchmark)
    sources = {task: _sources(run_dir, chosen[task], benchmark) for task in tasks if task in chosen}
    missing_tasks = [task for task in tasks if task not in chosen]
    missing = {task: absent for task, (_, absent) in sources.items() if absent}
    if (missing_tasks or missing) and not partial:
        raise XstiltsError(_refusal(benchmark, missing_tasks, missing))
    manifest_tasks: dict[str, Any] = {}
    for task, (found, absent) in sources.items():
        entry = chosen[task]
        folder = out / SUBMISSION_FILES[task].folders[0]
        for source in found.values():
            folder.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, folder / source.name)
        manifest_tasks[SUBMISSION_FILES[task].folders[0]] = {
            "task": task,
            "variant": entry.variant,
            "seed": entry.seed,
            "phase": entry.phase,
            "selection": entry.selection,
            "files": {language: str(source) for language, source in found.items()},
            "missing_languages": absent,
        }
    manifest = {
        "benchmark": benchmark,
        "run": str(run_dir),
        "partial": partial,
        "complete": not missing_tasks and not missing,
        "tasks": manifest_tasks,
        "missing_tasks": missing_tasks,
        "not_in_benchmark": sorted(task for task in chosen if task not in tasks),
    }
    atomic_write_json(out / MANIFEST, manifest)
    return manifest
