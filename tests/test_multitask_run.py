"""A tiny end-to-end run with a mix that includes continued MLM, a task-pool subset grid with a member trained on
German translate-train data, and a non-default sampler with mixed batches: dims reach phase.json, the store
and the report; per-task dev metrics stay in the loop history."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.builders import LANGUAGE_WORDS, NLI_KEYWORDS, nli_pair
from tests.conftest import experiment_yaml
from xstilts.analysis.report import write_report
from xstilts.artefacts import PHASE_JSON, read_json
from xstilts.cli import app
from xstilts.experiments.store import ResultsStore

pytestmark = pytest.mark.slow

TRAINING = "{lr: 5.0e-4, batch_size: 16, max_length: 32, epochs: 1, eval_batch_size: 64, max_train_examples: 48}"


def _inputs(root: Path) -> tuple[Path, Path]:
    rng = random.Random(0)
    corpora = root / "corpora"
    corpora.mkdir()
    for language in ("de", "sw"):  # no English text: MLM reads only the languages it is given
        lines = (" ".join(rng.choices(LANGUAGE_WORDS[language], k=rng.randint(4, 12))) for _ in range(60))
        (corpora / f"{language}.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    mt = root / "xnli-mt"
    mt.mkdir()
    rows = []
    for _ in range(48):
        label = rng.choice(sorted(NLI_KEYWORDS))
        rows.append("\t".join([*nli_pair(rng, "de", label), label]))
    (mt / "train-de.tsv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    return corpora, mt


@pytest.fixture(scope="module")
def run_dir(tiny_model: Path, data_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("multitask")
    corpora, mt = _inputs(root)
    intermediate = (
        "\n  - none\n  - [mnli, mlm]\n"
        f"  - {{pool: [mnli, {{task: xnli, train_language: de, data: {{source: local, path: {mt}}}}}],"
        " subset_sizes: [1, 2], subsets_per_size: 1, subset_seed: 0}"
    )
    text = experiment_yaml(
        tiny_model,
        data_root,
        intermediate=intermediate,
        training=TRAINING,
        multitask="{sampler: temperature, temperature: 2, batching: mixed}",
    )
    text += f"  mlm: {{data: {{source: local, path: {corpora}}}, languages: [de, sw]}}\n"
    (root / "experiment.yaml").write_text(text)
    result = CliRunner().invoke(app, ["run", str(root / "experiment.yaml"), "--out", str(root / "run")])
    assert result.exit_code == 0, result.output
    return root / "run"


def _records(run_dir: Path) -> list[dict]:
    return [read_json(p / PHASE_JSON) for p in sorted((run_dir / "phases").iterdir()) if (p / PHASE_JSON).exists()]


def test_dims_reach_phase_json_and_the_store(run_dir: Path) -> None:
    records = _records(run_dir)
    assert {r["variant"] for r in records} == {"baseline", "mlm+mnli", "subset1-1", "subset2-1"}
    mix = next(r for r in records if r["variant"] == "mlm+mnli" and r["role"] == "intermediate")
    assert mix["dims"] == {
        "num_tasks": "2",
        "source_language": "en",
        "mlm": "yes",
        "sampler": "temperature T=2, mixed batches",
    }
    subset = next(r for r in records if r["variant"] == "subset2-1" and r["role"] == "intermediate")
    assert subset["tasks"] == ["mnli", "xnli@de"]
    assert subset["dims"]["subset_size"] == "2" and subset["dims"]["source_language"] == "de+en"
    assert subset["config"]["heads"]["xnli@de"]["train"] == {
        "task": "xnli",
        "split": "train",
        "source": {"source": "local", "path": str(run_dir.parent / "xnli-mt"), "dataset": None, "revision": None},
        "languages": ["de"],
    }
    stored = {p["phase_id"]: p["dims"] for p in ResultsStore(run_dir / "results.sqlite").phases()}
    assert stored == {r["id"]: r["dims"] for r in records}


def test_mix_with_mlm_selects_on_the_real_tasks_dev_sets(run_dir: Path) -> None:
    mix = next(r for r in _records(run_dir) if r["variant"] == "mlm+mnli" and r["role"] == "intermediate")
    [epoch] = mix["training"]["history"]
    assert set(epoch["dev"]) == {"mnli/accuracy"}  # MLM has no dev set; the mix's other heads select
    assert {(m["task"], m["language"]) for m in mix["metrics"]} == {("mnli", "en")}
    subset = next(r for r in _records(run_dir) if r["variant"] == "subset2-1" and r["role"] == "intermediate")
    assert set(subset["training"]["history"][0]["dev"]) == {"mnli/accuracy", "xnli@de/accuracy"}
    assert {m["language"] for m in subset["metrics"]} == {"en"}  # selection stays on English dev


def test_report_groups_by_the_recorded_dims(run_dir: Path) -> None:
    page = write_report(run_dir).read_text()
    assert "Δ against the baseline by subset_size" in page
    assert (run_dir / "report" / "tables" / "dim-source_language.csv").exists()
