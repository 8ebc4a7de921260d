"""Damaged artefacts are detected, not trusted: ``phase.json`` records the size and SHA-256 of every artefact file
and a driver checks them before it skips a done phase; a damaged phase is set aside and run again. A damaged
checkpoint is not loaded; a corrupt results store is rebuilt from the phase directories."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.builders import assert_same_outcome, evaluation_record, run_outcome
from tests.conftest import experiment_yaml
from xstilts import artefacts
from xstilts.artefacts import CHECKSUMS, PhaseDir
from xstilts.cli import app
from xstilts.experiments.store import STORE_NAME, ResultsStore
from xstilts.training.checkpoint import CHECKPOINT_SUMS, LATEST, latest_checkpoint

TRAINING = "{lr: 1.0e-3, batch_size: 8, max_length: 48, epochs: 1, eval_batch_size: 32, max_train_examples: 24}"


def _finished(run_dir: Path, phase_id: str, files: dict[str, bytes]) -> PhaseDir:
    directory = PhaseDir.of(run_dir, phase_id)
    for name, data in files.items():
        (directory.root / name).parent.mkdir(parents=True, exist_ok=True)
        (directory.root / name).write_bytes(data)
    directory.write_record(
        {**evaluation_record(phase_id, "baseline", 1, {"en": 50.0}), CHECKSUMS: directory.checksums()}
    )
    directory.mark_done()
    return directory


def test_every_kind_of_damage_is_named(tmp_path: Path) -> None:
    files = {"encoder/model.safetensors": b"w" * 100, "heads.json": b"{}", "heads.safetensors": b"h" * 10}
    directory = _finished(tmp_path, "p1", files)
    assert directory.damage() == []
    assert set(directory.checksums()) == set(files)  # phase.json and DONE are not artefact files
    (directory.root / "encoder" / "model.safetensors").write_bytes(b"w" * 40)  # a killed copy
    (directory.root / "heads.json").write_bytes(b"{{")  # same size, other bytes
    (directory.root / "heads.safetensors").unlink()
    assert directory.damage() == [
        "encoder/model.safetensors: 40 bytes, 100 when written",
        "heads.json: changed since it was written (SHA-256 differs)",
        "heads.safetensors: missing",
    ]
    directory.record_path.unlink()
    assert directory.damage() == ["DONE without phase.json"]
    directory.record_path.write_text("{garbage")
    assert directory.damage()[0].startswith("phase.json unreadable")


def test_a_corrupt_store_is_set_aside_and_rebuilt_from_the_phase_directories(tmp_path: Path) -> None:
    # the store indexes records: a phase whose artefact changed since keeps its metrics (computed before the record
    # was written; `xstilts run` reruns it before any reuse), one whose record does not read is left out
    _finished(tmp_path, "p1", {"languages/en.json": b"{}"})
    damaged = _finished(tmp_path, "p2", {"languages/en.json": b"{}"})
    (damaged.root / "languages" / "en.json").write_text("{ }")
    unreadable = _finished(tmp_path, "p3", {"languages/en.json": b"{}"})
    unreadable.record_path.write_text("{garbage")
    (tmp_path / STORE_NAME).write_bytes(b"SQLite format 3\x00" + b"\xff" * 4000)
    rows = ResultsStore(tmp_path / STORE_NAME).metrics()
    assert sorted((r["phase"], r["value"]) for r in rows) == [("p1", 50.0), ("p2", 50.0)]
    assert (tmp_path / f"{STORE_NAME}.corrupt-1").exists()


def test_a_damaged_checkpoint_is_not_loaded(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    checkpoint = tmp_path / "checkpoint-3-0"
    checkpoint.mkdir()
    (checkpoint / "model.safetensors").write_bytes(b"m" * 64)
    sums = {"model.safetensors": {"size": 64, "sha256": hashlib.sha256(b"m" * 64).hexdigest()}}
    (checkpoint / CHECKPOINT_SUMS).write_text(json.dumps(sums))
    (checkpoint / "state.json").write_text("{}")
    (tmp_path / LATEST).write_text(checkpoint.name)
    assert latest_checkpoint(tmp_path) == checkpoint
    (checkpoint / "model.safetensors").write_bytes(b"m" * 63 + b"x")
    with caplog.at_level(logging.WARNING):
        assert latest_checkpoint(tmp_path) is None
    assert "checkpoint-3-0 is damaged (model.safetensors: not as written" in caplog.text


@pytest.fixture(scope="module")
def finished_run(tiny_model: Path, data_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("finished")
    spec = root / "exp.yaml"
    spec.write_text(experiment_yaml(tiny_model, data_root, intermediate="[none]", training=TRAINING))
    result = CliRunner().invoke(app, ["run", str(spec), "--out", str(root / "run")])
    assert result.exit_code == 0, result.output
    return root


def _damage(directory: PhaseDir, how: str) -> str:
    """Damages the trained phase; returns the file the message must name."""
    if how == "truncated-weights":
        weights = directory.encoder / "model.safetensors"
        weights.write_bytes(weights.read_bytes()[: weights.stat().st_size // 2])
        return "encoder/model.safetensors"
    if how == "garbage-heads-json":
        directory.heads_json.write_text("not json at all")
        return "heads.json"
    if how == "missing-file":
        directory.heads_weights.unlink()
        return "heads.safetensors: missing"
    directory.record_path.unlink()  # DONE without its record
    return "DONE without phase.json"


@pytest.mark.slow
@pytest.mark.parametrize("how", ["truncated-weights", "garbage-heads-json", "missing-file", "done-without-record"])
def test_a_damaged_phase_is_named_set_aside_and_run_again(finished_run: Path, tmp_path: Path, how: str) -> None:
    expected = run_outcome(finished_run / "run")
    run_dir = tmp_path / "run"
    shutil.copytree(finished_run / "run", run_dir)
    (train,) = [p for p in json.loads((run_dir / "plan.json").read_text()) if p["kind"] == "train"]
    named = _damage(PhaseDir.of(run_dir, train["id"]), how)
    result = CliRunner().invoke(app, ["run", str(finished_run / "exp.yaml"), "--out", str(run_dir)])
    assert result.exit_code == 0, result.output
    assert f"{train['id']}: damaged (" in result.output and named in result.output.replace("\n", "")
    assert f"({train['id']}): pending, running" in result.output  # run again, from scratch
    assert (run_dir / "damaged" / f"{train['id']}-1").is_dir()
    assert_same_outcome(run_dir, expected)


def test_a_file_untouched_since_it_was_checksummed_is_not_hashed_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a grid's encoders are GBs each: a rerun checks their size and time, and hashes only what was written since
    directory = _finished(tmp_path, "p1", {"encoder/model.safetensors": b"w" * 100, "heads.json": b"{}"})
    old = 1_000_000_000_000_000_000  # 2001: long before the checksum below
    for path in directory.artefact_files():
        os.utime(path, ns=(old, old))
    directory.write_record({**directory.read_record(), CHECKSUMS: directory.checksums()})
    assert all(entry["mtime_ns"] == old for entry in directory.read_record()[CHECKSUMS].values())
    hashed: list[Path] = []
    checksum = artefacts.file_checksum
    monkeypatch.setattr(artefacts, "file_checksum", lambda path: hashed.append(path) or checksum(path))
    assert directory.damage() == [] and hashed == []
    (directory.root / "heads.json").write_bytes(b"[]")  # same size, written now: its time moved, so it is hashed
    assert directory.damage() == ["heads.json: changed since it was written (SHA-256 differs)"]
    assert hashed == [directory.heads_json]


def test_a_file_checksummed_right_after_it_was_written_is_always_hashed(tmp_path: Path) -> None:
    # its recorded time could survive a rewrite within the file system's time resolution, so none is recorded
    directory = _finished(tmp_path, "p1", {"heads.json": b"{}"})
    assert "mtime_ns" not in directory.read_record()[CHECKSUMS]["heads.json"]
