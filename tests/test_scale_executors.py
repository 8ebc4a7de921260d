"""Executors beyond one process: independent phases side by side (one subprocess per device) and one SLURM
job per phase through submitit (its local cluster here; sbatch mocked for the dependency lines).

The scheduling tests launch a stand-in for ``xstilts run-phase`` that takes 0.6 s and writes a phase record,
so they check order, overlap and failure handling in seconds; the slow tests run the real phases and compare
their results with the in-process executor's."""

from __future__ import annotations

import io
import itertools
from pathlib import Path

import pytest
from rich.console import Console

from tests.builders import fake_phase_launcher, stub_phase
from tests.conftest import experiment_yaml
from xstilts.artefacts import atomic_write_json, read_json
from xstilts.errors import XstiltsError
from xstilts.experiments.executor_settings import SlurmSettings
from xstilts.experiments.parallel import ParallelExecutor
from xstilts.experiments.plan import Phase
from xstilts.experiments.run import run_experiment
from xstilts.experiments.slurm import SlurmExecutor
from xstilts.experiments.spec import load_spec
from xstilts.experiments.store import PLAN_JSON, ResultsStore


def _fake_plan(run_dir: Path) -> list[Phase]:
    """Two independent roots, a with two children, b with one."""
    phases = [
        stub_phase("a", "train", "baseline", 1, None, ("a1", "a2")),
        stub_phase("b", "train", "mnli", 1, None, ("b1",)),
        stub_phase("a1", "evaluate", "baseline", 1, "a"),
        stub_phase("a2", "evaluate", "baseline", 2, "a"),
        stub_phase("b1", "evaluate", "mnli", 1, "b"),
    ]
    atomic_write_json(run_dir / PLAN_JSON, [phase.to_json() for phase in phases])
    return phases


def _times(run_dir: Path) -> dict[str, tuple[float, float]]:
    records = (read_json(path) for path in run_dir.glob("phases/*/phase.json"))
    return {r["id"]: (r["started_at"], r["finished_at"]) for r in records}


