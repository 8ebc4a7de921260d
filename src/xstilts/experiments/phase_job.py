"""The job submitit runs for one phase on SLURM: the phase's command, requeued when SLURM signals a preemption or
the time limit. Its own small module because every job unpickles it first: it imports nothing heavy (no torch),
so a job starts as fast as submitit's own ``CommandFunction`` would.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from typing import Any

import submitit

from xstilts.errors import REQUEUE_EXIT, XstiltsError


class PhaseJob(submitit.helpers.Checkpointable):
    """One phase's job: runs its ``xstilts run-phase`` command and, on submitit's preemption or time-limit signal
    (SLURM's ``--signal``, ``signal_seconds`` before the limit), requeues itself.

    submitit calls ``checkpoint`` from its signal handler: this passes SIGUSR1 on to the phase, which writes a
    checkpoint at its next step boundary and exits ``REQUEUE_EXIT`` (``training.preemption``), waits for it, and
    returns the same job to submit again; the requeued job runs the same command, which resumes from that
    checkpoint. What is pickled is the command, as with submitit's ``CommandFunction``."""

    def __init__(self, command: list[str], cwd: str, grace_seconds: float) -> None:
        self.command = command
        self.cwd = cwd
        self.grace_seconds = grace_seconds
        self._pid: int | None = None
        self._status: int | None = None

    def __getstate__(self) -> dict[str, Any]:
        return {"command": self.command, "cwd": self.cwd, "grace_seconds": self.grace_seconds}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["command"], state["cwd"], state["grace_seconds"])  # type: ignore[misc]

    def __call__(self) -> str:
        process = subprocess.Popen(self.command, cwd=self.cwd)
        self._pid = process.pid
        process.returncode = self._wait(None)  # reaped here, or by ``checkpoint`` if a signal came first
        if process.returncode == REQUEUE_EXIT:
            raise XstiltsError(f"{' '.join(self.command)}: stopped by a signal after a checkpoint; run again to resume")
        if process.returncode != 0:
            raise XstiltsError(f"{' '.join(self.command)} failed with exit status {process.returncode}")
        return "done"

    def _wait(self, timeout: float | None) -> int | None:
        """The phase's exit status once it has ended (``None`` if ``timeout`` seconds pass first). Polls rather
        than blocks: a blocking wait here could not be re-entered by the signal handler's."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while self._status is None and self._pid is not None:
            try:
                pid, status = os.waitpid(self._pid, os.WNOHANG)
            except ChildProcessError:  # reaped by the other wait
                break
            if pid:
                self._status = os.waitstatus_to_exitcode(status)
            elif deadline is not None and time.monotonic() > deadline:
                break
            else:
                time.sleep(0.1)
        return self._status

    def checkpoint(self, *args: Any, **kwargs: Any) -> submitit.helpers.DelayedSubmission:
        if self._pid is not None and self._status is None:
            os.kill(self._pid, signal.SIGUSR1)
            self._wait(self.grace_seconds)
        return submitit.helpers.DelayedSubmission(PhaseJob(self.command, self.cwd, self.grace_seconds))
