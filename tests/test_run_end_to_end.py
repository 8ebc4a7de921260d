"""`xstilts run` as a user runs it: a config with a baseline, one intermediate task and a multi-task mix,
two target tasks of both kinds, then `xstilts results`, a rerun that skips everything, and the artefacts."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.builders import reference_f1, reference_normalize
from tests.conftest import experiment_yaml
from xstilts.cli import app

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def finished_run(tiny_model: Path, data_root: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    root = tmp_path_factory.mktemp("e2e")
    spec = root / "experiment.yaml"
    spec.write_text(
        experiment_yaml(tiny_model, data_root, intermediate="[none, mnli, [mnli, squad_v1]]", target="[xnli, xquad]")
    )
    result = CliRunner().invoke(app, ["run", str(spec), "--out", str(root / "run")])
    assert result.exit_code == 0, result.output
    return root, result.output


def test_prints_per_language_table_with_deltas(finished_run: tuple[Path, str]) -> None:
    _, output = finished_run
    assert "xnli · test · accuracy" in output
    assert "xquad · test · f1" in output and "xquad · test · exact_match" in output
    for header in ("baseline", "mnli", "mnli+squad_v1", "Δ"):
        assert header in output
    for language in ("en", "de", "sw", "avg"):
        assert f"│ {language} " in output


def _rescored(run_dir: Path, record: dict, data_root: Path) -> float:
    """A test-set metric recomputed from the phase's written predictions and the raw gold files: XNLI accuracy
    over the language's rows of xnli.test.tsv (in file order), XQuAD EM / F1 (the best over the gold answers)."""
    predictions = run_dir / "phases" / record["phase"] / "predictions" / record["task"]
    language = record["language"]
    if record["task"] == "xnli":
        rows = [line.split("\t") for line in (data_root / "xnli" / "xnli.test.tsv").read_text().splitlines()[1:]]
        gold = [label for row_language, label, *_ in rows if row_language == language]
        predicted = (predictions / f"test-{language}.tsv").read_text().splitlines()
        assert len(predicted) == len(gold) and record["metric"] == "accuracy"
        return 100 * sum(p == g for p, g in zip(predicted, gold, strict=True)) / len(gold)
    document = json.loads((data_root / "xquad" / f"xquad.{language}.json").read_text(encoding="utf-8"))
    answers = {
        qa["id"]: [a["text"] for a in qa["answers"]]
        for article in document["data"]
        for paragraph in article["paragraphs"]
        for qa in paragraph["qas"]
    }
    predicted = json.loads((predictions / f"test-{language}.json").read_text(encoding="utf-8"))
    assert sorted(predicted) == sorted(answers)
    if record["metric"] == "exact_match":
        score = {
            qid: max(float(reference_normalize(predicted[qid]) == reference_normalize(g)) for g in golds)
            for qid, golds in answers.items()
        }
    else:
        assert record["metric"] == "f1"
        score = {qid: max(reference_f1(predicted[qid], g) for g in golds) for qid, golds in answers.items()}
    return 100 * sum(score.values()) / len(score)


def test_results_json_has_every_metric_record(finished_run: tuple[Path, str], data_root: Path) -> None:
    root, _ = finished_run
    result = CliRunner().invoke(app, ["results", str(root / "run"), "--json"])
    assert result.exit_code == 0, result.output
    records = json.loads(result.output)
    evaluation = [r for r in records if r["role"] == "evaluate"]
    assert {"variant", "seed", "phase", "task", "language", "split", "metric", "value"} <= set(records[0])
    cells = {(r["variant"], r["task"], r["language"], r["metric"]) for r in evaluation}
    for variant in ("baseline", "mnli", "mnli+squad_v1"):
        for language in ("en", "de", "sw"):
            assert (variant, "xnli", language, "accuracy") in cells
        for language in ("en", "de"):
            assert (variant, "xquad", language, "f1") in cells
            assert (variant, "xquad", language, "exact_match") in cells
    assert len(evaluation) == 3 * (3 + 2 * 2)
    assert all(r["split"] == "test" for r in evaluation)
    # every stored score is its phase's prediction file scored against the gold of the data files, here
    for r in evaluation:
        assert r["value"] == pytest.approx(_rescored(root / "run", r, data_root), abs=1e-9), r
    dev = [r for r in records if r["role"] != "evaluate"]
    assert {(r["task"], r["split"], r["language"]) for r in dev} >= {("mnli", "dev", "en"), ("xnli", "dev", "en")}
    table = CliRunner().invoke(app, ["results", str(root / "run")])
    assert table.exit_code == 0 and "xnli · test · accuracy" in table.output and "English dev" in table.output


def test_intermediate_artefact_is_trained_once_and_shared_by_targets(finished_run: tuple[Path, str]) -> None:
    root, _ = finished_run
    plan = json.loads((root / "run" / "plan.json").read_text())
    intermediate = [p for p in plan if p["role"] == "intermediate"]
    assert sorted(p["variant"] for p in intermediate) == ["mnli", "mnli+squad_v1"]
    for phase in intermediate:
        assert len(phase["children"]) == 2  # the xnli and the xquad target phases
    targets = [p for p in plan if p["role"] == "target"]
    assert len(targets) == 6 and len({p["id"] for p in targets}) == 6
    for phase in targets:
        expected_parent = None if phase["variant"] == "baseline" else phase["variant"]
        parent = next((p for p in plan if p["id"] == phase["parent"]), None)
        assert (parent["variant"] if parent else None) == expected_parent


