"""The phase contracts: the typed configs (frozen, strict, one discriminated union, dumps that round-trip) and
``PhaseDir``, the one object that names a phase directory's files.

The layout is pinned with literal paths: users' run directories hold these files, and an upgrade that renamed one
would make finished phases look unfinished (or load nothing). Every planned config of every example experiment
must survive ``dump`` → ``parse_phase_config`` unchanged, because ``xstilts run-phase`` rebuilds its phase from
``plan.json`` that way.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from xstilts.artefacts import PhaseDir
from xstilts.experiments.plan import build_plan, phase_id
from xstilts.experiments.spec import load_spec
from xstilts.phase_config import EvalPhaseConfig, TrainPhaseConfig, parse_phase_config

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((REPO / "examples").glob("*.yaml"))


def test_phase_dir_names_the_layout_users_run_directories_hold(tmp_path: Path) -> None:
    directory = PhaseDir.of(tmp_path, "0123456789abcdef")
    root = tmp_path / "phases" / "0123456789abcdef"
    assert directory.root == root and directory.id == "0123456789abcdef"
    named = {
        directory.record_path: "phase.json",
        directory.done_marker: "DONE",
        directory.train_state: "train_state",
        directory.encoder: "encoder",
        directory.heads_json: "heads.json",
        directory.heads_weights: "heads.safetensors",
        directory.adapter_setup: "adapter_setup.json",
        directory.adapter("intermediate"): "adapters/intermediate",
        directory.fusion("fusion"): "fusions/fusion",
        directory.languages: "languages",
        directory.language_record("de"): "languages/de.json",
        directory.language_adapters: "language_adapters.json",
        directory.predictions("xnli"): "predictions/xnli",
        directory.prediction_file("xnli", "test", "de", "tsv"): "predictions/xnli/test-de.tsv",
    }
    assert {path: path.relative_to(root).as_posix() for path in named} == named


def test_phase_dir_is_done_only_after_its_marker_and_reads_back_its_record(tmp_path: Path) -> None:
    directory = PhaseDir.of(tmp_path, "p1")
    assert not directory.is_done() and not directory.is_adapter_artefact()
    directory.write_record({"id": "p1", "metrics": []})
    assert not directory.is_done()  # a record without its marker: the phase did not finish
    directory.mark_done()
    assert directory.is_done() and directory.read_record() == {"id": "p1", "metrics": []}
    directory.adapter_setup.write_text("{}")
    assert directory.is_adapter_artefact()


def test_all_in_lists_the_phase_directories_in_name_order(tmp_path: Path) -> None:
    assert PhaseDir.all_in(tmp_path) == []  # a run directory that has not started yet
    for name in ("b2", "a1"):
        PhaseDir.of(tmp_path, name).root.mkdir(parents=True)
    (tmp_path / "phases" / "stray.txt").write_text("")  # not a phase
    assert [directory.id for directory in PhaseDir.all_in(tmp_path)] == ["a1", "b2"]


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda path: path.name)
def test_every_planned_config_round_trips_through_its_json_form(example: Path) -> None:
    for phase in build_plan(load_spec(example)):
        dumped = phase.config.dump()
        again = parse_phase_config(dumped)
        assert type(again) is type(phase.config) and again == phase.config
        assert again.dump() == dumped and phase_id(again) == phase_id(phase.config)


def _planned(kind: type) -> TrainPhaseConfig | EvalPhaseConfig:
    plan = build_plan(load_spec(REPO / "examples" / "mnli-vs-squad-on-xnli.yaml"))
    return next(phase.config for phase in plan if isinstance(phase.config, kind))


def test_configs_are_frozen_and_refuse_unknown_fields() -> None:
    train = _planned(TrainPhaseConfig)
    with pytest.raises(ValidationError, match="frozen"):
        train.seed = 3  # type: ignore[misc]
    with pytest.raises(ValidationError, match="extra"):
        parse_phase_config({**train.dump(), "learning_rate": 1.0})


def test_the_kind_field_chooses_the_config_type() -> None:
    evaluation = _planned(EvalPhaseConfig)
    assert isinstance(parse_phase_config(evaluation.dump()), EvalPhaseConfig)
    with pytest.raises(ValidationError, match="kind"):
        parse_phase_config({**evaluation.dump(), "kind": "score"})


def test_a_setting_at_its_default_is_left_out_of_the_dump_so_old_ids_hold() -> None:
    # ``languages`` (translate-train) and ``select`` languages came after the first release: English is omitted
    train = _planned(TrainPhaseConfig)
    assert isinstance(train, TrainPhaseConfig)
    for head in train.dump()["heads"].values():
        assert "languages" not in head["train"] and "language" not in head["select"]
    assert "adapters" not in train.dump() and "multitask" not in train.dump()
    evaluation = _planned(EvalPhaseConfig)
    assert evaluation.parent is not None and "model" not in evaluation.dump()
