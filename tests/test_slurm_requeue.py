"""``executor: slurm``: a phase's job requeues itself through submitit's checkpointing. submitit's local executor
runs the job for real (its own process, its signal handler, its requeue); the phase here is a small script that
behaves as ``xstilts run-phase`` does on SIGUSR1 (checkpoint, exit ``REQUEUE_EXIT``), so the test takes seconds.
That training itself checkpoints and exits so is ``tests/test_preemption.py``."""

from __future__ import annotations

import os
import signal
import sys
import textwrap
import time
from pathlib import Path

import pytest
import submitit

from xstilts.errors import REQUEUE_EXIT
from xstilts.experiments.executor_settings import SlurmSettings
from xstilts.experiments.phase_job import PhaseJob
from xstilts.experiments.slurm import job_parameters

PHASE = f"""
import os, signal, sys, time
from pathlib import Path

state = Path(sys.argv[1])
runs = state / "runs"
runs.write_text(runs.read_text() + "run\\n" if runs.exists() else "run\\n")
stop = []
signal.signal(signal.SIGUSR1, lambda *_: stop.append(1))
checkpoint = state / "checkpoint"
step = int(checkpoint.read_text()) if checkpoint.exists() else 0
resumed = step
(state / "started").write_text(str(os.getppid()))  # the job's process, which runs PhaseJob
deadline = time.monotonic() + 120
while step < 50 or not checkpoint.exists() and time.monotonic() < deadline:  # the first run waits for its signal
    time.sleep(0.01)
    step += 1
    if stop:
        checkpoint.write_text(str(step))
        sys.exit({REQUEUE_EXIT})
(state / "DONE").write_text(f"resumed from {{resumed}}, ended at {{step}}")
"""


def test_the_signal_lead_time_reaches_sbatch() -> None:
    assert job_parameters(SlurmSettings(signal_seconds=300), "x", None)["slurm_signal_delay_s"] == 300


@pytest.mark.slow
def test_a_signalled_job_checkpoints_requeues_itself_and_resumes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    script = tmp_path / "phase.py"
    script.write_text(textwrap.dedent(PHASE))
    state = tmp_path / "state"
    state.mkdir()
    src = str(Path(__file__).resolve().parents[1] / "src")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([src, os.environ.get("PYTHONPATH", "")]))
    executor = submitit.AutoExecutor(folder=tmp_path / "jobs" / "%j", cluster="local")
    executor.update_parameters(timeout_min=5)
    job = executor.submit(PhaseJob([sys.executable, str(script), str(state)], str(tmp_path), grace_seconds=30))
    deadline = time.monotonic() + 120
    started = state / "started"
    while not (started.exists() and started.read_text()):  # the file is made before its content (the pid) lands
        assert time.monotonic() < deadline and not job.done(), job.stderr()
        time.sleep(0.1)
    # What SLURM's --signal does: submitit's preemption signal (USR2) to the job's process. (submitit's
    # LocalJob._interrupt signals the local controller instead, which has no handler for it.)
    os.kill(int(started.read_text()), signal.SIGUSR2)
    assert job.result() == "done"
    assert (state / "runs").read_text() == "run\nrun\n"  # requeued once
    checkpoint = int((state / "checkpoint").read_text())
    assert (state / "DONE").read_text().startswith(f"resumed from {checkpoint}, ended at ")
    assert "Requeued job" in (job.stderr() or "") + (job.stdout() or "")
