"""Phase dims (sampler, subset size, source language, ...) in the results store: written, read back as a dict,
missing in old phase.json files and old stores without breaking them, and rebuilt from phase directories;
and the report's grouping of deltas by each dim."""

from __future__ import annotations

import csv
import sqlite3
from pathlib import Path

from tests.builders import evaluation_record
from xstilts.analysis.report import write_report
from xstilts.artefacts import PHASE_JSON, PhaseDir, atomic_write_json
from xstilts.experiments.store import ResultsStore, rebuild


def _record(phase: str, variant: str, seed: int, values: dict[str, float], dims: dict[str, str]) -> dict:
    return {**evaluation_record(phase, variant, seed, values), "dims": dims}


def test_dims_are_stored_and_old_records_and_stores_still_load(tmp_path: Path) -> None:
    path = tmp_path / "results.sqlite"
    with sqlite3.connect(path) as db:  # a store written before the dims column existed
        db.execute(
            "CREATE TABLE phases (phase_id TEXT PRIMARY KEY, kind TEXT NOT NULL, role TEXT NOT NULL, variant TEXT NOT"
            " NULL, seed INTEGER NOT NULL, tasks TEXT NOT NULL, parent TEXT, wall_seconds REAL, config TEXT NOT NULL,"
            " versions TEXT, git_revision TEXT)"
        )
        db.execute(
            "INSERT INTO phases VALUES ('old', 'evaluate', 'evaluate', 'mnli', 1, 'xnli', NULL, 1, '{}', '{}', NULL)"
        )
    store = ResultsStore(path)
    store.record_phase(_record("new", "subset2-1", 1, {"en": 1.0}, {"subset_size": "2", "subset_index": "1"}))
    store.record_phase(evaluation_record("older-json", "baseline", 1, {"en": 1.0}))  # phase.json without dims
    dims = {p["phase_id"]: p["dims"] for p in store.phases()}
    assert dims == {"old": {}, "new": {"subset_size": "2", "subset_index": "1"}, "older-json": {}}


def test_rebuild_restores_dims_from_phase_directories(tmp_path: Path) -> None:
    directory = tmp_path / "phases" / "p1"
    directory.mkdir(parents=True)
    atomic_write_json(directory / PHASE_JSON, _record("p1", "xnli@de", 1, {"en": 1.0}, {"source_language": "de"}))
    PhaseDir(directory).mark_done()
    assert rebuild(tmp_path).phases()[0]["dims"] == {"source_language": "de"}


# task-count question (a): subsets of 1 and 2 tasks; question (c): source languages en and de.
RUNS = {
    "baseline": ({}, 0.0),
    "subset1-1": ({"subset_size": "1", "subset_index": "1", "num_tasks": "1", "source_language": "en"}, 1.0),
    "subset1-2": ({"subset_size": "1", "subset_index": "2", "num_tasks": "1", "source_language": "en"}, 3.0),
    "subset2-1": ({"subset_size": "2", "subset_index": "1", "num_tasks": "2", "source_language": "en"}, 6.0),
    "xnli@de": ({"num_tasks": "1", "source_language": "de"}, -4.0),
}


def _csv(run_dir: Path, name: str) -> list[dict[str, str]]:
    with (run_dir / "report" / "tables" / f"{name}.csv").open() as handle:
        return list(csv.DictReader(handle))


def test_report_groups_deltas_by_each_dim_with_a_curve_over_subset_sizes(tmp_path: Path) -> None:
    store = ResultsStore(tmp_path / "results.sqlite")
    for variant, (dims, delta) in RUNS.items():
        values = {"en": 70.0 + delta, "de": 60.0 + delta}
        store.record_phase(_record(f"{variant}-eval", variant, 1, values, dims))
    page = write_report(tmp_path).read_text()
    sizes = {row["subset_size"]: row for row in _csv(tmp_path, "dim-subset_size")}
    assert float(sizes["1"]["mean Δ"]) == 2.0 and sizes["1"]["variants"] == "2"
    assert float(sizes["2"]["mean Δ"]) == 6.0
    languages = {row["source_language"]: row for row in _csv(tmp_path, "dim-source_language")}
    assert float(languages["en"]["mean Δ"]) == 10.0 / 3 and float(languages["de"]["mean Δ"]) == -4.0
    assert not (tmp_path / "report" / "tables" / "dim-subset_index.csv").exists()  # an identifier, not a factor
    assert (tmp_path / "report" / "figures" / "dim-subset_size-xnli.png").exists()
    counts = {row["tasks in variant"]: row for row in _csv(tmp_path, "task-count")}
    assert float(counts["2"]["mean Δ"]) == 6.0  # subset2-1 counts as two tasks though its name has no "+"
    assert "Δ against the baseline by subset_size" in page
    assert "nothing to compare along one" not in page
