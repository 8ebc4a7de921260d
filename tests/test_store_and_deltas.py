"""The results store under concurrent writers, rebuilding it from artefacts, and paired deltas."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import pytest

from tests.builders import evaluation_record
from xstilts.analysis.deltas import delta_rows, variant_order
from xstilts.artefacts import PhaseDir, atomic_write_json
from xstilts.experiments.store import ResultsStore, rebuild


def _writer(path: str, worker: int) -> None:
    store = ResultsStore(Path(path))
    for i in range(10):
        store.record_phase(
            evaluation_record(f"w{worker}-{i}", "baseline", worker, {"en": float(i), "de": float(worker)})
        )


def test_sixteen_processes_writing_at_once_lose_nothing(tmp_path: Path) -> None:
    path = tmp_path / "results.sqlite"
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_writer, args=(str(path), w)) for w in range(16)]
    for process in workers:
        process.start()
    for process in workers:
        process.join(120)
        assert process.exitcode == 0
    store = ResultsStore(path)
    assert len(store.metrics()) == 16 * 10 * 2
    assert len(store.phases()) == 160


def test_rebuild_from_phase_directories(tmp_path: Path) -> None:
    for name, variant in (("a", "baseline"), ("b", "mnli"), ("c", "mnli")):
        directory = tmp_path / "phases" / name
        atomic_write_json(directory / "phase.json", evaluation_record(name, variant, 1, {"en": 50.0}))
        if name != "c":  # c never finished: not indexed
            PhaseDir(directory).mark_done()
    store = rebuild(tmp_path)
    assert sorted(r["phase"] for r in store.metrics()) == ["a", "b"]


def test_recording_a_phase_again_replaces_its_metrics(tmp_path: Path) -> None:
    store = ResultsStore(tmp_path / "r.sqlite")
    store.record_phase(evaluation_record("a", "baseline", 1, {"en": 1.0, "de": 2.0}))
    store.record_phase(evaluation_record("a", "baseline", 1, {"en": 3.0}))
    assert [(r["language"], r["value"]) for r in store.metrics()] == [("en", 3.0)]


def test_deltas_are_paired_by_seed_and_averaged(tmp_path: Path) -> None:
    store = ResultsStore(tmp_path / "r.sqlite")
    store.record_phase(evaluation_record("b1", "baseline", 1, {"en": 80.0, "de": 70.0}))
    store.record_phase(evaluation_record("b2", "baseline", 2, {"en": 82.0, "de": 60.0}))
    store.record_phase(evaluation_record("m1", "mnli", 1, {"en": 81.0, "de": 75.0}))
    store.record_phase(evaluation_record("m2", "mnli", 2, {"en": 85.0, "de": 61.0}))
    store.record_phase(evaluation_record("s3", "squad_v1", 3, {"en": 90.0, "de": 90.0}))  # no baseline with seed 3
    rows = {row["language"]: row["variants"] for row in delta_rows(store.metrics())}
    assert rows["en"]["baseline"] == {"mean": 81.0, "seeds": 2, "delta": None}
    assert rows["en"]["mnli"]["mean"] == pytest.approx(83.0)
    assert rows["en"]["mnli"]["delta"] == pytest.approx(2.0)  # ((81-80) + (85-82)) / 2
    assert rows["de"]["mnli"]["delta"] == pytest.approx(3.0)  # ((75-70) + (61-60)) / 2
    assert rows["avg"]["mnli"]["mean"] == pytest.approx((78.0 + 73.0) / 2)
    assert rows["avg"]["mnli"]["delta"] == pytest.approx(2.5)
    assert rows["en"]["squad_v1"]["delta"] is None


def test_each_method_arm_is_compared_with_its_own_baseline(tmp_path: Path) -> None:
    store = ResultsStore(tmp_path / "r.sqlite")
    store.record_phase(evaluation_record("bf", "baseline/full", 1, {"en": 80.0}))
    store.record_phase(evaluation_record("mf", "mnli/full", 1, {"en": 84.0}))
    store.record_phase(evaluation_record("bl", "baseline/lora", 1, {"en": 70.0}))
    store.record_phase(evaluation_record("ml", "mnli/lora", 1, {"en": 71.0}))
    rows = delta_rows(store.metrics())
    variants = rows[0]["variants"]
    assert variants["mnli/full"]["delta"] == pytest.approx(4.0)
    assert variants["mnli/lora"]["delta"] == pytest.approx(1.0)
    assert variants["baseline/lora"]["delta"] is None
    assert variant_order(rows) == ["baseline/full", "mnli/full", "baseline/lora", "mnli/lora"]
