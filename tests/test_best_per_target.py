"""The "best per target" selection (``analysis.best_per_target``) on a faked results store: every XTREME task as a
target, three variants, two seeds, phase-2 English dev scores chosen so that the rule, its tie-break, the retrieval
rule and the oracle can each be told apart; the report section, ``xstilts results`` and ``xstilts submission``'s
refusals and manifest. The end-to-end check through real prediction files is ``test_submission_end_to_end.py``."""

from __future__ import annotations

import json
from pathlib import Path
from statistics import fmean

import pytest
from typer.testing import CliRunner

from xstilts.analysis.best_per_target import (
    ENGLISH_DEV,
    NO_PHASE_2,
    ORACLE,
    best_per_target,
    selection_benchmark_scores,
)
from xstilts.analysis.best_per_target_tables import NO_BENCHMARK_NOTE, best_per_target_tables
from xstilts.benchmarks import QA_TASKS, SUBMISSION_FILES, TASK_LANGUAGES, TASK_METRIC
from xstilts.cli import app
from xstilts.evaluation.submission_export import MANIFEST
from xstilts.experiments.store import STORE_NAME, ResultsStore, current_metrics, current_phases

SEEDS = (1, 2)
VARIANTS = ("baseline", "mnli", "squad_v1")
RETRIEVAL = ("bucc2018", "tatoeba")  # evaluated on the encoder: no phase 2
# target -> variant -> English dev score (the same for both seeds, so the mean is exact): mnli wins XNLI on a tie
# with squad_v1 (listed first), squad_v1 wins the QA tasks, the baseline the rest.
DEV = {
    "xnli": {"baseline": 70.0, "mnli": 75.0, "squad_v1": 75.0},
    **{task: {"baseline": 50.0, "mnli": 55.0, "squad_v1": 60.0} for task in QA_TASKS},
}
DEV_DEFAULT = {"baseline": 80.0, "mnli": 79.0, "squad_v1": 78.0}
OFFSET = {"baseline": 0.0, "mnli": 1.0, "squad_v1": 2.0}  # on test squad_v1 is best everywhere: the oracle


def _test_value(task: str, variant: str, seed: int, language_index: int) -> float:
    return 40.0 + OFFSET[variant] + 0.5 * seed + 0.25 * language_index + (len(task) % 3)


def _record(phase_id: str, role: str, variant: str, seed: int, task: str, parent: str | None, metrics: list) -> dict:
    kind = "evaluate" if role == "evaluate" else "train"
    return {
        "id": phase_id, "kind": kind, "role": role, "variant": variant, "seed": seed, "tasks": [task],
        "parent": parent, "config": {}, "metrics": metrics,
    }  # fmt: skip


def _eval_metrics(task: str, variant: str, seed: int) -> list[dict]:
    metric = TASK_METRIC[task]
    names = metric if isinstance(metric, tuple) else (metric,)
    rows = []
    for k, language in enumerate(TASK_LANGUAGES["xtreme"][task]):
        for n, name in enumerate(names):  # QA: EM 10 points below F1
            value = _test_value(task, variant, seed, k) - 10.0 * (len(names) - 1 - n)
            rows.append({"task": task, "language": language, "split": "test", "metric": name, "value": value})
    return rows


def phase_records(targets: tuple[str, ...]) -> list[dict]:
    records = []
    for seed in SEEDS:
        for variant in VARIANTS:
            for task in targets:
                parent = None
                if task not in RETRIEVAL:
                    parent = f"target-{task}-{variant}-{seed}"
                    dev = DEV.get(task, DEV_DEFAULT)[variant]
                    metric = TASK_METRIC[task]
                    selection = "f1" if isinstance(metric, tuple) else metric
                    dev_rows = [
                        {"task": task, "language": "en", "split": "dev", "metric": selection, "value": dev},
                        {"task": task, "language": "en", "split": "dev", "metric": "other", "value": 99.0},
                    ]
                    records.append(_record(parent, "target", variant, seed, task, None, dev_rows))
                eval_id = f"evaluate-{task}-{variant}-{seed}"
                records.append(
                    _record(eval_id, "evaluate", variant, seed, task, parent, _eval_metrics(task, variant, seed))
                )
    return records


