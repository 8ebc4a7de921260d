"""The results store under 16 processes writing at once (spawned: each opens its own connections), on a new
store and on an older one that every writer migrates at the same moment: no row lost, no corruption.

Kept apart from the other scale tests so that the spawned writers import nothing heavy."""

from __future__ import annotations

import multiprocessing
import sqlite3
from pathlib import Path

from tests.builders import evaluation_record
from xstilts.experiments.store import ResultsStore


def _writer(path: str, worker: int) -> None:
    store = ResultsStore(Path(path))
    for i in range(10):
        store.record_phase(evaluation_record(f"w{worker}-{i}", "baseline", worker, {"en": float(i), "de": 1.0}))


def _sixteen_writers(path: Path) -> None:
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_writer, args=(str(path), w)) for w in range(16)]
    for process in workers:
        process.start()
    for process in workers:
        process.join(120)
    assert [process.exitcode for process in workers] == [0] * 16


def _check_complete(path: Path) -> None:
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    store = ResultsStore(path)
    assert len(store.phases()) == 160
    metrics = store.metrics()
    assert len(metrics) == 320
    assert {(r["phase"], r["language"], r["value"]) for r in metrics} == {
        (f"w{w}-{i}", language, value)
        for w in range(16)
        for i in range(10)
        for language, value in (("en", float(i)), ("de", 1.0))
    }


def test_sixteen_writers_creating_a_store_lose_no_row_and_never_corrupt_it(tmp_path: Path) -> None:
    path = tmp_path / "results.sqlite"
    _sixteen_writers(path)
    _check_complete(path)


def test_sixteen_writers_migrating_an_older_store_at_once(tmp_path: Path) -> None:
    path = tmp_path / "results.sqlite"
    with sqlite3.connect(path) as db:  # the schema before versions, git_revision and dims
        db.executescript(
            "CREATE TABLE phases (phase_id TEXT PRIMARY KEY, kind TEXT NOT NULL, role TEXT NOT NULL,"
            " variant TEXT NOT NULL, seed INTEGER NOT NULL, tasks TEXT NOT NULL, parent TEXT, wall_seconds REAL,"
            " config TEXT NOT NULL);"
        )
    _sixteen_writers(path)
    _check_complete(path)