def test_phase_artefacts_are_safetensors_and_json_with_marker(finished_run: tuple[Path, str]) -> None:
    root, _ = finished_run
    phases = sorted((root / "run" / "phases").iterdir())
    assert len(phases) == 2 + 6 + 6
    for directory in phases:
        record = json.loads((directory / "phase.json").read_text())
        assert (directory / "DONE").exists()
        assert not (directory / "train_state").exists()
        assert {"config", "parent", "versions", "metrics", "git_revision"} <= set(record)
        if record["kind"] == "train":
            assert (directory / "encoder" / "model.safetensors").exists()
            assert (directory / "encoder" / "config.json").exists()
            assert (directory / "heads.safetensors").exists()
            heads = json.loads((directory / "heads.json").read_text())
            assert sorted(heads) == sorted(record["tasks"])  # heads are the phase's own tasks only
        else:
            task = record["tasks"][0]
            suffix = "tsv" if task == "xnli" else "json"
            for language in record["config"]["languages"]:
                assert (directory / "predictions" / task / f"test-{language}.{suffix}").exists()
    forbidden = [p for p in (root / "run").rglob("*") if p.suffix in {".bin", ".pt", ".pkl", ".pickle"}]
    assert forbidden == []
    assert (root / "run" / "experiment.yaml").exists()


def test_classification_predictions_are_one_label_per_line(finished_run: tuple[Path, str], data_root: Path) -> None:
    root, _ = finished_run
    files = list((root / "run" / "phases").glob("*/predictions/xnli/test-sw.tsv"))
    assert len(files) == 3
    for path in files:
        labels = path.read_text().splitlines()
        assert len(labels) == 30 and set(labels) <= {"entailment", "neutral", "contradiction"}


def test_rerun_skips_every_finished_phase(finished_run: tuple[Path, str]) -> None:
    root, _ = finished_run
    stamps = {p: p.stat().st_mtime_ns for p in (root / "run" / "phases").glob("*/phase.json")}
    result = CliRunner().invoke(app, ["run", str(root / "experiment.yaml"), "--out", str(root / "run")])
    assert result.exit_code == 0, result.output
    assert result.output.count("done, skipped") == 14
    assert "running" not in result.output
    assert stamps == {p: p.stat().st_mtime_ns for p in (root / "run" / "phases").glob("*/phase.json")}


def test_dry_run_prints_plan_with_status_and_reuse(finished_run: tuple[Path, str]) -> None:
    root, _ = finished_run
    result = CliRunner().invoke(
        app, ["run", str(root / "experiment.yaml"), "--out", str(root / "run"), "--dry-run", "--set", "seeds=[1, 2]"]
    )
    assert result.exit_code == 0, result.output
    assert "28 phases; 4 artefact(s) reused by several phases" in result.output
    assert result.output.count("done") == 14 and result.output.count("pending") == 14


def test_results_rebuild_a_missing_store_from_phase_directories(finished_run: tuple[Path, str], tmp_path: Path) -> None:
    root, _ = finished_run
    copy = tmp_path / "copy"
    shutil.copytree(root / "run", copy, ignore=shutil.ignore_patterns("results.sqlite*", "encoder"))
    before = CliRunner().invoke(app, ["results", str(root / "run"), "--json"])
    result = CliRunner().invoke(app, ["results", str(copy), "--json"])
    assert result.exit_code == 0, result.output
    rebuilt = result.output[result.output.index("[") :]
    assert json.loads(rebuilt) == json.loads(before.output)


def test_a_mix_selects_on_the_mean_of_its_members_dev_scores(finished_run: tuple[Path, str]) -> None:
    """The mix's selection score, per epoch, is the unweighted mean of each member's own selection metric on its
    English dev set: MNLI accuracy and SQuAD F1 (not exact match); the best epoch is the one with the best mean."""
    root, _ = finished_run
    records = [json.loads(p.read_text()) for p in (root / "run" / "phases").glob("*/phase.json")]
    mix = next(r for r in records if r["role"] == "intermediate" and r["variant"] == "mnli+squad_v1")
    history = mix["training"]["history"]
    assert len(history) == 2
    for epoch in history:
        dev = epoch["dev"]
        assert set(dev) == {"mnli/accuracy", "squad_v1/exact_match", "squad_v1/f1"}
        assert epoch["selection_score"] == pytest.approx((dev["mnli/accuracy"] + dev["squad_v1/f1"]) / 2)
    # the members disagree, so selecting on one of them, on the larger one, or on every metric would show
    assert all(len({e["dev"]["mnli/accuracy"], e["dev"]["squad_v1/f1"]}) == 2 for e in history)
    assert any(e["dev"]["squad_v1/exact_match"] != e["dev"]["squad_v1/f1"] for e in history)
    scores = [e["selection_score"] for e in history]
    best = mix["training"]["best"]
    assert best["selection_score"] == max(scores) and best["epoch"] == scores.index(max(scores)) + 1
    stored = {(m["task"], m["metric"]): m["value"] for m in mix["metrics"]}
    assert stored == {tuple(key.split("/")): value for key, value in best["dev"].items()}