ALL_XTREME = tuple(TASK_LANGUAGES["xtreme"])


def _store(directory: Path, targets: tuple[str, ...]) -> Path:
    store = ResultsStore(directory / STORE_NAME)
    (directory / "phases").mkdir()
    for record in phase_records(targets):
        store.record_phase(record)
    return directory


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _store(tmp_path_factory.mktemp("run"), ALL_XTREME)


def _selection(run_dir: Path) -> dict:
    return best_per_target(current_metrics(run_dir), current_phases(run_dir))


def test_english_dev_rule_tie_break_and_retrieval_without_phase_2(run_dir: Path) -> None:
    chosen = {choice.target: choice for choice in _selection(run_dir)[ENGLISH_DEV]}
    assert set(chosen) == set(ALL_XTREME)
    assert chosen["xnli"].chosen.variant == "mnli"  # 75 = 75: the first listed of equal scores
    assert chosen["xnli"].note == "xnli dev (en) accuracy" and chosen["xnli"].chosen.dev_mean() == 75.0
    for task in QA_TASKS:
        assert chosen[task].chosen.variant == "squad_v1" and chosen[task].note == f"{task} dev (en) f1"
    for task in ("pawsx", "udpos", "panx"):
        assert chosen[task].chosen.variant == "baseline" and chosen[task].delta() is None
    for task in RETRIEVAL:
        assert chosen[task].chosen.variant == "baseline" and chosen[task].note == NO_PHASE_2
        assert chosen[task].chosen.dev_mean() is None


def test_oracle_chooses_on_test(run_dir: Path) -> None:
    oracle = _selection(run_dir)[ORACLE]
    assert {choice.chosen.variant for choice in oracle} == {"squad_v1"}
    assert all(choice.delta() == pytest.approx(2.0) for choice in oracle)


def test_test_scores_deltas_and_languages(run_dir: Path) -> None:
    chosen = {choice.target: choice for choice in _selection(run_dir)[ENGLISH_DEV]}
    xnli = chosen["xnli"]
    languages = TASK_LANGUAGES["xtreme"]["xnli"]
    expected = fmean(_test_value("xnli", "mnli", s, k) for s in SEEDS for k in range(len(languages)))
    assert xnli.chosen.test_mean() == pytest.approx(expected)
    assert xnli.delta() == pytest.approx(1.0)  # mnli − baseline, paired by seed
    rows = xnli.language_rows()
    assert rows["ar"] == (pytest.approx(fmean(_test_value("xnli", "mnli", s, 0) for s in SEEDS)), pytest.approx(1.0))
    # QA: a language's score is (EM + F1) / 2, the task score (mean EM + mean F1) / 2
    mlqa = chosen["mlqa"]
    assert mlqa.chosen.language_scores(1)["en"] == pytest.approx(_test_value("mlqa", "squad_v1", 1, 0) - 5.0)
    assert mlqa.delta() == pytest.approx(2.0)


