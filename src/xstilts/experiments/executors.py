"""Executors run the phases of a plan; the local one runs them one after another in this process.

A phase is skipped when its directory holds the ``DONE`` marker; otherwise it runs (resuming from its own
checkpoints), then its ``phase.json`` and the marker are written, and it is indexed into the results store.
``run_phase`` is the whole of one phase: the in-process executor calls it, and so does ``xstilts run-phase``,
the command that the parallel (one phase per device) and SLURM executors launch, possibly under
``accelerate launch`` with several processes, of which only the main one writes.
"""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

import yaml
from rich.console import Console

from xstilts import __version__
from xstilts.artefacts import CHECKSUMS, PhaseDir, read_json
from xstilts.data.features import FeatureCache
from xstilts.errors import XstiltsError
from xstilts.evaluation.phase import run_eval_phase
from xstilts.experiments.phase_lock import PhaseLocks
from xstilts.experiments.plan import Phase
from xstilts.experiments.spec import load_resolved_plugins
from xstilts.experiments.store import PLAN_JSON, RESOLVED_SPEC, STORE_NAME, ResultsStore
from xstilts.hub import recording_hub_reads
from xstilts.phase_config import TrainPhaseConfig
from xstilts.training.checkpoint import LATEST
from xstilts.training.loop import make_accelerator
from xstilts.training.phase import run_train_phase
from xstilts.training.tracking import PhaseTracking, TrackingSettings

LOCK_POLL_SECONDS = 1.0


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


def phase_tracking(run_dir: Path, phase: Phase) -> PhaseTracking | None:
    """The phase's trackers when the experiment asks for tracking (its resolved spec in the run directory says)."""
    resolved = run_dir / RESOLVED_SPEC
    spec = yaml.safe_load(resolved.read_text(encoding="utf-8")) if resolved.exists() else {}
    if not spec or not spec.get("tracking"):
        return None
    settings = TrackingSettings.model_validate(spec["tracking"])
    return PhaseTracking(settings, run_dir, spec["name"], phase.id, phase.label, phase.config.dump())


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
    tracking = phase_tracking(run_dir, phase) if accelerator.is_main_process else None
    with recording_hub_reads() as hub_reads:  # splits read from the hub's parquet export, not as asked
        if isinstance(config, TrainPhaseConfig):
            metrics, extra = run_train_phase(config, directory, parent, cache, accelerator, phase.label, tracking)
        elif accelerator.is_main_process:  # evaluation is cheap next to training: one process does it
            metrics = run_eval_phase(config, directory, parent, cache, accelerator.device)
    if tracking is not None:
        tracking.log_metrics(metrics)
        tracking.close()
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
        CHECKSUMS: directory.checksums(),
    }
    if hub_reads:  # only then, so records of phases that read data as asked keep their shape
        record["hub_data_read"] = [read.to_json() for read in hub_reads]
    directory.write_record(record)
    directory.mark_done()
    shutil.rmtree(directory.train_state, ignore_errors=True)
    return record


def intact_done(run_dir: Path, phase_id: str, say: Callable[[str], None]) -> bool:
    """Whether the phase is done and its files are as it wrote them (``PhaseDir.damage``). A damaged phase
    (a truncated or rewritten artefact, a missing file, ``DONE`` without ``phase.json``) is never trusted: it is
    set aside, said so, and the phase runs again."""
    directory = PhaseDir.of(run_dir, phase_id)
    if not directory.is_done():
        return False
    problems = directory.damage()
    if not problems:
        return True
    aside = directory.set_aside(run_dir)
    say(f"{phase_id}: damaged ({'; '.join(problems[:5])}); moved to {aside}, running it again")
    return False


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
        if intact_done(run_dir, phase.id, say):
            say(f"{phase.label} ({phase.id}): done, skipped")
            store.record_phase(PhaseDir.of(run_dir, phase.id).read_record())
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

    def _say(self, text: str) -> None:
        self.console.print(text, markup=False, highlight=False)

    def execute(self, plan: list[Phase]) -> None:
        """Runs the plan's phases in order. A phase another driver holds (``phase_lock``) is skipped for now and
        the next runnable one taken; the driver comes back to it, and waits when nothing else can run. Under
        ``accelerate launch`` (several processes, one driver) every process takes the phases in plan order,
        unlocked: they must agree on which phase runs next, and one process cannot lock for all."""
        locks = PhaseLocks(self.run_dir) if int(os.environ.get("WORLD_SIZE", "1")) == 1 else None
        pending = list(enumerate(plan, start=1))
        told: set[str] = set()
        while pending:
            for item in pending:
                if self._try(item, len(plan), locks, told):
                    pending.remove(item)
                    break
            else:
                held = [phase.id for _, phase in pending if locks and locks.path(phase.id).exists()]
                if not held:
                    missing = sorted({p.parent for _, p in pending if p.parent} - {p.id for _, p in pending})
                    raise XstiltsError(f"phases wait for parents that are not done and not in the plan: {missing}")
                if "waiting" not in told:
                    self._say(f"waiting for {len(held)} phase(s) another driver is running")
                    told.add("waiting")
                time.sleep(LOCK_POLL_SECONDS)

    def _try(self, item: tuple[int, Phase], total: int, locks: PhaseLocks | None, told: set[str]) -> bool:
        """Runs (or indexes, when done) one phase if its parent is done and no other driver holds it; whether it
        is finished with."""
        number, phase = item
        directory = PhaseDir.of(self.run_dir, phase.id)
        head = f"[{number}/{total}] {phase.label} ({phase.id})"
        if intact_done(self.run_dir, phase.id, self._say):
            self._say(f"{head}: done, skipped")
            self.store.record_phase(directory.read_record())
            return True
        if phase.parent and not PhaseDir.of(self.run_dir, phase.parent).is_done():
            return False
        if locks is None:
            self._run(head, phase)
            return True
        lock = locks.try_acquire(phase.id)
        if lock is None:
            if phase.id not in told:
                self._say(f"{head}: held by another driver ({locks.holder(phase.id)}), skipped for now")
                told.add(phase.id)
            return False
        try:
            if intact_done(self.run_dir, phase.id, self._say):  # the other driver finished it between the two looks
                self._say(f"{head}: done by another driver, skipped")
                self.store.record_phase(directory.read_record())
                return True
            self._run(head, phase)
        finally:
            lock.release()
        return True

    def _run(self, head: str, phase: Phase) -> None:
        self._say(f"{head}: {phase_status(self.run_dir, phase)}, running")
        record = run_phase(self.run_dir, phase, self.cache)
        if record is not None:  # under `accelerate launch`, the main process indexes
            self.store.record_phase(record)
