"""`xstilts submission` as a user runs it: a tiny run with three variants and three targets (XNLI and PAWS-X in
every official XTREME language, so the classification group is complete; XQuAD in two), then the submission of
the variants chosen on English dev, scored back by `xstilts score`: every number must equal the report's exactly
(the same prediction files, the same aggregation code)."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests import builders
from xstilts.benchmarks import TASK_LANGUAGES
from xstilts.cli import app
from xstilts.evaluation.submission_export import MANIFEST

pytestmark = pytest.mark.slow

XNLI = list(TASK_LANGUAGES["xtreme"]["xnli"])
PAWSX = list(TASK_LANGUAGES["xtreme"]["pawsx"])
WORDS = ("en", "de", "sw", "fr")  # the languages the tiny vocabulary has words for; the others borrow theirs
TRAINING = "{lr: 5.0e-4, batch_size: 16, max_length: 48, epochs: 1, eval_batch_size: 64}"


def _write_xnli(directory: Path, n: int) -> dict[str, list[str]]:
    """XNLI-1.0 files in every XTREME language (words borrowed from ``WORDS``); returns the test labels."""
    builders.write_xnli_official(directory, list(WORDS), n)
    labels: dict[str, list[str]] = {}
    for split in ("dev", "test"):
        header, *rows = (directory / f"xnli.{split}.tsv").read_text(encoding="utf-8").splitlines()
        by_language: dict[str, list[list[str]]] = {}
        for row in rows:
            fields = row.split("\t")
            by_language.setdefault(fields[0], []).append(fields)
        lines = [header]
        for k, language in enumerate(XNLI):
            for fields in by_language[WORDS[k % len(WORDS)]]:
                lines.append("\t".join([language, *fields[1:]]))
                if split == "test":
                    labels.setdefault(language, []).append(fields[1])
        (directory / f"xnli.{split}.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return labels


def _write_pawsx(directory: Path, n: int) -> dict[str, list[str]]:
    builders.write_pawsx_official(directory, ["en", "de", "fr"], n)
    for k, language in enumerate(PAWSX):
        if not (directory / language).exists():
            shutil.copytree(directory / ("de", "fr")[k % 2], directory / language)
    labels = {}
    for language in PAWSX:
        rows = (directory / language / "test_2k.tsv").read_text(encoding="utf-8").splitlines()[1:]
        labels[language] = [row.split("\t")[3] for row in rows]
    return labels


@pytest.fixture(scope="module")
def scored_submission(tiny_model: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    root = tmp_path_factory.mktemp("submission-e2e")
    data, labels = root / "data", root / "labels"
    builders.write_glue_mnli(data / "mnli", n_train=96, n_dev=24)
    builders.write_squad(data / "squad", n_train=64, n_dev=16)
    builders.write_xquad(data / "xquad", ["en", "de"], n=12)
    for language, gold in _write_xnli(data / "xnli", 6).items():
        builders.write_text(labels / "xnli" / f"test-{language}.tsv", "".join(f"{g}\n" for g in gold))
    for language, gold in _write_pawsx(data / "pawsx", 8).items():
        builders.write_text(labels / "pawsx" / f"test-{language}.tsv", "".join(f"{g}\n" for g in gold))
    for language in ("en", "de"):
        gold = (data / "xquad" / f"xquad.{language}.json").read_text(encoding="utf-8")
        builders.write_text(labels / "xquad" / f"test-{language}.json", gold)
    qa = "training: {max_length: 64, doc_stride: 32, max_query_length: 16}"
    spec = root / "experiment.yaml"
    spec.write_text(
        "\n".join(
            [
                "name: tiny-submission",
                f"model: {tiny_model}",
                "seeds: [1]",
                "intermediate: [none, mnli, squad_v1]",
                "target: [xnli, pawsx, xquad]",
                f"training: {TRAINING}",
                "tasks:",
                f"  mnli: {{data: {{source: local, path: {data / 'mnli'}}}}}",
                f"  xnli: {{data: {{source: local, path: {data / 'xnli'}}}}}",
                f"  pawsx: {{data: {{source: local, path: {data / 'pawsx'}}}}}",
                f"  squad_v1: {{data: {{source: local, path: {data / 'squad'}}}, {qa}}}",
                f"  xquad: {{data: {{source: local, path: {data / 'xquad'}}}, languages: [en, de], {qa}}}",
            ]
        )
        + "\n"
    )
    runner = CliRunner()
    run = runner.invoke(app, ["run", str(spec), "--out", str(root / "run")])
    assert run.exit_code == 0, run.output
    arguments = ["submission", str(root / "run"), "--benchmark", "xtreme", "--out", str(root / "submission")]
    refused = runner.invoke(app, arguments)
    written = runner.invoke(app, [*arguments, "--partial"])
    assert written.exit_code == 0, written.output
    score = ["score", "--predictions", str(root / "submission"), "--labels", str(labels), "--benchmark", "xtreme"]
    result = runner.invoke(app, [*score, "--json"])
    assert result.exit_code == 0, result.output
    results = runner.invoke(app, ["results", str(root / "run"), "--json"])
    return {
        "root": root,
        "refused": refused,
        "scores": json.loads(result.output),
        "manifest": json.loads((root / "submission" / MANIFEST).read_text()),
        "records": json.loads(results.output),
        "plan": json.loads((root / "run" / "plan.json").read_text()),
    }


def _report_rows(root: Path, name: str) -> list[dict[str, str]]:
    with (root / "run" / "report" / "tables" / f"{name}.csv").open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_a_submission_missing_tasks_is_refused_without_partial(scored_submission: dict) -> None:
    refused = scored_submission["refused"]
    assert refused.exit_code == 2
    assert "no evaluation for udpos, panx, mlqa, tydiqa, bucc2018, tatoeba" in refused.output
    assert "xquad lacks 9 official test language(s)" in refused.output and "--partial" in refused.output


def test_manifest_names_the_chosen_variant_and_its_evaluation_phase(scored_submission: dict) -> None:
    manifest, plan = scored_submission["manifest"], scored_submission["plan"]
    rows = _report_rows(scored_submission["root"], "best-per-target")
    chosen = {row["target"]: row for row in rows if row["chosen by"] == "English dev"}
    assert set(manifest["tasks"]) == {"xnli", "pawsx", "xquad"} and manifest["partial"] is True
    for task, entry in manifest["tasks"].items():
        assert entry["variant"] == chosen[task]["variant"] and entry["seed"] == 1
        (phase,) = [
            p for p in plan if p["role"] == "evaluate" and p["tasks"] == [task] and p["variant"] == entry["variant"]
        ]
        assert entry["phase"] == phase["id"]
        assert all(f"/phases/{phase['id']}/predictions/{task}/" in path for path in entry["files"].values())
        assert entry["selection"]["dev_score"] == float(chosen[task]["English dev"])
    assert manifest["tasks"]["xquad"]["missing_languages"] == [
        lang for lang in TASK_LANGUAGES["xtreme"]["xquad"] if lang not in ("en", "de")
    ]


def test_score_reproduces_the_reports_numbers_exactly(scored_submission: dict) -> None:
    scores, root = scored_submission["scores"], scored_submission["root"]
    seeds = [r for r in _report_rows(root, "best-per-target-seeds") if r["benchmark"] == "xtreme"]
    dev_rule = {r["task"]: r for r in seeds if r["chosen by"] == "English dev"}
    assert set(dev_rule) == {"xnli", "pawsx", "xquad"}
    for task, row in dev_rule.items():
        assert scores[task]["avg_metric"] == float(row["score"]), task  # exactly: no tolerance
    (benchmark,) = [
        r
        for r in _report_rows(root, "best-per-target-benchmarks")
        if r["chosen by"] == "English dev" and r["benchmark"] == "xtreme"
    ]
    assert scores["classification"] == float(benchmark["classification"])  # XNLI and PAWS-X: complete
    assert "all_task" not in scores and benchmark["all_task"] == ""
    assert scores["xstilts"]["incomplete_tasks"] == {
        "xquad": [lang for lang in TASK_LANGUAGES["xtreme"]["xquad"] if lang not in ("en", "de")]
    }


def test_per_language_scores_are_the_stored_ones_exactly(scored_submission: dict) -> None:
    scores, manifest = scored_submission["scores"], scored_submission["manifest"]
    stored: dict[tuple[str, str, str], float] = {
        (r["phase"], r["metric"], r["language"]): r["value"]
        for r in scored_submission["records"]
        if r["role"] == "evaluate"
    }
    for task, entry in manifest["tasks"].items():
        for metric in ("accuracy",) if task != "xquad" else ("exact_match", "f1"):
            assert scores[task][metric] == {lang: stored[(entry["phase"], metric, lang)] for lang in entry["files"]}