def test_benchmark_scores_of_the_selection_per_seed(run_dir: Path) -> None:
    choices = _selection(run_dir)[ENGLISH_DEV]
    variant = {choice.target: choice.chosen.variant for choice in choices}
    for seed in SEEDS:
        scores = selection_benchmark_scores(choices, seed, "xtreme")

        def expected(task: str, seed: int = seed) -> float:
            n = len(TASK_LANGUAGES["xtreme"][task])
            shift = 5.0 if task in QA_TASKS else 0.0
            return fmean(_test_value(task, variant[task], seed, k) for k in range(n)) - shift

        assert scores["tasks"] == {task: pytest.approx(expected(task)) for task in ALL_XTREME}
        assert scores["incomplete"] == {} and scores["missing"] == []
        assert scores["overall"] == pytest.approx(fmean(expected(task) for task in ALL_XTREME))
        assert scores["groups"]["classification"] == pytest.approx((expected("pawsx") + expected("xnli")) / 2)
        # XTREME-R: only its tasks, over its languages (PAN-X, UD-POS, Tatoeba, XQuAD lack XTREME-R's extra ones)
        xtreme_r = selection_benchmark_scores(choices, seed, "xtreme-r")
        assert set(xtreme_r["incomplete"]) == {"panx", "udpos", "tatoeba", "xquad"}
        assert xtreme_r["incomplete"]["xquad"] == ["ro"]
        assert "pawsx" not in xtreme_r["tasks"] and xtreme_r["overall"] is None  # not an XTREME-R task
        assert "xcopa" in xtreme_r["missing"] and "xcopa" not in xtreme_r["tasks"]


def test_report_and_results_show_the_tables(tmp_path: Path) -> None:
    run_dir = _store(tmp_path, ("xnli", "tatoeba"))  # few targets: the whole report is drawn
    result = CliRunner().invoke(app, ["report", str(run_dir)])
    assert result.exit_code == 0, result.output
    page = (run_dir / "report" / "index.html").read_text()
    assert "Best per target (chosen on English dev)" in page and "not a valid result" in page
    for name in ("best-per-target", "best-per-target-languages", "best-per-target-benchmarks", "best-per-target-seeds"):
        assert (run_dir / "report" / "tables" / f"{name}.csv").exists()
    csv = (run_dir / "report" / "tables" / "best-per-target.csv").read_text().splitlines()
    assert csv[0] == "target,chosen by,variant,arm,selected on,English dev,seeds,test,Δ test"
    assert any(line.startswith("xnli,English dev,mnli,–,xnli dev (en) accuracy,75.0,2,") for line in csv)
    assert any(line.startswith("tatoeba,English dev,baseline,–," + NO_PHASE_2) for line in csv)
    shown = CliRunner().invoke(app, ["results", str(run_dir)])
    assert shown.exit_code == 0, shown.output
    assert "Best per target" in shown.output and "Benchmark scores of the chosen set" in shown.output
    assert "oracle: not a valid result" in shown.output


def test_method_arms_compete_and_compare_with_their_own_baseline(tmp_path: Path) -> None:
    store = ResultsStore(tmp_path / STORE_NAME)
    (tmp_path / "phases").mkdir()
    for record in phase_records(("xnli",)):
        for arm, shift in (("full", 0.0), ("lora", 3.0)):
            variant = f"{record['variant']}/{arm}"
            metrics = [{**m, "value": m["value"] + shift} for m in record["metrics"]]
            parent = record["parent"] and f"{record['parent']}/{arm}"
            store.record_phase({**record, "id": f"{record['id']}/{arm}", "variant": variant, "parent": parent,
                                "metrics": metrics})  # fmt: skip
    (choice,) = _selection(tmp_path)[ENGLISH_DEV]
    assert choice.chosen.variant == "mnli/lora" and choice.chosen.arm == "lora"  # dev 78 beats every full variant
    assert choice.baseline is not None and choice.baseline.variant == "baseline/lora"
    assert choice.delta() == pytest.approx(1.0)


def _write_predictions(run_dir: Path, task: str, variant: str, seed: int, languages: list[str]) -> None:
    folder = run_dir / "phases" / f"evaluate-{task}-{variant}-{seed}" / "predictions" / task
    folder.mkdir(parents=True)
    for language in languages:
        (folder / f"test-{language}.{SUBMISSION_FILES[task].extension}").write_text(f"{variant} {seed}\n")


