"""A SLURM cluster: every pending phase becomes one job, submitted through submitit, that runs
``xstilts run-phase RUN_DIR PHASE_ID``; a child's job depends on its parent's (``afterok``).

What submitit pickles is a ``CommandFunction``, i.e. a command list: no model, data or config object is
pickled, and nothing here loads a pickle. The jobs write only their phase directories; SQLite locking is
unsafe on network filesystems, so this driver (on the login node) waits for the jobs and indexes each finished
phase into the results store itself. With ``cluster: local`` submitit runs the same jobs as local processes;
local jobs have no dependencies, so there a child is submitted when its parent has finished.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import submitit
from rich.console import Console

from xstilts.artefacts import PhaseDir
from xstilts.errors import XstiltsError
from xstilts.experiments.executor_settings import SlurmSettings
from xstilts.experiments.executors import index_finished
from xstilts.experiments.parallel import phase_command
from xstilts.experiments.plan import Phase
from xstilts.experiments.store import STORE_NAME, ResultsStore


def job_parameters(settings: SlurmSettings, name: str, parent_job: str | None) -> dict[str, Any]:
    """submitit's ``update_parameters`` for one phase (unprefixed ones apply to every cluster kind)."""
    parameters: dict[str, Any] = {
        "name": name,
        "timeout_min": settings.time_min,
        "gpus_per_node": settings.gpus_per_node,
        "cpus_per_task": settings.cpus_per_task,
        "tasks_per_node": 1,  # a multi-GPU phase is one task that runs `accelerate launch` (the launcher)
        "slurm_setup": list(settings.setup),
        "slurm_additional_parameters": dict(settings.additional),
    }
    if settings.mem_gb is not None:
        parameters["mem_gb"] = settings.mem_gb
    if settings.partition is not None:
        parameters["slurm_partition"] = settings.partition
    if settings.account is not None:
        parameters["slurm_account"] = settings.account
    if parent_job is not None:
        parameters["slurm_dependency"] = f"afterok:{parent_job}"
    return parameters


class SlurmExecutor:
    def __init__(
        self, run_dir: Path, settings: SlurmSettings, console: Console, launcher: list[str] | None = None
    ) -> None:
        self.run_dir = run_dir
        self.settings = settings
        self.console = console
        self.launcher = launcher
        self.store = ResultsStore(run_dir / STORE_NAME)
        self.folder = Path(settings.folder) if settings.folder else run_dir / "slurm"
        self._executor()  # fails here, before anything is submitted, where SLURM is missing
        self.dependencies = settings.cluster == "slurm"

    def _say(self, text: str) -> None:
        self.console.print(text, markup=False, highlight=False)

    def _executor(self) -> submitit.AutoExecutor:
        """A fresh executor per job: submitit merges parameters across submissions, so a reused one would give a
        root phase the previous job's ``--dependency``."""
        try:
            return submitit.AutoExecutor(folder=self.folder / "%j", cluster=self.settings.cluster)
        except RuntimeError as err:  # submitit found no SLURM commands here
            raise XstiltsError(
                f"executor kind 'slurm': {err} Run on the cluster's login node, or set executor.slurm.cluster:"
                " local to try the jobs on this machine"
            ) from None

    def submit(self, phase: Phase, parent_job: str | None) -> submitit.Job[str]:
        executor = self._executor()
        executor.update_parameters(**job_parameters(self.settings, f"xstilts-{phase.id}", parent_job))
        command = phase_command(self.launcher, self.run_dir.resolve(), phase.id)
        job = executor.submit(submitit.helpers.CommandFunction(command, cwd=os.getcwd()))
        after = f" after job {parent_job}" if parent_job else ""
        self._say(f"{phase.label} ({phase.id}): submitted as job {job.job_id}{after}")
        return job

    def execute(self, plan: list[Phase]) -> None:
        done = index_finished(self.run_dir, plan, self.store, self._say)
        pending = [phase for phase in plan if phase.id not in done]
        by_id = {phase.id: phase for phase in plan}
        jobs: dict[str, submitit.Job[str]] = {}
        failed: list[str] = []
        while pending or jobs:
            for phase in list(pending):
                parent = phase.parent
                if parent is None or parent in done:
                    jobs[phase.id] = self.submit(phase, None)
                elif self.dependencies and parent in jobs:
                    jobs[phase.id] = self.submit(phase, jobs[parent].job_id)
                else:
                    continue
                pending.remove(phase)
            if not jobs:
                raise XstiltsError(f"phases wait for parents that are not in the plan: {[p.id for p in pending]}")
            time.sleep(self.settings.poll_seconds)
            for phase_id, job in [(i, j) for i, j in jobs.items() if j.done()]:
                del jobs[phase_id]
                directory = PhaseDir.of(self.run_dir, phase_id)
                # Success is the phase's own DONE marker, not submitit's result file (a pickle, left unread).
                if directory.is_done():
                    self.store.record_phase(directory.read_record())
                    done.add(phase_id)
                    self._say(f"job {job.job_id} ({phase_id}): done")
                    continue
                failed.append(f"{phase_id} (job {job.job_id}, log {job.paths.stderr})")
                self._say(f"job {job.job_id} ({phase_id}): failed")
                self._drop_descendants(by_id[phase_id], by_id, pending, jobs)
        if failed:
            raise XstiltsError(f"{len(failed)} phase(s) failed: {'; '.join(failed)}. Run again to resume.")

    def _drop_descendants(
        self, phase: Phase, by_id: dict[str, Phase], pending: list[Phase], jobs: dict[str, submitit.Job[str]]
    ) -> None:
        """A failed phase's descendants can never run: their queued jobs are cancelled, their phases dropped."""
        for child_id in phase.children:
            child = by_id[child_id]
            if child in pending:
                pending.remove(child)
            job = jobs.pop(child_id, None)
            if job is not None:
                job.cancel(check=False)
            self._drop_descendants(child, by_id, pending, jobs)