def _overlap(a: tuple[float, float], b: tuple[float, float]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def test_parallel_executor_runs_independent_phases_side_by_side_after_their_parents(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    plan = _fake_plan(run_dir)
    ParallelExecutor(run_dir, ["cpu", "cpu"], Console(file=None), fake_phase_launcher(tmp_path)).execute(plan)
    times = _times(run_dir)
    assert sorted(times) == ["a", "a1", "a2", "b", "b1"]
    assert _overlap(times["a"], times["b"])  # two devices: the two roots ran at once
    for child, parent in (("a1", "a"), ("a2", "a"), ("b1", "b")):
        assert times[child][0] >= times[parent][1]
    for moment in (start for start, _ in times.values()):  # never more phases at once than devices
        assert sum(1 for start, end in times.values() if start <= moment < end) <= 2
    assert sorted(r["phase_id"] for r in ResultsStore(run_dir / "results.sqlite").phases()) == sorted(times)
    assert (run_dir / "logs" / "a.log").exists()


def test_parallel_executor_with_one_device_runs_one_phase_at_a_time(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    ParallelExecutor(run_dir, [0], Console(file=None), fake_phase_launcher(tmp_path)).execute(_fake_plan(run_dir))
    spans = sorted(_times(run_dir).values())
    assert all(later[0] >= earlier[1] for earlier, later in itertools.pairwise(spans))


def test_parallel_executor_failure_names_the_phase_and_its_log(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    plan = _fake_plan(run_dir)
    (run_dir / "fail").write_text("b")
    with pytest.raises(XstiltsError, match=r"1 phase\(s\) failed: .*\(b\), log .*b\.log"):
        ParallelExecutor(run_dir, ["cpu", "cpu"], Console(file=None), fake_phase_launcher(tmp_path)).execute(plan)
    assert "b fails on purpose" in (run_dir / "logs" / "b.log").read_text()
    assert "b1" not in _times(run_dir)
    (run_dir / "fail").unlink()  # rerunning resumes: done phases are skipped, the rest run
    ParallelExecutor(run_dir, ["cpu", "cpu"], Console(file=None), fake_phase_launcher(tmp_path)).execute(plan)
    assert sorted(_times(run_dir)) == ["a", "a1", "a2", "b", "b1"]


def _local_slurm(tmp_path: Path) -> SlurmSettings:
    return SlurmSettings(cluster="local", folder=str(tmp_path / "jobs"), poll_seconds=0.2, time_min=10)


def test_slurm_executor_runs_one_job_per_phase_after_its_parent(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    plan = _fake_plan(run_dir)
    SlurmExecutor(run_dir, _local_slurm(tmp_path), Console(file=None), fake_phase_launcher(tmp_path)).execute(plan)
    times = _times(run_dir)
    assert sorted(times) == ["a", "a1", "a2", "b", "b1"]
    assert _overlap(times["a"], times["b"])
    for child, parent in (("a1", "a"), ("a2", "a"), ("b1", "b")):
        assert times[child][0] >= times[parent][1]
    assert len(ResultsStore(run_dir / "results.sqlite").phases()) == 5  # indexed by the driver


def test_slurm_executor_failure_drops_the_failed_phases_descendants(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    plan = _fake_plan(run_dir)
    (run_dir / "fail").write_text("b")
    with pytest.raises(XstiltsError, match=r"1 phase\(s\) failed: b \(job \d+, log .*\)"):
        SlurmExecutor(run_dir, _local_slurm(tmp_path), Console(file=None), fake_phase_launcher(tmp_path)).execute(plan)
    assert sorted(_times(run_dir)) == ["a", "a1", "a2"]  # a's subtree finished; b1 never ran


def test_slurm_jobs_depend_on_their_parents_job_and_carry_the_resources(tmp_path: Path) -> None:
    from submitit.slurm.test_slurm import mocked_slurm

    run_dir = tmp_path / "run"
    plan = _fake_plan(run_dir)
    settings = SlurmSettings(
        folder=str(tmp_path / "jobs"), partition="gpu", time_min=90, gpus_per_node=2, setup=["module load cuda"]
    )
    with mocked_slurm():
        executor = SlurmExecutor(run_dir, settings, Console(file=None))
        parent = executor.submit(plan[0], None)
        child = executor.submit(plan[2], parent.job_id)
        root = executor.submit(plan[1], None)  # submitit keeps parameters between submissions
    script = child.paths.submission_file.read_text()
    assert f"#SBATCH --dependency=afterok:{parent.job_id}" in script
    assert "--dependency" not in parent.paths.submission_file.read_text()
    assert "--dependency" not in root.paths.submission_file.read_text()
    for line in ("#SBATCH --partition=gpu", "#SBATCH --time=90", "#SBATCH --gpus-per-node=2", "module load cuda"):
        assert line in script


def test_slurm_executor_without_slurm_says_what_to_do(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no srun, no sbatch
    with pytest.raises(XstiltsError, match=r"'slurm': .*srun.*login node.*cluster: local"):
        SlurmExecutor(tmp_path / "run", SlurmSettings(), Console(file=None))


@pytest.fixture(scope="module")
def sequential(tiny_model: Path, data_root: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[tuple, float]:
    root = tmp_path_factory.mktemp("sequential")
    return _real_run(root, tiny_model, data_root, "{kind: local}")


def _real_run(root: Path, model: Path, data: Path, executor: str, console: Console | None = None) -> dict[tuple, float]:
    spec = root / "exp.yaml"
    text = experiment_yaml(model, data, intermediate="[none]", target="[xnli, pawsx]", executor=executor)
    spec.write_text(text.replace("epochs: 2", "epochs: 1"))
    store = run_experiment(load_spec(spec), root / "run", console or Console(file=None))
    return {(r["phase"], r["language"], r["split"], r["metric"]): r["value"] for r in store.metrics()}


@pytest.mark.slow
def test_parallel_phases_on_two_cpu_devices_overlap_and_match_the_sequential_run(
    sequential: dict[tuple, float], tiny_model: Path, data_root: Path, tmp_path: Path
) -> None:
    driver = io.StringIO()
    results = _real_run(
        tmp_path, tiny_model, data_root, "{kind: local, devices: [cpu, cpu]}", Console(file=driver, width=500)
    )
    assert results.keys() == sequential.keys()
    assert list(results.values()) == pytest.approx(list(sequential.values()), abs=1e-6)
    # Side by side, read from the driver, not the clock: both training subprocesses were launched before
    # either finished. (Their own start times are no proof either way: a 3-step phase can finish while the
    # other process is still importing torch on a loaded machine.)
    lines = driver.getvalue().splitlines()
    launched = [i for i, line in enumerate(lines) if line.startswith("target ") and "running on device" in line]
    finished = [i for i, line in enumerate(lines) if line.startswith("target ") and line.endswith(": done")]
    assert len(launched) == 2 and len(finished) == 2
    assert max(launched) < min(finished)


@pytest.mark.slow
def test_slurm_executor_on_submitits_local_cluster_matches_the_sequential_run(
    sequential: dict[tuple, float], tiny_model: Path, data_root: Path, tmp_path: Path
) -> None:
    executor = f"{{kind: slurm, slurm: {{cluster: local, poll_seconds: 0.5, folder: {tmp_path / 'jobs'}}}}}"
    results = _real_run(tmp_path, tiny_model, data_root, executor)
    assert results.keys() == sequential.keys()
    assert list(results.values()) == pytest.approx(list(sequential.values()), abs=1e-6)
    assert len(list((tmp_path / "jobs").glob("*/*_log.out"))) == 4  # one job per phase
