"""Model selection keeps the best English-dev epoch, not the last: the phase artefact holds that epoch's weights
bit for bit, and the evaluation phase scores them.

The selection is controlled: XNLI selects on an extra dev score that a spy on the training phase's dev scoring
adds, highest for epoch 1 of 3, while the real dev accuracy is still computed and recorded. The spy also keeps a
copy of the weights each epoch was scored with. The test set is a copy of the dev set, so the evaluated accuracy
must be the selected epoch's dev accuracy exactly.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import torch
from typer.testing import CliRunner

from tests.builders import write_xnli_official
from tests.conftest import experiment_yaml
from xstilts.artefacts import PhaseDir
from xstilts.cli import app
from xstilts.models.adapters import load_phase_model
from xstilts.tasks.registry import get_task
from xstilts.training import phase as training_phase

PREFERENCE = "epoch_preference"  # the extra dev score XNLI selects on here
# Mean pooling learns the keyword rule within a few steps, so the three epochs' models differ in accuracy too.
TRAINING = (
    "{lr: 5.0e-3, warmup_ratio: 0.0, batch_size: 16, max_length: 48, epochs: 3, max_train_examples: 96,"
    " classifier_pooling: mean}"
)


def xnli_tested_on_dev(directory: Path) -> Path:
    """English XNLI whose test file is a copy of its dev file."""
    write_xnli_official(directory, ["en"], n_per_language=30)
    shutil.copyfile(directory / "xnli.dev.tsv", directory / "xnli.test.tsv")
    return directory


@pytest.mark.slow  # three epochs of training: over 10 s on a loaded 2-core machine
def test_saved_and_evaluated_model_is_the_best_dev_epochs(
    tiny_model: Path, data_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scored_weights: list[dict[str, torch.Tensor]] = []
    real_score_set = training_phase.score_set

    def spy(model: Any, *args: Any, **kwargs: Any) -> Any:
        scored_weights.append({k: v.detach().clone() for k, v in model.state_dict().items()})
        scores, predictions = real_score_set(model, *args, **kwargs)
        return {**scores, PREFERENCE: -float(len(scored_weights))}, predictions  # epoch 1: -1, epoch 2: -2, ...

    monkeypatch.setattr(training_phase, "score_set", spy)
    monkeypatch.setattr(type(get_task("xnli")), "selection_metric", PREFERENCE)
    xnli = xnli_tested_on_dev(tmp_path / "xnli")
    spec = experiment_yaml(tiny_model, data_root, intermediate="[none]", target="[xnli]", training=TRAINING)
    spec = spec.replace(f"path: {data_root / 'xnli'}}}, languages: [en, de, sw]", f"path: {xnli}}}, languages: [en]")
    (tmp_path / "exp.yaml").write_text(spec)
    result = CliRunner().invoke(app, ["run", str(tmp_path / "exp.yaml"), "--out", str(tmp_path / "run")])
    assert result.exit_code == 0, result.output

    records = [json.loads(p.read_text()) for p in (tmp_path / "run" / "phases").glob("*/phase.json")]
    train = next(r for r in records if r["kind"] == "train")
    history = [h["dev"]["xnli/accuracy"] for h in train["training"]["history"]]
    assert len(history) == len(scored_weights) == 3
    assert train["training"]["best"]["epoch"] == 1  # selection kept epoch 1 of 3
    assert history[0] != history[-1], history  # the first and last epochs are told apart by their accuracy too

    saved, _ = load_phase_model(PhaseDir.of(tmp_path / "run", train["id"]), trust_remote_code=False)
    state = saved.state_dict()
    best, last = scored_weights[0], scored_weights[-1]
    assert state.keys() == best.keys()
    assert all(torch.equal(state[k], best[k]) for k in best), "the artefact is not the selected epoch's weights"
    assert not all(torch.equal(state[k], last[k]) for k in last)  # training went on after the best epoch

    evaluation = next(r for r in records if r["kind"] == "evaluate")
    (accuracy,) = [m["value"] for m in evaluation["metrics"] if m["language"] == "en"]
    assert accuracy == history[0]  # test is the dev set: the selected epoch's dev accuracy, exactly
    dev = {m["metric"]: m["value"] for m in train["metrics"]}
    assert dev == {"accuracy": history[0], PREFERENCE: -1.0}  # the phase records the selected epoch's dev scores
