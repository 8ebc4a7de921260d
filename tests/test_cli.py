"""The command line as a user meets it: clear one-line errors with exit code 2, nothing written on failure,
and the task list."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from typer.testing import CliRunner

from tests.conftest import experiment_yaml
from xstilts.cli import app


def _invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output


def test_tasks_lists_kinds_languages_splits_and_sources() -> None:
    code, output = _invoke("tasks", "--json")
    assert code == 0
    tasks = {t["name"]: t for t in json.loads(output)}
    assert {"mnli", "xnli", "pawsx", "squad_v1", "xquad"} <= set(tasks)
    assert tasks["xnli"]["kind"] == "classification" and len(tasks["xnli"]["languages"]) == 15
    assert tasks["xnli"]["train_from"] == "mnli/train"
    assert tasks["xquad"]["kind"] == "span_extraction" and len(tasks["xquad"]["languages"]) == 12
    assert tasks["pawsx"]["languages"] == ["de", "en", "es", "fr", "ja", "ko", "zh"]
    assert tasks["squad_v1"]["hub"] == "rajpurkar/squad"
    code, table = _invoke("tasks")
    assert code == 0 and "xquad" in table and "span_extraction" in table


def test_missing_model_directory_fails_before_writing(tmp_path: Path, data_root: Path) -> None:
    spec = tmp_path / "e.yaml"
    spec.write_text(experiment_yaml(tmp_path / "no-such-model", data_root))
    code, output = _invoke("run", str(spec), "--out", str(tmp_path / "run"))
    assert code == 2
    assert "error:" in output and "no-such-model does not exist" in output and "Traceback" not in output
    assert not (tmp_path / "run").exists()


def test_offline_hub_model_says_offline(tmp_path: Path, data_root: Path) -> None:
    spec = tmp_path / "e.yaml"
    spec.write_text(experiment_yaml(Path("xlm-roberta-large"), data_root))
    code, output = _invoke("run", str(spec), "--out", str(tmp_path / "run"))
    assert code == 2
    assert "'xlm-roberta-large'" in output and "offline" in output and "Traceback" not in output


def test_malformed_local_data_fails_before_training_naming_file_and_line(
    tmp_path: Path, tiny_model: Path, data_root: Path
) -> None:
    data = tmp_path / "data"
    shutil.copytree(data_root, data)
    test_file = data / "xnli" / "xnli.test.tsv"
    lines = test_file.read_text().splitlines()
    lines[4] = lines[4].replace("\tentailment\t", "\tentails\t").replace("\tneutral\t", "\tentails\t")
    lines[4] = lines[4].replace("\tcontradiction\t", "\tentails\t")
    test_file.write_text("\n".join(lines) + "\n")
    spec = tmp_path / "e.yaml"
    spec.write_text(experiment_yaml(tiny_model, data))
    code, output = _invoke("run", str(spec), "--out", str(tmp_path / "run"))
    assert code == 2, output
    assert f"{test_file}:5: field 'gold_label': 'entails' is not one of" in output.replace("\n", "")
    assert not (tmp_path / "run" / "phases").exists()


def test_unknown_task_in_config(tmp_path: Path) -> None:
    spec = tmp_path / "e.yaml"
    spec.write_text("name: x\nmodel: m\ntarget: [xnli, xquda]\n")
    code, output = _invoke("run", str(spec), "--dry-run")
    assert code == 2 and "e.yaml:3: target[1]: unknown task 'xquda'; did you mean 'xquad'" in output


def test_results_of_a_directory_that_is_not_a_run(tmp_path: Path) -> None:
    code, output = _invoke("results", str(tmp_path))
    assert code == 2 and "holds no results store" in output


def test_model_directory_without_tokenizer_fails_cleanly_before_writing(tmp_path: Path, data_root: Path) -> None:
    model = tmp_path / "config-only"
    model.mkdir()
    (model / "config.json").write_text('{"model_type": "xlm-roberta", "vocab_size": 10}')
    spec = tmp_path / "e.yaml"
    spec.write_text(experiment_yaml(model, data_root))
    code, output = _invoke("run", str(spec), "--out", str(tmp_path / "run"))
    assert code == 2 and f"cannot load a model from directory {model}" in output and "Traceback" not in output
    assert not (tmp_path / "run").exists()
