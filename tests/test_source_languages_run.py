"""A tiny end-to-end run over non-English sources against English: PAWS-X's official German translated training set
against English PAWS-X, a user-supplied Swahili translation of MNLI's train.tsv against English MNLI, and (where
../shared/data has them) the real raw WikiANN German training file against the English one. The phases record the
provenance of their data, and the report's source-language section pairs each source with its English counterpart
on the target's every evaluation language."""

from __future__ import annotations

import csv
import random
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.builders import NLI_KEYWORDS, nli_pair, write_glue_mnli
from tests.conftest import experiment_yaml
from xstilts.analysis.report import write_report
from xstilts.artefacts import PHASE_JSON, read_json
from xstilts.cli import app

pytestmark = pytest.mark.slow

PANX_RAW = Path(__file__).resolve().parents[2] / "shared" / "data" / "panx" / "raw"
WITH_PANX = (PANX_RAW / "de" / "train").exists() and (PANX_RAW / "en" / "dev").exists()
TRAINING = "{lr: 5.0e-4, batch_size: 16, max_length: 32, epochs: 1, eval_batch_size: 64, max_train_examples: 48}"


def _translations(root: Path, data_root: Path) -> tuple[Path, Path]:
    """PAWS-X with de/translated_train.tsv added (the official layout), and MNLI's train.tsv 'translated' to sw."""
    rng = random.Random(1)
    pawsx = root / "pawsx"
    shutil.copytree(data_root / "pawsx", pawsx)
    lines = ["id\tsentence1\tsentence2\tlabel"]
    for i in range(48):
        label = rng.choice("01")
        a = " ".join(rng.choice(["hund", "haus", "baum", "katze"]) for _ in range(5))
        lines.append(f"{i + 1}\t{a}\t{a if label == '1' else 'stadt ' + a}\t{label}")
    (pawsx / "de" / "translated_train.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    english = write_glue_mnli(root / "mnli-en", n_train=48, n_dev=4, seed=3) / "train.tsv"
    rows = english.read_text(encoding="utf-8").splitlines()
    translated = [rows[0]]
    for row in rows[1:]:
        cells = row.split("\t")
        label = rng.choice(sorted(NLI_KEYWORDS))
        cells[8], cells[9] = nli_pair(rng, "sw", label)
        cells[10] = cells[11] = label
        translated.append("\t".join(cells))
    mnli_sw = root / "multinli-train.sw.tsv"
    mnli_sw.write_text("\n".join(translated) + "\n", encoding="utf-8")
    return pawsx, mnli_sw


@pytest.fixture(scope="module")
def run_dir(tiny_model: Path, data_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("sources")
    pawsx, mnli_sw = _translations(root, data_root)
    intermediate = (
        "[none, mnli, pawsx, {task: pawsx, train_language: de},"
        f" {{task: mnli, train_language: sw, data: {{source: local, path: {mnli_sw}}}}}"
        + (", panx, {task: panx, train_language: de}]" if WITH_PANX else "]")
    )
    text = experiment_yaml(tiny_model, data_root, intermediate=intermediate, training=TRAINING)
    text = text.replace(str(data_root / "pawsx"), str(pawsx))
    if WITH_PANX:
        text += f"  panx: {{data: {{source: local, path: {PANX_RAW}}}, training: {{max_eval_examples: 64}}}}\n"
    (root / "experiment.yaml").write_text(text)
    result = CliRunner().invoke(app, ["run", str(root / "experiment.yaml"), "--out", str(root / "run")])
    assert result.exit_code == 0, result.output
    return root / "run"


def test_phases_record_provenance_and_read_the_translations(run_dir: Path) -> None:
    records = [read_json(p / PHASE_JSON) for p in (run_dir / "phases").iterdir() if (p / PHASE_JSON).exists()]
    intermediate = {r["variant"]: r for r in records if r["role"] == "intermediate"}
    assert intermediate["pawsx@de"]["dims"]["source_data"] == "translated"
    assert intermediate["mnli@sw"]["dims"] == {"num_tasks": "1", "source_language": "sw", "source_data": "translated"}
    assert "source_data" not in intermediate["mnli"]["dims"]
    history = intermediate["mnli@sw"]["training"]["history"]
    assert history and set(history[0]["dev"]) == {"mnli@sw/accuracy"}  # selected on English MNLI dev


def test_report_pairs_each_source_with_english_on_every_evaluation_language(run_dir: Path) -> None:
    page = write_report(run_dir).read_text()
    assert "Source languages: each source against English intermediate training" in page
    assert "Mixes human and translated data: mnli@sw, pawsx@de" in page
    with (run_dir / "report" / "tables" / "source-languages.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    cells = {(row["variant"], row["language"]) for row in rows}
    sources = ("mnli@sw", "pawsx@de", "panx@de") if WITH_PANX else ("mnli@sw", "pawsx@de")
    assert cells == {(v, lang) for v in sources for lang in ("en", "de", "sw")}
    assert {row["source"] for row in rows} == {"de", "sw"}
    assert {row["data"] for row in rows if row["variant"] == "panx@de"} <= {"human"}
    assert {row["transfer"] for row in rows if row["language"] == row["source"]} == {"in-language (not zero-shot)"}
