"""The run report from a synthetic results store with known numbers: exact tables, CSV and LaTeX that parse
back, escaped text, and figures as PNG and PDF."""

from __future__ import annotations

import csv
import re
from pathlib import Path

from typer.testing import CliRunner

from tests.builders import evaluation_record
from xstilts.analysis.report import write_report
from xstilts.cli import app
from xstilts.experiments.store import ResultsStore

# (variant, seed) -> language -> accuracy; deltas vs baseline: en +2/+4, de -1/-3, "<x>" +5/+5
VALUES = {
    ("baseline", 1): {"en": 70.0, "de": 60.0, "<x>": 50.0},
    ("baseline", 2): {"en": 72.0, "de": 62.0, "<x>": 52.0},
    ("mnli", 1): {"en": 72.0, "de": 59.0, "<x>": 55.0},
    ("mnli", 2): {"en": 76.0, "de": 59.0, "<x>": 57.0},
}


def _store(run_dir: Path) -> None:
    store = ResultsStore(run_dir / "results.sqlite")
    for (variant, seed), values in VALUES.items():
        store.record_phase(evaluation_record(f"{variant}-{seed}", variant, seed, values))


def _csv(run_dir: Path, name: str) -> list[dict[str, str]]:
    with (run_dir / "report" / "tables" / f"{name}.csv").open() as handle:
        return list(csv.DictReader(handle))


def test_main_table_has_exact_scores_and_paired_deltas(tmp_path: Path) -> None:
    _store(tmp_path)
    write_report(tmp_path)
    main = {row["variant"]: row for row in _csv(tmp_path, "main")}
    assert float(main["baseline"]["xnli"]) == 61.0  # mean over seeds of the mean over languages
    assert float(main["mnli"]["xnli"]) == 63.0
    assert float(main["mnli"]["Δ xnli"]) == 2.0
    assert main["baseline"]["Δ xnli"] == "" and main["mnli"]["xtreme"] == ""  # XTREME needs all its tasks


def test_robustness_seeds_and_language_tables(tmp_path: Path) -> None:
    _store(tmp_path)
    write_report(tmp_path)
    robustness = _csv(tmp_path, "robustness")[0]
    assert float(robustness["mean Δ"]) == 2.0  # (3 - 2 + 5) / 3
    assert float(robustness["worst Δ"]) == -2.0 and robustness["worst language"] == "de"
    assert abs(float(robustness["% improved"]) - 200 / 3) < 1e-9
    seeds = {row["variant"]: row for row in _csv(tmp_path, "seeds")}
    assert float(seeds["mnli"]["mean"]) == 63.0 and float(seeds["mnli"]["seeds"]) == 2
    assert float(seeds["mnli"]["p"]) == 0.5  # exact sign-flip test, two positive paired differences
    per_language = {row["language"]: row for row in _csv(tmp_path, "seeds-languages")}
    assert float(per_language["de"]["Δ"]) == -2.0 and float(per_language["de"]["p"]) == 0.5
    assert float(per_language["de"]["p (Holm)"]) == 1.0  # three tests at p = 0.5
    languages = {row["language"]: row for row in _csv(tmp_path, "languages-xnli-test-accuracy")}
    assert float(languages["de"]["Δ mnli"]) == -2.0 and float(languages["avg"]["Δ mnli"]) == 2.0


def test_page_is_self_contained_and_escaped_and_latex_is_booktabs(tmp_path: Path) -> None:
    _store(tmp_path)
    page = write_report(tmp_path).read_text()
    assert page.startswith("<!DOCTYPE html>")
    assert "&lt;x&gt;" in page and "<x>" not in page
    assert '<td class="up">+2.00</td>' in page
    assert re.search(r'<img alt="[^"]+" src="data:image/png;base64,[A-Za-z0-9+/=]{200,}">', page)
    assert "http" not in page  # nothing to fetch
    latex = (tmp_path / "report" / "tables" / "main.tex").read_text()
    assert "\\toprule" in latex and "\\bottomrule" in latex and "$\\Delta$ xnli" in latex
    body = [line for line in latex.splitlines() if line.endswith("\\\\")]
    assert len(body) == 1 + 2 and all(line.count(" & ") == 6 for line in body)  # header + two variants
    figures = tmp_path / "report" / "figures"
    assert (figures / "heatmap-xnli.png").read_bytes().startswith(b"\x89PNG")
    assert (figures / "heatmap-xnli.pdf").read_bytes().startswith(b"%PDF")


def test_report_command(tmp_path: Path) -> None:
    _store(tmp_path)
    result = CliRunner().invoke(app, ["report", str(tmp_path)])
    assert result.exit_code == 0 and "index.html" in result.output


def test_report_without_a_baseline_still_renders(tmp_path: Path) -> None:
    ResultsStore(tmp_path / "results.sqlite").record_phase(evaluation_record("m", "mnli", 1, {"de": 50.0}))
    assert "mnli" in write_report(tmp_path).read_text()


def test_curves_against_the_number_of_intermediate_tasks(tmp_path: Path) -> None:
    _store(tmp_path)
    store = ResultsStore(tmp_path / "results.sqlite")
    # a two-task mix: deltas +4, +4, +4 in seed 1 and +2, +2, +2 in seed 2
    mix = {1: {"en": 74.0, "de": 64.0, "<x>": 54.0}, 2: {"en": 74.0, "de": 64.0, "<x>": 54.0}}
    for seed, values in mix.items():
        store.record_phase(evaluation_record(f"mix-{seed}", "mnli+squad_v1", seed, values))
    write_report(tmp_path)
    rows = {int(row["tasks in variant"]): row for row in _csv(tmp_path, "task-count")}
    assert float(rows[1]["mean Δ"]) == 2.0 and float(rows[2]["mean Δ"]) == 3.0
    assert float(rows[2]["worst Δ"]) == 3.0 and float(rows[2]["% improved"]) == 100.0
    assert (tmp_path / "report" / "figures" / "task-count-xnli.pdf").exists()


def test_variant_names_with_a_method_arm_make_valid_file_names(tmp_path) -> None:
    from xstilts.artefacts import file_stem

    assert file_stem("scatter-xnli-mnli+squad_v1/lora-syntactic") == "scatter-xnli-mnli+squad_v1_lora-syntactic"
    assert file_stem("xnli@de~dev-de") == "xnli@de~dev-de"
