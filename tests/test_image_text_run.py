"""`run_experiment` with an image-text retrieval target: MNLI as the text intermediate feeding xFlickr&CO, trained
on English Flickr30K-layout pairs, selected on their dev set, evaluated in English and German on files and images
the test writes; predictions in both directions and Recall@k for every language."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from rich.console import Console

from tests.builders import write_glue_mnli
from tests.image_text_builders import PALETTE, write_xflickrco
from xstilts.experiments.run import run_experiment
from xstilts.experiments.spec import load_spec

pytestmark = pytest.mark.slow

TRAINING = (
    "{lr: 2.0e-3, batch_size: 6, max_length: 8, epochs: 4, checkpoint_every: 50, eval_batch_size: 32,"
    " image_size: 16, vision_lr: 1.0e-2, warmup_ratio: 0.0, contrastive_temperature: 0.1}"
)


def test_xflickrco_after_a_text_intermediate_trains_selects_and_evaluates_every_language(
    tiny_model: Path, tmp_path: Path
) -> None:
    write_glue_mnli(tmp_path / "mnli", n_train=24, n_dev=8)
    write_xflickrco(tmp_path / "xflickrco", ["en", "de"], n_train=48, n_dev=12)
    spec = tmp_path / "exp.yaml"
    spec.write_text(
        f"name: it\nmodel: {tiny_model}\nseeds: [1]\nintermediate: [mnli]\ntarget: [xflickrco]\ntraining: {TRAINING}\n"
        "tasks:\n"
        f"  mnli: {{data: {{source: local, path: {tmp_path / 'mnli'}}}, training: {{epochs: 1}}}}\n"
        f"  xflickrco: {{data: {{source: local, path: {tmp_path / 'xflickrco'}}}, languages: [en, de]}}\n"
    )
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
