"""Load on one results store: sixteen writer processes and, during their writes, readers (``xstilts results
--json`` as a real process, and a reading loop) see no error, lose no row, and never see a phase half indexed
(each phase's metrics are written in one transaction)."""

from __future__ import annotations

import json
import multiprocessing
import subprocess
import sys
import threading
from collections import Counter
from pathlib import Path

import pytest

from tests.test_store_and_deltas import _writer
from xstilts.experiments.store import ResultsStore

WRITERS = 16


def _half_indexed(rows: list[dict]) -> list[str]:
    """Phases seen with some of their metrics only (each writer's phase has two: en and de)."""
    return [phase for phase, count in Counter(r["phase"] for r in rows).items() if count != 2]


@pytest.mark.slow
def test_sixteen_writers_and_readers_at_once(tmp_path: Path) -> None:
    path = tmp_path / "results.sqlite"
    ResultsStore(path).phases()  # the run directory exists, as during a run
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_writer, args=(str(path), w)) for w in range(WRITERS)]
    for process in workers:
        process.start()
    reads: list[int] = []
    problems: list[str] = []
    stop = threading.Event()

    def read_in_a_loop() -> None:
        while not stop.is_set():
            try:
                rows = ResultsStore(path).metrics()
            except Exception as err:  # the point: a reader must never fail
                problems.append(repr(err))
                return
            problems.extend(_half_indexed(rows))
            reads.append(len(rows))

    reader = threading.Thread(target=read_in_a_loop)
    reader.start()
    command = [sys.executable, "-m", "xstilts.cli", "results", str(tmp_path), "--json"]
    cli_reads = []
    while any(process.is_alive() for process in workers):
        finished = subprocess.run(command, capture_output=True, text=True, timeout=300)
        assert finished.returncode == 0, finished.stderr
        rows = json.loads(finished.stdout)
        assert not _half_indexed(rows)
        cli_reads.append(len(rows))
    for process in workers:
        process.join(300)
        assert process.exitcode == 0
    stop.set()
    reader.join()
    assert not problems, problems[:5]
    assert reads == sorted(reads)  # rows only ever appear
    assert len(ResultsStore(path).metrics()) == WRITERS * 10 * 2
    assert cli_reads and len(reads) > 1
