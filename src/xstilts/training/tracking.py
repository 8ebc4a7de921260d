"""Experiment tracking through accelerate's trackers (``accelerate.tracking``): TensorBoard (works offline: event
files under the run directory), Weights & Biases and MLflow (optional extras, each its own package).

``tracking: {with: [tensorboard], project: NAME, dir: PATH}`` in the experiment. One tracker run per phase, grouped
by experiment: TensorBoard writes ``<dir>/<experiment>/<phase label>-<phase id>``; W&B runs share the project and
have the experiment as their ``group``; MLflow runs share the experiment named by ``project`` (default: the
experiment's name) and carry ``experiment`` and ``phase`` tags. What is logged: per optimizer step ``train/loss``
and ``train/lr``; per epoch the English dev metrics (``dev/<head>/<metric>``) and the selection score; at the end
of an evaluation phase every metric per language (``<task>/<split>/<language>/<metric>``).

Tracking settings describe where numbers are reported, not what a phase computes: they never enter a phase id.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from xstilts.errors import ConfigError

Backend = Literal["tensorboard", "wandb", "mlflow"]
_PACKAGES = {"tensorboard": "tensorboard", "wandb": "wandb", "mlflow": "mlflow"}
DEFAULT_DIR = "tracking"  # under the run directory


class TrackingSettings(BaseModel):
    """``tracking:`` in an experiment; ``with`` names the backends (a Python keyword, hence the field's alias)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, serialize_by_alias=True)

    with_: list[Backend] = Field(alias="with", min_length=1)
    project: str | None = None  # W&B project / MLflow experiment; default: the experiment's name
    dir: str | None = None  # TensorBoard's log directory; default: <run directory>/tracking


def check_backends(settings: TrackingSettings) -> None:
    """Fails before anything runs when a backend's package is not installed."""
    import importlib.util

    missing = [name for name in settings.with_ if importlib.util.find_spec(_PACKAGES[name]) is None]
    if missing:
        raise ConfigError(
            f"tracking: {', '.join(missing)} not installed; pip install 'xstilts[{','.join(missing)}]'"
            f" (or {' '.join(_PACKAGES[m] for m in missing)})"
        )


def _run_name(label: str, phase_id: str) -> str:
    return re.sub(r"[^A-Za-z0-9._+=-]+", "_", label).strip("_") + f"-{phase_id}"


class PhaseTracking:
    """The trackers of one phase, started on the main process only (accelerate's trackers log there)."""

    def __init__(
        self, settings: TrackingSettings, run_dir: Path, experiment: str, phase_id: str, label: str, config: dict
    ) -> None:
        from accelerate.tracking import MLflowTracker, TensorBoardTracker, WandBTracker

        check_backends(settings)
        project = settings.project or experiment
        name = _run_name(label, phase_id)
        self.trackers: list[Any] = []
        for backend in settings.with_:
            if backend == "tensorboard":
                root = Path(settings.dir).expanduser() if settings.dir else run_dir / DEFAULT_DIR
                tracker: Any = TensorBoardTracker(f"{experiment}/{name}", root)
            elif backend == "wandb":
                tracker = WandBTracker(project, group=experiment, name=name, job_type=label.split(" ")[0])
            else:
                tracker = MLflowTracker(project, run_name=name, tags={"experiment": experiment, "phase": phase_id})
            tracker.start()
            self.trackers.append(tracker)
        self._log({"phase/label": label})
        for tracker in self.trackers:
            tracker.store_init_configuration(_flat(config))

    def _log(self, values: dict[str, Any], step: int | None = None) -> None:
        for tracker in self.trackers:
            tracker.log(values, step=step)

    def log_step(self, step: int, loss: float, lr: float) -> None:
        self._log({"train/loss": loss, "train/lr": lr}, step)

    def log_epoch(self, epoch: int, step: int, dev: dict[str, float], selection_score: float) -> None:
        values = {f"dev/{key}": value for key, value in dev.items()}
        self._log({**values, "dev/selection_score": selection_score, "epoch": epoch}, step)

    def log_metrics(self, metrics: list[dict[str, Any]]) -> None:
        """A phase's final metrics, one value per (task, split, language, metric)."""
        values = {
            f"{m['task']}/{m['split']}/{m['language']}/{m['metric']}": m["value"]
            for m in metrics
            if isinstance(m.get("value"), (int, float))
        }
        if values:
            self._log(values)

    def close(self) -> None:
        for tracker in self.trackers:
            tracker.finish()


def _flat(config: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """A phase config as the flat scalars trackers take as hyperparameters."""
    flat: dict[str, Any] = {}
    for key, value in config.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flat(value, f"{name}."))
        elif isinstance(value, (bool, int, float, str)):
            flat[name] = value
        else:
            flat[name] = str(value)
    return flat
