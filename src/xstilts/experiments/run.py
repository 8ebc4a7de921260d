"""Running an experiment: validate, plan, write the resolved spec, execute, index results."""

from __future__ import annotations

import json
from pathlib import Path

from rich.console import Console

from xstilts.artefacts import atomic_write_json, xstilts_home
from xstilts.data.features import FeatureCache
from xstilts.data.sources import DataSource
from xstilts.experiments.executor_settings import ExecutorSettings
from xstilts.experiments.executors import Executor, LocalExecutor, phase_status
from xstilts.experiments.parallel import ParallelExecutor
from xstilts.experiments.plan import Phase, build_plan
from xstilts.experiments.slurm import SlurmExecutor
from xstilts.experiments.spec import ExperimentSpec, write_resolved
from xstilts.experiments.store import PLAN_JSON, RESOLVED_SPEC, STORE_NAME, ResultsStore
from xstilts.models.encoder import check_model
from xstilts.phase_config import DataRef, TrainPhaseConfig
from xstilts.tasks.registry import get_task
from xstilts.training.tracking import check_backends


def feature_cache() -> FeatureCache:
    return FeatureCache(xstilts_home() / "features")


def default_run_dir(spec: ExperimentSpec) -> Path:
    return Path("runs") / spec.name


def plan_statuses(plan: list[Phase], run_dir: Path) -> dict[str, str]:
    return {phase.id: phase_status(run_dir, phase) for phase in plan}


def data_requirements(plan: list[Phase]) -> set[tuple[str, str, str, str]]:
    """Every (task, split, language, source as JSON) that the plan's phases read."""
    needs = set()
    for phase in plan:
        config = phase.config
        if isinstance(config, TrainPhaseConfig):
            for head in config.heads.values():
                # English unless the head trains on other languages or selects on another dev language
                reads: list[tuple[DataRef, list[str]]] = [(head.train, head.train.languages)]
                if head.select is not None:  # heads without a dev set (MLM) have none
                    reads.append((head.select, [head.select.language]))
                for ref, languages in reads:
                    source = json.dumps(ref.source.model_dump(), sort_keys=True)
                    needs.update((ref.task, ref.split, language, source) for language in languages)
        else:
            source = json.dumps(config.source.model_dump(), sort_keys=True)
            needs.update((config.task, config.split, language, source) for language in config.languages)
    return needs


def check_local_data(plan: list[Phase]) -> None:
    """Reads every local file the plan needs before any training, so a malformed test file in the last
    language fails the run in seconds rather than after hours (hub data is checked by ``datasets``)."""
    for task, split, language, source in sorted(data_requirements(plan)):
        data_source = DataSource.model_validate_json(source)
        if data_source.source == "local":
            get_task(task).read(split, language, data_source)  # type: ignore[arg-type]


def run_experiment(spec: ExperimentSpec, run_dir: Path, console: Console) -> ResultsStore:
    check_model(spec.model, spec.model_revision, spec.trust_remote_code)
    if spec.tracking is not None:
        check_backends(spec.tracking)
    plan = build_plan(spec)
    check_local_data(plan)
    run_dir.mkdir(parents=True, exist_ok=True)
    write_resolved(spec, run_dir / RESOLVED_SPEC)
    atomic_write_json(run_dir / PLAN_JSON, [phase.to_json() for phase in plan])
    executor_for(spec.executor, run_dir, console).execute(plan)
    return ResultsStore(run_dir / STORE_NAME)


def executor_for(settings: ExecutorSettings, run_dir: Path, console: Console) -> Executor:
    """In this process, one phase per local device, or one SLURM job per phase (the spec's ``executor``)."""
    if settings.kind == "slurm":
        return SlurmExecutor(run_dir, settings.slurm, console, settings.launcher)
    if settings.devices is not None:
        return ParallelExecutor(run_dir, settings.devices, console, settings.launcher)
    return LocalExecutor(run_dir, feature_cache(), console)
