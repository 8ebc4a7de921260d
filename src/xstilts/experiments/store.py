"""The results store: one SQLite file per run directory, in WAL mode, safe for many local writers.

It is an index, not the record of truth: every phase's ``phase.json`` holds its own metrics, and
``rebuild`` recreates the store from the phase directories (what a cluster driver does after its jobs).
"""

from __future__ import annotations

import contextlib
import json
import logging
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from xstilts.artefacts import PHASE_JSON, PhaseDir, disk_full, read_json

logger = logging.getLogger(__name__)

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
        self._checked = False  # the file passed SQLite's quick_check once in this process

    def _open(self) -> sqlite3.Connection:
        connection = sqlite3.connect(self.path, timeout=60.0, isolation_level=None)
        try:
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA busy_timeout=60000")
            if not self._checked:
                (verdict,) = connection.execute("PRAGMA quick_check").fetchone()
                if verdict != "ok":
                    raise sqlite3.DatabaseError(verdict)
            connection.executescript(_SCHEMA)
            if _missing_columns(connection):
                _add_columns(connection)
        except BaseException:
            connection.close()
            raise
        self._checked = True
        return connection

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        try:
            connection = self._open()
        except sqlite3.OperationalError:  # locked, busy, cannot open: not damage
            raise
        except sqlite3.DatabaseError as err:  # not a database, malformed: it is only an index
            if self._checked:
                raise
            time.sleep(1.0)  # damage persists; a store another process is creating this instant does not
            try:
                connection = self._open()
            except sqlite3.OperationalError:
                raise
            except sqlite3.DatabaseError:
                self._rebuild_after(err)
                connection = self._open()
        try:
            yield connection
        finally:
            connection.close()

    def _rebuild_after(self, err: sqlite3.DatabaseError) -> None:
        """Sets a corrupt store aside (``results.sqlite.corrupt-N``, with its WAL files) and indexes every finished
        phase directory into a new one: the phase directories are the record of truth."""
        number = 1
        while self.path.with_name(f"{self.path.name}.corrupt-{number}").exists():
            number += 1
        aside = self.path.with_name(f"{self.path.name}.corrupt-{number}")
        for suffix in ("", "-wal", "-shm"):
            with contextlib.suppress(FileNotFoundError):  # another writer set it aside first
                Path(f"{self.path}{suffix}").rename(f"{aside}{suffix}")
        logger.warning("%s: %s; set aside as %s and rebuilt from the phase directories", self.path, err, aside.name)
        self._checked = True
        index_phase_records(self, self.path.parent)

    def record_phase(self, record: dict[str, Any]) -> None:
        """Inserts or replaces one phase and all its metrics in a single transaction. A full disk leaves the store
        as it was (the transaction rolls back) and is a ``DiskFull``; the phase directory keeps the record."""
        try:
            self._record_phase(record)
        except sqlite3.OperationalError as err:
            if "full" not in str(err):
                raise
            raise disk_full(self.path, len(json.dumps(record, default=str)) * 2) from err

    def _record_phase(self, record: dict[str, Any]) -> None:
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
    index_phase_records(store, run_dir)
    return store


def index_phase_records(store: ResultsStore, run_dir: Path) -> None:
    """Indexes the record of every finished phase directory whose ``phase.json`` reads. Its metrics were computed
    before it was written, so they stand even when artefact files were removed since (a run directory copied
    without its encoders) or damaged: ``xstilts run`` sets such a phase aside and reruns it before reusing it,
    and indexes the new record."""
    for directory in PhaseDir.all_in(run_dir):
        if not directory.is_done():
            continue
        try:
            record = directory.read_record()
        except (OSError, ValueError) as err:
            logger.warning("%s: not indexed, its %s does not read (%s)", directory.root, PHASE_JSON, err)
            continue
        store.record_phase(record)


def _current_ids(run_dir: Path) -> set[str] | None:
    """The phases of the run directory's ``plan.json``: after the experiment file changes and is rerun into
    the same directory, the store still holds the older phases, which must not mix in."""
    plan = run_dir / PLAN_JSON
    return {phase["id"] for phase in read_json(plan)} if plan.exists() else None


def current_metrics(run_dir: Path) -> list[dict[str, Any]]:
    return ResultsStore(run_dir / STORE_NAME).metrics(_current_ids(run_dir))


def current_phases(run_dir: Path) -> list[dict[str, Any]]:
    return ResultsStore(run_dir / STORE_NAME).phases(_current_ids(run_dir))
