"""Executors run the phases of a plan; the local one runs them one after another in this process.

A phase is skipped when its directory holds the ``DONE`` marker; otherwise it runs (resuming from its own
checkpoints), then its ``phase.json`` and the marker are written, and it is indexed into the results store.
``run_phase`` is the whole of one phase: the in-process executor calls it, and so does ``xstilts run-phase``,
the command that the parallel (one phase per device) and SLURM executors launch, possibly under
``accelerate launch`` with several processes, of which only the main one writes.
"""

from __future__ import annotations

import platform
import shutil
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from rich.console import Console

from xstilts import __version__
from xstilts.artefacts import PhaseDir, read_json
from xstilts.data.features import FeatureCache
from xstilts.errors import XstiltsError
from xstilts.evaluation.phase import run_eval_phase
from xstilts.experiments.plan import Phase
from xstilts.experiments.spec import load_resolved_plugins
from xstilts.experiments.store import PLAN_JSON, RESOLVED_SPEC, STORE_NAME, ResultsStore
from xstilts.phase_config import TrainPhaseConfig
from xstilts.training.checkpoint import LATEST
from xstilts.training.loop import make_accelerator
from xstilts.training.phase import run_train_phase


def phase_status(run_dir: Path, phase: Phase) -> str:
    directory = PhaseDir.of(run_dir, phase.id)
    if directory.is_done():
        return "done"
    if (directory.train_state / LATEST).exists() or directory.languages.exists():
        return "partial"
    return "pending"


def _versions() -> dict[str, str]:
    import torch
    import transformers

    return {
        "xstilts": __version__,
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "python": platform.python_version(),
    }


def _git_revision() -> str | None:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=Path(__file__).parent, capture_output=True, text=True, timeout=5
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def run_phase(run_dir: Path, phase: Phase, cache: FeatureCache) -> dict[str, Any] | None:
    """Runs one phase whose parent is done and writes its ``phase.json`` and ``DONE``; returns that record
    (``None`` in the other processes of a multi-process launch: they train, the main process writes)."""
    accelerator = make_accelerator()
    directory = PhaseDir.of(run_dir, phase.id)
    parent = PhaseDir.of(run_dir, phase.parent) if phase.parent else None
    if accelerator.is_main_process:
        directory.root.mkdir(parents=True, exist_ok=True)
    accelerator.wait_for_everyone()
    started, started_at = time.monotonic(), time.time()
    metrics: list[dict[str, Any]] = []
    extra: dict[str, Any] = {}
    config = phase.config
    if isinstance(config, TrainPhaseConfig):
        metrics, extra = run_train_phase(config, directory, parent, cache, accelerator, phase.label)
    elif accelerator.is_main_process:  # evaluation is cheap next to training: one process does it
        metrics = run_eval_phase(config, directory, parent, cache, accelerator.device)
    accelerator.wait_for_everyone()
    if not accelerator.is_main_process:
        return None
    record = {
        "id": phase.id,
        "kind": phase.kind,
        "role": phase.role,
        "variant": phase.variant,
        "seed": phase.seed,
        "tasks": list(phase.tasks),
        "parent": phase.parent,
        "config": config.dump(),
        "dims": phase.dims,
        "metrics": metrics,
        "training": extra,
        "wall_seconds": round(time.monotonic() - started, 3),
        "started_at": round(started_at, 3),  # Unix time: shows which phases ran side by side
        "finished_at": round(time.time(), 3),
        "versions": _versions(),
        "git_revision": _git_revision(),
    }
    directory.write_record(record)
    directory.mark_done()
    shutil.rmtree(directory.train_state, ignore_errors=True)
    return record


def planned_phase(run_dir: Path, phase_id: str) -> Phase:
    """A phase of the run directory's ``plan.json`` (written by the driver before it launches anything)."""
    plan = run_dir / PLAN_JSON
    if not plan.exists():
        raise XstiltsError(f"{plan} not found: is {run_dir} a run directory that `xstilts run` has planned?")
    for entry in read_json(plan):
        if entry["id"] == phase_id:
            return Phase.from_json(entry)
    raise XstiltsError(f"{plan}: no phase {phase_id!r}")


def run_planned_phase(run_dir: Path, phase_id: str, cache: FeatureCache) -> str:
    """``xstilts run-phase``: runs one phase of a planned run unless it is done; its parent must be done. The
    experiment's plugins are imported first, so their tasks are registered in this process too."""
    load_resolved_plugins(run_dir / RESOLVED_SPEC)
    phase = planned_phase(run_dir, phase_id)
    if PhaseDir.of(run_dir, phase.id).is_done():
        return f"{phase.label} ({phase.id}): done, skipped"
    if phase.parent and not PhaseDir.of(run_dir, phase.parent).is_done():
        raise XstiltsError(f"{phase.label} ({phase.id}): its parent phase {phase.parent} has not finished")
    run_phase(run_dir, phase, cache)
    return f"{phase.label} ({phase.id}): done"


def index_finished(run_dir: Path, plan: list[Phase], store: ResultsStore, say: Callable[[str], None]) -> set[str]:
    """The ids of the plan's finished phases, each (re)indexed into the store: what a driver does first, so that
    a rerun skips them and the store matches the phase directories (the record of truth)."""
    done: set[str] = set()
    for phase in plan:
        directory = PhaseDir.of(run_dir, phase.id)
        if directory.is_done():
            say(f"{phase.label} ({phase.id}): done, skipped")
            store.record_phase(directory.read_record())
            done.add(phase.id)
    return done


class Executor(Protocol):
    def execute(self, plan: list[Phase]) -> None: ...


class LocalExecutor:
    def __init__(self, run_dir: Path, cache: FeatureCache, console: Console) -> None:
        self.run_dir = run_dir
        self.cache = cache
        self.console = console
        self.store = ResultsStore(run_dir / STORE_NAME)

    def execute(self, plan: list[Phase]) -> None:
        for number, phase in enumerate(plan, start=1):
            directory = PhaseDir.of(self.run_dir, phase.id)
            head = f"[{number}/{len(plan)}] {phase.label} ({phase.id})"
            if directory.is_done():
                self.console.print(f"{head}: done, skipped", markup=False, highlight=False)
                self.store.record_phase(directory.read_record())
                continue
            self.console.print(f"{head}: {phase_status(self.run_dir, phase)}, running", markup=False, highlight=False)
            record = run_phase(self.run_dir, phase, self.cache)
            if record is not None:  # under `accelerate launch`, the main process indexes
                self.store.record_phase(record)
