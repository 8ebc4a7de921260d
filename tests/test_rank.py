"""`xstilts rank` on a tiny random model: the estimates before any run (no artefacts), LogME and the k-NN probe once
the intermediate artefacts exist, and the comparison with realised deltas in the printout and the report."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from tests.conftest import experiment_yaml
from xstilts.analysis.ranking import estimate_tables, predicted_order, with_typology
from xstilts.artefacts import PhaseDir
from xstilts.cli import app
from xstilts.experiments.ranking import ranking_plan
from xstilts.experiments.spec import load_spec
from xstilts.experiments.store import ResultsStore

LANGUAGES = ("de", "en", "sw")


def _experiment(tmp_path: Path, tiny_model: Path, data_root: Path) -> Path:
    path = tmp_path / "experiment.yaml"
    path.write_text(experiment_yaml(tiny_model, data_root, intermediate="[none, mnli, squad_v1]"))
    return path


def _rank(experiment: Path, run_dir: Path) -> Any:
    result = CliRunner().invoke(app, ["rank", str(experiment), "--out", str(run_dir), "--sample", "64"])
    assert result.exit_code == 0, result.output
    return result


def test_rank_before_a_run_estimates_without_artefacts(tmp_path: Path, tiny_model: Path, data_root: Path) -> None:
    experiment = _experiment(tmp_path, tiny_model, data_root)
    run_dir = tmp_path / "run"
    output = _rank(experiment, run_dir).output
    assert "xnli: transferability estimates" in output
    assert "no LogME / kNN (phase" in output and "not trained in" in output
    assert "forward passes" in output
    record = json.loads((run_dir / "ranking" / "estimates.json").read_text())
    (target,) = record["targets"]
    assert [c["name"] for c in target["candidates"]] == ["mnli", "squad_v1"]
    mnli, squad = target["candidates"]
    # XNLI trains on MNLI: the same sample, so the dataset embeddings coincide
    assert mnli["scores"]["similarity"] > squad["scores"]["similarity"]
    assert abs(mnli["scores"]["similarity"] - 1.0) < 1e-9
    assert mnli["scores"]["logme"] is None and squad["scores"]["data_size"] == 96
    assert set(mnli["per_language"]["overlap"]) == set(LANGUAGES)
    assert record["cost"]["sequences"] > 0 and record["cost"]["encoders"] == 1
    csv = (run_dir / "ranking" / "tables" / "rank-xnli.csv").read_text()
    assert csv.splitlines()[0].startswith("estimator,better,mnli,squad_v1,pretrained")
    assert (run_dir / "ranking" / "tables" / "rank-xnli.tex").exists()
    assert "no realised deltas in the store yet" in output


def _fake_artefacts_and_store(experiment: Path, run_dir: Path, tiny_model: Path, deltas: dict[str, float]) -> None:
    """Intermediate 'artefacts' (the tiny model itself, marked done) and evaluation results with known deltas."""
    plan = ranking_plan(load_spec(experiment, []))
    for candidate in plan.candidates:
        directory = PhaseDir.of(run_dir, candidate.phase)
        shutil.copytree(tiny_model, directory.encoder)
        directory.mark_done()
    store = ResultsStore(run_dir / "results.sqlite")
    for number, (variant, delta) in enumerate({"baseline": 0.0, **deltas}.items()):
        metrics = [
            {"task": "xnli", "language": lang, "split": "test", "metric": "accuracy", "value": 50.0 + delta + i}
            for i, lang in enumerate(LANGUAGES)
        ]
        store.record_phase(
            {
                "id": f"eval{number}",
                "kind": "evaluate",
                "role": "evaluate",
                "variant": variant,
                "seed": 1,
                "tasks": ["xnli"],
                "parent": None,
                "config": {},
                "metrics": metrics,
            }
        )


def test_rank_with_artefacts_and_realised_deltas(tmp_path: Path, tiny_model: Path, data_root: Path) -> None:
    experiment = _experiment(tmp_path, tiny_model, data_root)
    run_dir = tmp_path / "run"
    _fake_artefacts_and_store(experiment, run_dir, tiny_model, {"mnli": 4.0, "squad_v1": -1.0})
    output = _rank(experiment, run_dir).output
    record = json.loads((run_dir / "ranking" / "estimates.json").read_text())
    (target,) = record["targets"]
    for candidate in target["candidates"]:
        assert candidate["artefact"] and candidate["missing"] is None
        # the "intermediate" encoder is the pretrained one: the same features, so the same LogME and accuracy
        assert abs(candidate["scores"]["logme"] - target["reference"]["logme"]) < 1e-9
        assert candidate["scores"]["knn"] == target["reference"]["knn"]
    assert record["cost"]["encoders"] == 3
    agreement = (run_dir / "ranking" / "tables" / "rank-agreement.csv").read_text().splitlines()
    rows = {(r.split(",")[1], r.split(",")[2]): r.split(",") for r in agreement[1:]}
    # similarity and training size put mnli (realised +4) above squad_v1 (realised -1): ρ = 1, NDCG = 1
    for estimator in ("similarity", "train size"):
        assert float(rows[("all", estimator)][5]) == 1.0 and float(rows[("all", estimator)][8]) == 1.0
    # LogME ties (the same encoder): no ρ, and NDCG is the expectation over both orders
    assert rows[("all", "LogME")][5] == ""
    assert abs(float(rows[("all", "LogME")][8]) - 0.5 * (1 + 1 / 1.5849625007211563)) < 1e-9
    assert ("Niger-Congo", "similarity") in rows  # Swahili's family
    assert "Combined ranker" in output and "needs at least 3" in output
    page = (run_dir / "report" / "index.html").read_text()
    assert "Transferability estimates (xstilts rank)" in page and "Spearman" in page


def test_source_language_candidates_get_uriel_distances() -> None:
    record = {
        "sample_size": 8,
        "seed": 0,
        "device": "cpu",
        "notes": [],
        "cost": {"sequences": 1, "batches": 1, "encoders": 1, "forward_seconds": 0.1, "load_seconds": 0.1}
        | {"total_seconds": 0.3},
        "targets": [
            {
                "task": "xnli",
                "languages": ["de", "sw"],
                "notes": [],
                "reference": {},
                "candidates": [
                    {"name": name, "source_languages": [source], "scores": {"similarity": 0.5}, "per_language": {}}
                    for name, source in (("xnli@de", "de"), ("xnli@sw", "sw"), ("xnli@zh", "zh"))
                ],
            }
        ],
    }
    with_typology(record)
    candidates = record["targets"][0]["candidates"]
    # a language is at distance 0 from itself
    assert candidates[0]["per_language"]["uriel_genetic"]["de"] == 0.0
    assert candidates[1]["per_language"]["uriel_genetic"]["sw"] == 0.0
    (table,) = estimate_tables(record)
    rows = {row[0]: row for row in table.rows}
    # Chinese is further from German and Swahili (genetically) than either is from the pair
    assert str(rows["URIEL genetic"][-1]).endswith("> xnli@zh")
    assert str(rows["similarity"][-1]) == "xnli@de = xnli@sw = xnli@zh"


def test_predicted_order() -> None:
    assert predicted_order(["a", "b", "c"], [0.1, 0.3, None]) == "b > a"
    assert predicted_order(["a", "b", "c"], [1.0, 1.0, 2.0]) == "c > a = b"


def test_pooled_rows_are_in_feature_order_and_match_one_at_a_time(tiny_model: Path) -> None:
    import numpy as np
    import torch

    from xstilts.data.examples import ClassificationExample
    from xstilts.evaluation.transfer_features import FeatureEncoder, ForwardCost, featurize_sample

    cost = ForwardCost()
    encoder = FeatureEncoder.load(str(tiny_model), None, False, 2, torch.device("cpu"), cost)
    texts = ["the cat sat", "a dog", "the dog sat on the cat", "cat"]
    examples = [ClassificationExample(str(i), t, None, "entailment") for i, t in enumerate(texts)]
    labels = ("entailment", "neutral", "contradiction")
    features = featurize_sample("xnli", examples, encoder.tokenizer, labels, {"max_length": 16}, training=True)
    batched = encoder.pooled(features, "mean")
    first = encoder.pooled(features, "first", limit=3)
    assert batched.shape == (4, 32) and first.shape == (3, 32)
    for i, ids in enumerate(features.sequences["input_ids"]):
        with torch.no_grad():
            hidden = encoder.encoder(input_ids=torch.tensor([ids])).last_hidden_state[0].double().numpy()
        assert np.allclose(batched[i], hidden.mean(axis=0), atol=1e-5)
        if i < 3:
            assert np.allclose(first[i], hidden[0], atol=1e-5)
    assert cost.sequences == 7 and cost.batches == 4 and cost.encoders == 1
