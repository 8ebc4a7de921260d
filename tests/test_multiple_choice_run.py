"""`xstilts run` with multiple-choice tasks: a HellaSwag-style intermediate task, then XCOPA's two English
stages (Social IQa, then COPA) and zero-shot evaluation on two XCOPA languages, all on files the test writes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests import choice_builders
from xstilts.cli import app

pytestmark = pytest.mark.slow

LANGUAGES = ["it", "sw"]


@pytest.fixture(scope="module")
def finished_run(tiny_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("mc")
    data = root / "data"
    choice_builders.write_hellaswag(data / "hellaswag", n_train=32, n_dev=8)
    choice_builders.write_siqa_v14(data / "siqa", n_train=32, n_dev=8)
    choice_builders.write_copa_xtreme(data / "copa", n_train=64, n_dev=16)
    choice_builders.write_xcopa_official(data / "xcopa", LANGUAGES, n=20)
    spec = root / "experiment.yaml"
    spec.write_text(
        f"name: mc\nmodel: {tiny_model}\nseeds: [1]\nintermediate: [none, hellaswag]\ntarget: [xcopa]\n"
        "training: {lr: 2.0e-3, batch_size: 8, max_length: 24, epochs: 2, checkpoint_every: 50, eval_batch_size: 32}\n"
        "tasks:\n"
        + "".join(f"  {task}: {{data: {{source: local, path: {data / task}}}}}\n" for task in ("hellaswag", "siqa"))
        + f"  copa: {{data: {{source: local, path: {data / 'copa'}}}}}\n"
        + f"  xcopa: {{data: {{source: local, path: {data / 'xcopa'}}}, languages: [{', '.join(LANGUAGES)}]}}\n"
    )
    result = CliRunner().invoke(app, ["run", str(spec), "--out", str(root / "run")])
    assert result.exit_code == 0, result.output
    return root / "run"


def _phases(run: Path) -> dict[str, dict]:
    return {d.name: json.loads((d / "phase.json").read_text()) for d in (run / "phases").iterdir()}


def test_xcopa_is_trained_on_siqa_then_copa_after_the_intermediate_task(finished_run: Path) -> None:
    phases = _phases(finished_run)
    assert len(phases) == 1 + 2 * 3
    evaluations = [p for p in phases.values() if p["kind"] == "evaluate"]
    assert sorted(p["variant"] for p in evaluations) == ["baseline", "hellaswag"]
    for evaluation in evaluations:
        copa = phases[evaluation["parent"]]
        siqa = phases[copa["parent"]]
        assert (copa["tasks"], siqa["tasks"]) == (["xcopa"], ["siqa"])
        heads = json.loads((finished_run / "phases" / copa["id"] / "heads.json").read_text())
        assert heads == {"xcopa": {"kind": "multiple_choice", "labels": ["0", "1"], "num_labels": 2, "options": {}}}
        assert {(m["task"], m["split"], m["language"]) for m in copa["metrics"]} == {("xcopa", "dev", "en")}
        assert {(m["task"], m["split"]) for m in siqa["metrics"]} == {("siqa", "dev")}
        if evaluation["variant"] == "baseline":
            assert siqa["parent"] is None
        else:
            assert phases[siqa["parent"]]["tasks"] == ["hellaswag"]


def test_zero_shot_accuracy_and_prediction_files(finished_run: Path) -> None:
    result = CliRunner().invoke(app, ["results", str(finished_run), "--json"])
    assert result.exit_code == 0, result.output
    records = [r for r in json.loads(result.output) if r["role"] == "evaluate"]
    cells = {(r["variant"], r["language"]): r["value"] for r in records if r["metric"] == "accuracy"}
    assert set(cells) == {(v, lang) for v in ("baseline", "hellaswag") for lang in LANGUAGES}
    # The right choice carries the same keyword in every language: a working pipeline learns it and transfers.
    assert all(75.0 <= value <= 100.0 for value in cells.values()), cells
    for path in finished_run.glob("phases/*/predictions/xcopa/test-*.jsonl"):
        lines = [json.loads(line) for line in path.read_text().splitlines()]
        assert len(lines) == 20 and {line["label"] for line in lines} <= {0, 1}
    assert len(list(finished_run.glob("phases/*/predictions/xcopa/test-*.jsonl"))) == 2 * len(LANGUAGES)
