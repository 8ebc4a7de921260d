"""`run_experiment` with an image-text retrieval target: MNLI as the text intermediate feeding xFlickr&CO, trained
on English Flickr30K-layout pairs, selected on their dev set, evaluated in English and German on files and images
the test writes; predictions in both directions and Recall@k for every language. A kill -9 in the middle of the
xFlickr&CO phase resumes to the same metrics and tensors as an uninterrupted run."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from rich.console import Console

from tests.builders import assert_same_outcome, run_outcome, write_glue_mnli
from tests.image_text_builders import PALETTE, write_xflickrco
from tests.test_resume import _kill_mid_phase, _xstilts
from xstilts.experiments.run import run_experiment
from xstilts.experiments.spec import load_spec

pytestmark = pytest.mark.slow

TRAINING = (
    "{lr: 2.0e-3, batch_size: 6, max_length: 8, epochs: 4, checkpoint_every: 50, eval_batch_size: 32,"
    " image_size: 16, vision_lr: 1.0e-2, warmup_ratio: 0.0, contrastive_temperature: 0.1}"
)


def _spec(model: Path, root: Path, training: str = TRAINING, n_train: int = 48) -> Path:
    write_glue_mnli(root / "mnli", n_train=24, n_dev=8)
    write_xflickrco(root / "xflickrco", ["en", "de"], n_train=n_train, n_dev=12)
    spec = root / "exp.yaml"
    spec.write_text(
        f"name: it\nmodel: {model}\nseeds: [1]\nintermediate: [mnli]\ntarget: [xflickrco]\ntraining: {training}\n"
        "tasks:\n"
        f"  mnli: {{data: {{source: local, path: {root / 'mnli'}}}, training: {{epochs: 1}}}}\n"
        f"  xflickrco: {{data: {{source: local, path: {root / 'xflickrco'}}}, languages: [en, de]}}\n"
    )
    return spec


def test_xflickrco_after_a_text_intermediate_trains_selects_and_evaluates_every_language(
    tiny_model: Path, tmp_path: Path
) -> None:
    spec = _spec(tiny_model, tmp_path)
    store = run_experiment(load_spec(spec), tmp_path / "run", Console(file=None))
    rows = store.metrics()
    test = {(r["language"], r["metric"]): r["value"] for r in rows if r["task"] == "xflickrco" and r["split"] == "test"}
    metrics = {"ir_r@1", "ir_r@5", "ir_r@10", "tr_r@1", "tr_r@5", "tr_r@10", "mean_r@1"}
    assert set(test) == {(language, metric) for language in ("en", "de") for metric in metrics}
    assert all(0.0 <= value <= 100.0 for value in test.values())
    # Six test images, one per colour, each caption names its colour: chance R@1 is 1/6, a model reading the
    # image does far better in English; with six images R@10 is 100 whatever the model.
    assert test["en", "ir_r@1"] >= 50.0 and test["en", "tr_r@1"] >= 50.0, test
    assert test["de", "ir_r@10"] == 100.0

    phases = {path.parent.name: json.loads(path.read_text()) for path in (tmp_path / "run").glob("phases/*/heads.json")}
    kinds = {spec["kind"] for heads in phases.values() for spec in heads.values()}
    assert kinds == {"classification", "image_text"}
    (target,) = [p for p, heads in phases.items() if "xflickrco" in heads]
    mnli = next(p for p, heads in phases.items() if "mnli" in heads)
    record = json.loads((tmp_path / "run" / "phases" / target / "phase.json").read_text())
    assert record["parent"] == mnli  # the intermediate's encoder is the target's starting point

    (predictions,) = (tmp_path / "run").glob("phases/*/predictions/xflickrco/test-de.json")
    ranked = json.loads(predictions.read_text())
    assert set(ranked) == {"image_retrieval", "text_retrieval"}
    assert set(ranked["text_retrieval"]) == {f"test{i}.jpg" for i in range(len(PALETTE))}
    assert all(len(images) == len(PALETTE) for images in ranked["image_retrieval"].values())


def test_a_killed_image_text_phase_resumes_exactly(tiny_model: Path, tmp_path: Path) -> None:
    training = TRAINING.replace("epochs: 4", "epochs: 2").replace("checkpoint_every: 50", "checkpoint_every: 2")
    spec = _spec(tiny_model, tmp_path, training, n_train=24)
    reference, interrupted = tmp_path / "reference", tmp_path / "interrupted"
    subprocess.run(_xstilts("run", str(spec), "--out", str(reference)), check=True, capture_output=True)
    victim = _kill_mid_phase(_xstilts("run", str(spec), "--out", str(interrupted)), interrupted)
    plan = json.loads((interrupted / "plan.json").read_text())
    assert next(p for p in plan if p["id"] == victim.name)["tasks"] == ["xflickrco"]
    rerun = subprocess.run(_xstilts("run", str(spec), "--out", str(interrupted)), capture_output=True, text=True)
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    assert json.loads((victim / "phase.json").read_text())["training"]["resumed_from_step"] > 0
    assert_same_outcome(interrupted, run_outcome(reference))
