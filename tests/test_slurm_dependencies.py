"""`xstilts run` with ``executor: {kind: slurm}`` submits the whole plan at once, each child's job depending on its
parent's (``afterok:<parent job id>``), roots on nothing.

submitit's ``AutoExecutor`` is replaced by a stand-in SLURM cluster that records the parameters of every
submission and runs a job when the driver polls it, never before the job it depends on has succeeded (as SLURM
does). The jobs run the executor tests' stand-in phase, which fails when started before its parent finished.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import submitit
from rich.console import Console

from tests.builders import fake_phase_launcher
from tests.conftest import experiment_yaml
from xstilts.artefacts import read_json
from xstilts.experiments.run import run_experiment
from xstilts.experiments.spec import load_spec
from xstilts.experiments.store import PLAN_JSON


class FakeCluster:
    """What was submitted (``jobs``, in order) and what has run (``events``: ("submit" | "run", job id))."""

    def __init__(self) -> None:
        self.jobs: list[FakeJob] = []
        self.succeeded: set[str] = set()
        self.events: list[tuple[str, str]] = []
        self._ids = itertools.count(4001)

    def executor(self, folder: Any, cluster: str | None = None) -> FakeExecutor:
        """Stands in for ``submitit.AutoExecutor(folder=..., cluster=...)``."""
        return FakeExecutor(self)


class FakeExecutor:
    def __init__(self, cluster: FakeCluster) -> None:
        self.cluster = cluster
        self.parameters: dict[str, Any] = {}

    def update_parameters(self, **parameters: Any) -> None:
        self.parameters.update(parameters)

    def submit(self, function: Any) -> FakeJob:
        job = FakeJob(self.cluster, str(next(self.cluster._ids)), dict(self.parameters), function)
        self.cluster.jobs.append(job)
        self.cluster.events.append(("submit", job.job_id))
        return job


class FakeJob:
    def __init__(self, cluster: FakeCluster, job_id: str, parameters: dict[str, Any], function: Any) -> None:
        self.cluster, self.job_id, self.parameters, self.function = cluster, job_id, parameters, function
        self.state = "PENDING"
        self.paths = SimpleNamespace(stderr=f"{job_id}_log.err")

    def done(self) -> bool:
        if self.state == "PENDING":
            dependency = self.parameters.get("slurm_dependency")
            if dependency is not None and dependency.removeprefix("afterok:") not in self.cluster.succeeded:
                return False  # SLURM holds the job until the one it depends on has succeeded
            self.cluster.events.append(("run", self.job_id))
            try:
                self.function()
            except submitit.core.utils.FailedJobError:
                self.state = "FAILED"
            else:
                self.state = "COMPLETED"
                self.cluster.succeeded.add(self.job_id)
        return True

    def cancel(self, check: bool = True) -> None:
        self.state = "CANCELLED"


def test_slurm_run_submits_children_with_afterok_on_their_parents_job(
    tiny_model: Path, data_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cluster = FakeCluster()
    monkeypatch.setattr(submitit, "AutoExecutor", cluster.executor)
    launcher = json.dumps(fake_phase_launcher(tmp_path))
    executor = f"{{kind: slurm, launcher: {launcher}, slurm: {{poll_seconds: 0.01, folder: {tmp_path / 'jobs'}}}}}"
    spec = tmp_path / "exp.yaml"
    spec.write_text(experiment_yaml(tiny_model, data_root, executor=executor))  # intermediate none and mnli
    run_dir = tmp_path / "run"
    store = run_experiment(load_spec(spec), run_dir, Console(file=None))

    plan = read_json(run_dir / PLAN_JSON)
    parent_of = {phase["id"]: phase["parent"] for phase in plan}
    job_of = {job.parameters["name"].removeprefix("xstilts-"): job for job in cluster.jobs}
    assert sorted(job_of) == sorted(parent_of) and len(cluster.jobs) == len(plan)  # one job per phase
    # the plan has roots, children and grandchildren (MNLI -> XNLI -> evaluation)
    assert any(parent is not None and parent_of[parent] is not None for parent in parent_of.values())
    for phase_id, parent in parent_of.items():
        parameters = job_of[phase_id].parameters
        if parent is None:
            assert "slurm_dependency" not in parameters, phase_id
        else:
            assert parameters.get("slurm_dependency") == f"afterok:{job_of[parent].job_id}", phase_id
    # the dependencies let the driver queue the whole plan before any job has run
    assert [kind for kind, _ in cluster.events] == ["submit"] * len(plan) + ["run"] * len(plan)
    assert all(job.state == "COMPLETED" for job in cluster.jobs)
    assert sorted(record["phase_id"] for record in store.phases()) == sorted(parent_of)
