"""Interrupting a run with kill -9 in the middle of a phase and rerunning it: the finished phases are skipped,
the interrupted phase resumes from its last checkpoint, and the final metrics equal an uninterrupted run's."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.builders import assert_same_outcome, run_outcome
from tests.conftest import experiment_yaml

pytestmark = pytest.mark.slow

TRAINING = "{lr: 1.0e-3, batch_size: 8, max_length: 48, epochs: 3, checkpoint_every: 3, eval_batch_size: 32}"


def _xstilts(*args: str) -> list[str]:
    return [sys.executable, "-m", "xstilts.cli", *args]


def _kill_mid_phase(command: list[str], run_dir: Path, timeout: float = 240.0) -> Path:
    """Starts the run and kills it (SIGKILL) as soon as a phase has a checkpoint; returns that phase's dir."""
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            for pointer in run_dir.glob("phases/*/train_state/latest"):
                phase = pointer.parent.parent
                try:
                    state = pointer.parent / pointer.read_text().strip() / "state.json"
                except FileNotFoundError:  # that phase finished and removed its train_state since the glob
                    continue
                # A checkpoint of the second phase: one phase finished, this one in its middle.
                if state.exists() and not (phase / "DONE").exists() and any(run_dir.glob("phases/*/DONE")):
                    os.kill(process.pid, signal.SIGKILL)
                    process.wait()
                    return phase
            if process.poll() is not None:
                pytest.fail("the run finished before it could be interrupted")
            time.sleep(0.005)
        pytest.fail("no checkpoint appeared in time")
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_kill_dash_nine_then_rerun_matches_uninterrupted_run(tiny_model: Path, data_root: Path, tmp_path: Path) -> None:
    spec = tmp_path / "exp.yaml"
    spec.write_text(experiment_yaml(tiny_model, data_root, intermediate="[mnli]", training=TRAINING))
    reference, interrupted = tmp_path / "reference", tmp_path / "interrupted"
    subprocess.run(_xstilts("run", str(spec), "--out", str(reference)), check=True, capture_output=True)

    victim = _kill_mid_phase(_xstilts("run", str(spec), "--out", str(interrupted)), interrupted)
    assert not (victim / "DONE").exists()
    finished_before = {p.parent.name for p in interrupted.glob("phases/*/DONE")}
    assert finished_before and victim.name not in finished_before
    stamps = {name: (interrupted / "phases" / name / "phase.json").stat().st_mtime_ns for name in finished_before}

    rerun = subprocess.run(_xstilts("run", str(spec), "--out", str(interrupted)), capture_output=True, text=True)
    assert rerun.returncode == 0, rerun.stderr
    assert rerun.stdout.count("done, skipped") == len(finished_before)
    assert f"({victim.name}): partial, running" in rerun.stdout
    for name, stamp in stamps.items():  # finished phases were not recomputed
        assert (interrupted / "phases" / name / "phase.json").stat().st_mtime_ns == stamp
    record = json.loads((victim / "phase.json").read_text())
    assert record["training"]["resumed_from_step"] > 0

    assert_same_outcome(interrupted, run_outcome(reference))
