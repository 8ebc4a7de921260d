"""Experiment files: validation, defaults, overrides, and errors that name the file, line and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from xstilts.errors import ConfigError
from xstilts.experiments.spec import load_spec

GOOD = """\
name: mnli-vs-squad-on-xnli
model: xlm-roberta-large
seeds: [1, 2]
intermediate: [none, mnli, squad_v1, [mnli, squad_v1]]
target: [xnli, xquad]
training: {lr: 1.0e-5, batch_size: 32, max_length: 128, epochs: 2}
tasks:
  squad_v1: {training: {max_length: 384}}
  xquad: {training: {max_length: 384}}
"""


def _spec_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "experiment.yaml"
    path.write_text(text)
    return path


def _error(tmp_path: Path, text: str, overrides: tuple[str, ...] = ()) -> str:
    with pytest.raises(ConfigError) as info:
        load_spec(_spec_file(tmp_path, text), overrides)
    return str(info.value)


def test_the_issue_example_loads_with_variants_and_per_task_overrides(tmp_path: Path) -> None:
    spec = load_spec(_spec_file(tmp_path, GOOD))
    assert spec.variants() == {
        "baseline": (),
        "mnli": ("mnli",),
        "squad_v1": ("squad_v1",),
        "mnli+squad_v1": ("mnli", "squad_v1"),
    }
    assert spec.settings_for("xquad").max_length == 384
    assert spec.settings_for("xnli").max_length == 128
    assert spec.settings_for("xnli").lr == 1.0e-5
    assert spec.source_for("xnli").source == "hub"


def test_set_overrides_apply_before_validation(tmp_path: Path) -> None:
    spec = load_spec(_spec_file(tmp_path, GOOD), ("training.lr=2e-5", "seeds=[3]", "tasks.xnli.languages=[de, sw]"))
    assert spec.training.lr == 2e-5 and spec.seeds == [3]
    assert spec.tasks["xnli"].languages == ["de", "sw"]


@pytest.mark.parametrize(
    ("replace", "by", "expected"),
    [
        (
            "[none, mnli,",
            "[none, mlni,",
            "experiment.yaml:4: intermediate[1]: unknown task 'mlni'; did you mean 'mnli'",
        ),
        ("[mnli, squad_v1]]", "[mnli, squad]]", "experiment.yaml:4: intermediate[3][1]: unknown task 'squad'"),
        ("target: [xnli, xquad]", "target: [xnli, mnli]", "experiment.yaml:5: target[1]: 'mnli' is not a target task"),
        ("lr: 1.0e-5", "lr: fast", "experiment.yaml:6: training.lr: Input should be a valid number"),
        ("seeds: [1, 2]", "seeds: [1, 1]", "experiment.yaml:3: seeds: a seed is listed twice"),
        ("training:", "trainig:", "experiment.yaml:6: trainig: Extra inputs are not permitted"),
        (
            "{max_length: 384}}\n  xquad",
            "{max_len: 384}}\n  xquad",
            "experiment.yaml:8: tasks.squad_v1.training.max_len: Extra",
        ),
        ("squad_v1: {", "squad_v3: {", "experiment.yaml:8: tasks.squad_v3: unknown task 'squad_v3'"),
    ],
)
def test_errors_name_file_line_and_field(tmp_path: Path, replace: str, by: str, expected: str) -> None:
    assert replace in GOOD
    message = _error(tmp_path, GOOD.replace(replace, by, 1))
    assert expected in message, message


def test_unknown_language_suggests_the_closest(tmp_path: Path) -> None:
    message = _error(tmp_path, GOOD + "  xnli: {languages: [de, sv]}\n")
    assert "experiment.yaml:10: tasks.xnli.languages[1]: task 'xnli' has no language 'sv'" in message
    assert "'sw'" in message


def test_malformed_yaml_names_line_and_column(tmp_path: Path) -> None:
    message = _error(tmp_path, GOOD.replace("target: [xnli, xquad]", "target: [xnli, xquad"))
    assert message.startswith(str(tmp_path / "experiment.yaml") + ":")
    assert "invalid YAML" in message


def test_missing_required_field_and_duplicate_variant(tmp_path: Path) -> None:
    assert "target: Field required" in _error(tmp_path, "name: x\nmodel: m\n")
    message = _error(tmp_path, GOOD.replace("[none, mnli, squad_v1,", "[none, mnli, [mnli],"))
    assert "variant 'mnli' is listed twice" in message


def test_bad_override_is_reported(tmp_path: Path) -> None:
    assert "expected KEY=VALUE" in _error(tmp_path, GOOD, ("training.lr",))
    assert "training.lr: Input should be a valid number" in _error(tmp_path, GOOD, ("training.lr=quick",))


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_spec(tmp_path / "nope.yaml")


def test_a_mix_is_a_set_of_tasks(tmp_path: Path) -> None:
    spec = load_spec(_spec_file(tmp_path, GOOD.replace("[mnli, squad_v1]]", "[squad_v1, mnli]]")))
    assert spec.variants()["mnli+squad_v1"] == ("mnli", "squad_v1")
    message = _error(tmp_path, GOOD.replace("squad_v1, [mnli, squad_v1]]", "[mnli, squad_v1], [squad_v1, mnli]]"))
    assert "variant 'mnli+squad_v1' is listed twice" in message


def test_seeds_are_non_negative_and_span_lengths_leave_room(tmp_path: Path) -> None:
    assert "seeds[0]: Input should be greater than or equal to 0" in _error(tmp_path, GOOD.replace("[1, 2]", "[-1]"))
    message = _error(
        tmp_path, GOOD.replace("squad_v1: {training: {max_length: 384}}", "squad_v1: {training: {max_length: 48}}")
    )
    assert "experiment.yaml:8: tasks.squad_v1.training.max_length: squad_v1 needs max_length (48)" in message


def test_errors_from_set_name_the_override(tmp_path: Path) -> None:
    message = _error(tmp_path, GOOD, ("training.lrr=3",))
    assert message == "--set training.lrr=3: training.lrr: Extra inputs are not permitted"


def test_relative_paths_are_relative_to_the_experiment_file(tmp_path: Path) -> None:
    (tmp_path / "models" / "m").mkdir(parents=True)
    text = (
        GOOD.replace("model: xlm-roberta-large", "model: ./models/m")
        + "  xnli: {data: {source: local, path: data/xnli}}\n"
    )
    spec = load_spec(_spec_file(tmp_path, text))
    assert spec.model == str(tmp_path / "models" / "m")
    assert spec.source_for("xnli").path == str(tmp_path / "data" / "xnli")
    assert spec.source_for("demo_nli").path == "embedded:demo_nli"
