"""The results store: one SQLite file per run directory, in WAL mode, safe for many local writers.

It is an index, not the record of truth: every phase's ``phase.json`` holds its own metrics, and
``rebuild`` recreates the store from the phase directories (what a cluster driver does after its jobs).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from xstilts.artefacts import PhaseDir, read_json

STORE_NAME = "results.sqlite"
PLAN_JSON = "plan.json"
RESOLVED_SPEC = "experiment.yaml"  # the experiment as it was run, resolved (``spec.write_resolved``)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS phases (
    phase_id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    role TEXT NOT NULL,
    variant TEXT NOT NULL,
    seed INTEGER NOT NULL,
    tasks TEXT NOT NULL,
    parent TEXT,
    wall_seconds REAL,
    config TEXT NOT NULL,
    versions TEXT,
    git_revision TEXT,
    dims TEXT
);
CREATE TABLE IF NOT EXISTS metrics (
    phase_id TEXT NOT NULL,
    variant TEXT NOT NULL,
    seed INTEGER NOT NULL,
    role TEXT NOT NULL,
    task TEXT NOT NULL,
    language TEXT NOT NULL,
    split TEXT NOT NULL,
    metric TEXT NOT NULL,
    value REAL NOT NULL,
    PRIMARY KEY (phase_id, task, language, split, metric)
);
"""


_ADDED_COLUMNS = ("versions", "git_revision", "dims")  # stores written before these columns existed lack them


def _missing_columns(connection: sqlite3.Connection) -> list[str]:
    columns = {row[1] for row in connection.execute("PRAGMA table_info(phases)")}
    return [column for column in _ADDED_COLUMNS if column not in columns]


def _add_columns(connection: sqlite3.Connection) -> None:
    """Migrates an older store in one write transaction that re-reads the columns first: many writers may open
    it at once, and only the first may add each column (a second ALTER fails with 'duplicate column')."""
    connection.execute("BEGIN IMMEDIATE")
    try:
        for column in _missing_columns(connection):
            connection.execute(f"ALTER TABLE phases ADD COLUMN {column} TEXT")
        connection.execute("COMMIT")
    except BaseException:
        connection.execute("ROLLBACK")
        raise


class ResultsStore:
    def __init__(self, path: Path) -> None:
        self.path = path

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        connection = sqlite3.connect(self.path, timeout=60.0, isolation_level=None)
        try:
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA busy_timeout=60000")
            connection.executescript(_SCHEMA)
            if _missing_columns(connection):
                _add_columns(connection)
            yield connection
        finally:
            connection.close()

    def record_phase(self, record: dict[str, Any]) -> None:
        """Inserts or replaces one phase and all its metrics in a single transaction."""
        with self._connect() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                db.execute(
                    "INSERT OR REPLACE INTO phases (phase_id, kind, role, variant, seed, tasks, parent, wall_seconds,"
                    " config, versions, git_revision, dims) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        record["id"],
                        record["kind"],
                        record["role"],
                        record["variant"],
                        record["seed"],
                        "+".join(record["tasks"]),
                        record["parent"],
                        record.get("wall_seconds"),
                        json.dumps(record["config"], sort_keys=True),
                        json.dumps(record.get("versions") or {}, sort_keys=True),
                        record.get("git_revision"),
                        json.dumps(record.get("dims") or {}, sort_keys=True),  # phase.json before dims: none
                    ),
                )
                db.execute("DELETE FROM metrics WHERE phase_id = ?", (record["id"],))
                db.executemany(
                    "INSERT INTO metrics VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [
                        (
                            record["id"],
                            record["variant"],
                            record["seed"],
                            record["role"],
                            m["task"],
                            m["language"],
                            m["split"],
                            m["metric"],
                            float(m["value"]),
                        )
                        for m in record["metrics"]
                    ],
                )
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise

    def metrics(self, phases: set[str] | None = None) -> list[dict[str, Any]]:
        """Every stored metric, or only those of the given phases (the run directory's current plan)."""
        if not self.path.exists():
            return []
        with self._connect() as db:
            db.row_factory = sqlite3.Row
            rows = db.execute(
                "SELECT variant, seed, role, phase_id AS phase, task, language, split, metric, value FROM metrics"
                " ORDER BY task, split, metric, language, variant, seed"
            ).fetchall()
        return [dict(row) for row in rows if phases is None or row["phase"] in phases]

    def phases(self, phases: set[str] | None = None) -> list[dict[str, Any]]:
        """Stored phases; ``dims`` comes back as a dict (empty for phases recorded without dims)."""
        if not self.path.exists():
            return []
        with self._connect() as db:
            db.row_factory = sqlite3.Row
            rows = db.execute("SELECT * FROM phases ORDER BY role, variant, seed").fetchall()
        return [
            {**dict(row), "dims": json.loads(row["dims"] or "{}")}
            for row in rows
            if phases is None or row["phase_id"] in phases
        ]


def rebuild(run_dir: Path) -> ResultsStore:
    """Indexes every completed phase directory of a run into its store."""
    store = ResultsStore(run_dir / STORE_NAME)
    for directory in PhaseDir.all_in(run_dir):
        if directory.is_done():
            store.record_phase(directory.read_record())
    return store


def _current_ids(run_dir: Path) -> set[str] | None:
    """The phases of the run directory's ``plan.json``: after the experiment file changes and is rerun into
    the same directory, the store still holds the older phases, which must not mix in."""
    plan = run_dir / PLAN_JSON
    return {phase["id"] for phase in read_json(plan)} if plan.exists() else None


def current_metrics(run_dir: Path) -> list[dict[str, Any]]:
    return ResultsStore(run_dir / STORE_NAME).metrics(_current_ids(run_dir))


def current_phases(run_dir: Path) -> list[dict[str, Any]]:
    return ResultsStore(run_dir / STORE_NAME).phases(_current_ids(run_dir))