def test_submission_refuses_what_is_missing_then_writes_partial_with_manifest(run_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "submission"
    arguments = ["submission", str(run_dir), "--benchmark", "xtreme", "--out", str(out)]
    several = CliRunner().invoke(app, arguments)
    assert several.exit_code == 2 and "seeds 1, 2" in several.output and "--seed" in several.output
    _write_predictions(run_dir, "xnli", "mnli", 2, list(TASK_LANGUAGES["xtreme"]["xnli"]))
    _write_predictions(run_dir, "pawsx", "baseline", 2, ["en", "de"])
    refused = CliRunner().invoke(app, [*arguments, "--seed", "2"])
    assert refused.exit_code == 2, refused.output
    assert "pawsx lacks 5 official test language(s): es fr ja ko zh" in refused.output
    assert "--partial" in refused.output and not out.exists()
    written = CliRunner().invoke(app, [*arguments, "--seed", "2", "--partial"])
    assert written.exit_code == 0, written.output
    assert (out / "xnli" / "test-sw.tsv").read_text() == "mnli 2\n"
    assert sorted(p.name for p in (out / "pawsx").iterdir()) == ["test-de.tsv", "test-en.tsv"]
    manifest = json.loads((out / MANIFEST).read_text())
    xnli = manifest["tasks"]["xnli"]
    assert (xnli["variant"], xnli["seed"], xnli["phase"]) == ("mnli", 2, "evaluate-xnli-mnli-2")
    assert xnli["selection"]["selected_on"] == "xnli dev (en) accuracy" and xnli["selection"]["dev_score"] == 75.0
    assert xnli["files"]["de"].endswith("phases/evaluate-xnli-mnli-2/predictions/xnli/test-de.tsv")
    assert manifest["tasks"]["pawsx"]["missing_languages"] == ["es", "fr", "ja", "ko", "zh"]
    assert manifest["complete"] is False and manifest["partial"] is True
    assert manifest["tasks"]["panx"]["files"] == {}  # chosen, evaluated, but no prediction file here
    again = CliRunner().invoke(app, [*arguments, "--seed", "2", "--partial"])
    assert again.exit_code == 2 and "not an empty folder" in again.output
    unknown = CliRunner().invoke(app, [*arguments[:3], "glue", "--out", str(out)])
    assert unknown.exit_code == 2 and "unknown benchmark" in unknown.output


def test_a_target_outside_the_benchmarks_is_chosen_and_left_out_of_their_scores(tmp_path: Path) -> None:
    """The demo's targets (``demo_nli``): chosen by the same rule, scored as the report scores them, no benchmark."""
    store = ResultsStore(tmp_path / STORE_NAME)
    for variant, dev, test in (("baseline", 60.0, {"en": 50.0, "de": 40.0}), ("mnli", 65.0, {"en": 54.0, "de": 41.0})):
        dev_rows = [{"task": "demo_nli", "language": "en", "split": "dev", "metric": "accuracy", "value": dev}]
        test_rows = [
            {"task": "demo_nli", "language": lang, "split": "test", "metric": "accuracy", "value": v}
            for lang, v in test.items()
        ]
        store.record_phase(_record(f"t-{variant}", "target", variant, 1, "demo_nli", None, dev_rows))
        store.record_phase(_record(f"e-{variant}", "evaluate", variant, 1, "demo_nli", f"t-{variant}", test_rows))
    (choice,) = _selection(tmp_path)[ENGLISH_DEV]
    assert choice.chosen.variant == "mnli" and choice.chosen.test_mean() == 47.5 and choice.delta() == 2.5
    for benchmark in ("xtreme", "xtreme-r"):
        scores = selection_benchmark_scores([choice], 1, benchmark)  # type: ignore[arg-type]
        assert scores["tasks"] == {} and scores["overall"] is None
    tables = best_per_target_tables(_selection(tmp_path))  # no empty benchmark tables, a note instead
    assert [t.name for t in tables] == ["best-per-target", "best-per-target-languages"]
    assert NO_BENCHMARK_NOTE in tables[0].notes
