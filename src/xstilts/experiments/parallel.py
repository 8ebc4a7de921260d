"""One machine, many devices: independent phases run side by side, one ``xstilts run-phase`` subprocess per
device (``CUDA_VISIBLE_DEVICES`` set to it), each starting as soon as its parent phase is done.

The subprocesses write only their phase directories; this driver indexes each finished phase into the results
store, so the store has one writer. A phase that fails stops new launches, lets the running ones finish, and
fails the run with the phase's log file named; rerunning resumes.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from rich.console import Console

from xstilts.artefacts import PhaseDir
from xstilts.errors import XstiltsError
from xstilts.experiments.executors import index_finished
from xstilts.experiments.plan import Phase
from xstilts.experiments.store import STORE_NAME, ResultsStore

LOGS = "logs"
_POLL_SECONDS = 0.2


def phase_command(launcher: list[str] | None, run_dir: Path, phase_id: str) -> list[str]:
    """``[launcher...] -m xstilts.cli run-phase RUN_DIR PHASE_ID``; the launcher is this Python by default, or
    e.g. ``accelerate launch --num_processes 2`` (which also takes ``-m MODULE``)."""
    return [*(launcher or [sys.executable]), "-m", "xstilts.cli", "run-phase", str(run_dir), phase_id]


def device_environment(device: int | str, cpu_slots: int) -> dict[str, str]:
    """The subprocess's environment: its GPU(s), or none for a ``cpu`` slot, whose threads share the cores."""
    env = dict(os.environ)
    if str(device) == "cpu":
        env["CUDA_VISIBLE_DEVICES"] = ""
        env.setdefault("OMP_NUM_THREADS", str(max(1, (os.cpu_count() or 1) // cpu_slots)))
    else:
        env["CUDA_VISIBLE_DEVICES"] = str(device)
    return env


@dataclass
class _Running:
    phase: Phase
    device: int | str
    process: subprocess.Popen[bytes]
    log: IO[bytes]
    log_path: Path


class ParallelExecutor:
    def __init__(
        self, run_dir: Path, devices: list[int | str], console: Console, launcher: list[str] | None = None
    ) -> None:
        self.run_dir = run_dir
        self.devices = list(devices)
        self.console = console
        self.launcher = launcher
        self.store = ResultsStore(run_dir / STORE_NAME)

    def _say(self, text: str) -> None:
        self.console.print(text, markup=False, highlight=False)

    def _launch(self, phase: Phase, device: int | str) -> _Running:
        log_path = self.run_dir / LOGS / f"{phase.id}.log"
        log_path.parent.mkdir(parents=True, exist_ok=True)
        log = log_path.open("ab")
        cpu_slots = sum(1 for d in self.devices if str(d) == "cpu") or 1
        process = subprocess.Popen(
            phase_command(self.launcher, self.run_dir, phase.id),
            stdout=log,
            stderr=subprocess.STDOUT,
            env=device_environment(device, cpu_slots),
        )
        self._say(f"{phase.label} ({phase.id}): running on device {device}, log {log_path}")
        return _Running(phase, device, process, log, log_path)

    def execute(self, plan: list[Phase]) -> None:
        done = index_finished(self.run_dir, plan, self.store, self._say)
        pending = [phase for phase in plan if phase.id not in done]
        free, running, failed = list(self.devices), [], []
        while running or (pending and not failed):
            for phase in [p for p in pending if p.parent is None or p.parent in done]:
                if not free or failed:
                    break
                running.append(self._launch(phase, free.pop(0)))
                pending.remove(phase)
            if not running:
                missing = sorted({p.parent for p in pending if p.parent is not None} - done)
                raise XstiltsError(f"phases wait for parents that are not in the plan: {missing}")
            time.sleep(_POLL_SECONDS)
            for job in [job for job in running if job.process.poll() is not None]:
                running.remove(job)
                job.log.close()
                free.append(job.device)
                directory = PhaseDir.of(self.run_dir, job.phase.id)
                if job.process.returncode == 0 and directory.is_done():
                    self.store.record_phase(directory.read_record())
                    done.add(job.phase.id)
                    self._say(f"{job.phase.label} ({job.phase.id}): done")
                else:
                    failed.append(job)
                    self._say(f"{job.phase.label} ({job.phase.id}): failed (exit {job.process.returncode})")
        if failed:
            names = "; ".join(f"{job.phase.label} ({job.phase.id}), log {job.log_path}" for job in failed)
            raise XstiltsError(f"{len(failed)} phase(s) failed: {names}. Run again to resume.")
