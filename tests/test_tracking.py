"""Experiment tracking: a run with ``tracking: {with: [tensorboard]}`` writes one TensorBoard run per phase, grouped
by experiment, with per-step loss and learning rate, per-epoch dev metrics and the final per-language metrics; and
tracking never changes a phase id."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.conftest import experiment_yaml
from xstilts.cli import app
from xstilts.errors import ConfigError
from xstilts.experiments.plan import build_plan
from xstilts.experiments.spec import ExperimentSpec, load_spec
from xstilts.training.tracking import TrackingSettings, check_backends

TRACKING = "{with: [tensorboard], project: tiny-project}"


def _events(run_dir: Path) -> dict[str, dict[str, list[tuple[int, float]]]]:
    """Scalars per TensorBoard run directory (relative to the tracking folder): tag -> [(step, value)]."""
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    runs = {}
    for events in sorted((run_dir / "tracking").rglob("events.out.tfevents.*")):
        accumulator = EventAccumulator(str(events.parent))
        accumulator.Reload()
        scalars = {tag: [(e.step, e.value) for e in accumulator.Scalars(tag)] for tag in accumulator.Tags()["scalars"]}
        if scalars:
            runs[str(events.parent.relative_to(run_dir / "tracking"))] = scalars
    return runs


@pytest.mark.slow
def test_tensorboard_run_per_phase_with_steps_epochs_and_languages(tiny_model, data_root, tmp_path):
    spec = tmp_path / "e.yaml"
    text = experiment_yaml(tiny_model, data_root, intermediate="[none]", target="[xnli]", tracking=TRACKING)
    spec.write_text(text.replace("epochs: 2, checkpoint_every: 4", "epochs: 2, checkpoint_every: 50"))
    result = CliRunner().invoke(app, ["run", str(spec), "--out", str(tmp_path / "run")])
    assert result.exit_code == 0, result.output
    runs = _events(tmp_path / "run")
    plan = build_plan(load_spec(spec))
    assert len(runs) == len(plan) == 2  # one TensorBoard run per phase, all under the experiment's folder
    assert all(name.startswith("tiny/") for name in runs)
    [train] = [r for name, r in runs.items() if name.split("/")[1].startswith("target")]
    [evaluation] = [r for name, r in runs.items() if name.split("/")[1].startswith("evaluate")]
    steps = [step for step, _ in train["train/loss"]]
    assert steps == list(range(1, len(steps) + 1)) and len(steps) > 2  # every optimizer step
    lrs = [value for _, value in train["train/lr"]]
    assert lrs[-1] < max(lrs)  # the linear schedule decays
    assert len(train["dev/xnli/accuracy"]) == 2  # one point per epoch
    languages = {tag.split("/")[2] for tag in evaluation if tag.startswith("xnli/test/")}
    assert languages == {"en", "de", "sw"}


def test_tracking_never_enters_a_phase_id(tiny_model, data_root, tmp_path):
    plain = tmp_path / "plain.yaml"
    plain.write_text(experiment_yaml(tiny_model, data_root))
    tracked = tmp_path / "tracked.yaml"
    tracked.write_text(experiment_yaml(tiny_model, data_root, tracking="{with: [tensorboard, mlflow], project: p}"))
    assert [p.id for p in build_plan(load_spec(plain))] == [p.id for p in build_plan(load_spec(tracked))]


def test_tracking_settings_parse_and_missing_backends_fail_early():
    settings = ExperimentSpec.model_validate(
        {"name": "x", "model": "m", "target": ["xnli"], "tracking": {"with": ["tensorboard"]}}
    ).tracking
    assert settings == TrackingSettings(with_=["tensorboard"])
    check_backends(settings)  # tensorboard is installed for the tests
    import importlib.util

    if importlib.util.find_spec("wandb") is None:
        with pytest.raises(ConfigError, match=r"wandb not installed; pip install 'xstilts\[wandb\]'"):
            check_backends(TrackingSettings(with_=["wandb"]))
