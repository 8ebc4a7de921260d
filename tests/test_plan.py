"""Phase identity: ids are hashes of resolved configs and parents, so artefacts are shared exactly when the
work is the same."""

from __future__ import annotations

from pathlib import Path

from xstilts.experiments.plan import build_plan
from xstilts.experiments.spec import load_spec

SPEC = """\
name: p
model: xlm-roberta-large
seeds: [1, 2]
intermediate: [none, mnli, [mnli, squad_v1]]
target: [xnli, xquad, pawsx]
"""


def _plan(tmp_path: Path, text: str = SPEC, overrides: tuple[str, ...] = ()) -> list:
    path = tmp_path / "e.yaml"
    path.write_text(text)
    return build_plan(load_spec(path, overrides))


def test_shape_and_order(tmp_path: Path) -> None:
    plan = _plan(tmp_path)
    by_role = {role: [p for p in plan if p.role == role] for role in ("intermediate", "target", "evaluate")}
    assert len(by_role["intermediate"]) == 2 * 2  # two non-baseline variants × two seeds
    assert len(by_role["target"]) == len(by_role["evaluate"]) == 3 * 3 * 2
    position = {p.id: i for i, p in enumerate(plan)}
    assert all(position[p.parent] < position[p.id] for p in plan if p.parent)
    for phase in by_role["intermediate"]:
        assert len(phase.children) == 3  # one artefact serves every target


def test_ids_are_stable_and_depend_on_config_and_parent(tmp_path: Path) -> None:
    first, again = _plan(tmp_path), _plan(tmp_path)
    assert [p.id for p in first] == [p.id for p in again]
    changed = _plan(tmp_path, overrides=("training.lr=3e-5",))
    assert not {p.id for p in first} & {p.id for p in changed}
    only_targets = _plan(tmp_path, overrides=("tasks.xnli.training.lr=3e-5",))
    moved = {p.id for p in first} - {p.id for p in only_targets}
    # the xnli target phases and their evaluations (6 variants×seeds × 2), nothing else
    assert len(moved) == 12


def test_baseline_ids_do_not_depend_on_other_variants(tmp_path: Path) -> None:
    full = _plan(tmp_path)
    baseline_only = _plan(tmp_path, overrides=("intermediate=[none]",))
    assert {p.id for p in baseline_only} <= {p.id for p in full}


def test_same_seed_same_variant_same_intermediate_across_experiments(tmp_path: Path) -> None:
    a = _plan(tmp_path)
    b = _plan(tmp_path, overrides=("target=[xnli]", "name=other"))
    ids = {p.id for p in a if p.role == "intermediate"}
    assert ids == {p.id for p in b if p.role == "intermediate"}


def test_xnli_trains_on_mnli_and_selects_on_xnli_english_dev(tmp_path: Path) -> None:
    plan = _plan(tmp_path)
    target = next(p for p in plan if p.role == "target" and p.tasks == ("xnli",))
    head = target.config.dump()["heads"]["xnli"]
    assert head["train"]["task"] == "mnli" and head["train"]["split"] == "train"
    assert (head["select"]["task"], head["select"]["split"]) == ("xnli", "dev")
    xquad = next(p for p in plan if p.role == "target" and p.tasks == ("xquad",))
    assert xquad.config.dump()["heads"]["xquad"]["train"]["task"] == "squad_v1"
    assert xquad.config.dump()["heads"]["xquad"]["select"]["task"] == "squad_v1"
    evaluation = next(p for p in plan if p.role == "evaluate" and p.tasks == ("xnli",))
    assert len(evaluation.config.dump()["languages"]) == 15 and evaluation.config.dump()["split"] == "test"


def test_bookkeeping_settings_do_not_change_ids(tmp_path: Path) -> None:
    assert [p.id for p in _plan(tmp_path)] == [
        p.id for p in _plan(tmp_path, overrides=("training.checkpoint_every=7",))
    ]


def test_local_model_is_identified_by_content_not_path(tmp_path: Path) -> None:
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "config.json").write_text('{"model_type": "bert"}')
        (tmp_path / name / "model.safetensors").write_bytes(b"weights")
    a = _plan(tmp_path, overrides=(f"model={tmp_path / 'a'}",))
    b = _plan(tmp_path, overrides=(f"model={tmp_path / 'b'}",))
    assert [p.id for p in a] == [p.id for p in b]
    (tmp_path / "b" / "model.safetensors").write_bytes(b"retrained")
    changed = _plan(tmp_path, overrides=(f"model={tmp_path / 'b'}",))
    assert {p.id for p in a}.isdisjoint(p.id for p in changed)


def test_phase_ids_stay_those_of_earlier_releases(tmp_path: Path) -> None:
    """Finished runs are reused after an upgrade only if a phase computing the same thing keeps its id: new
    settings (samplers, adapters, retrieval layers) must not enter the configs of phases that do not use them.
    The ids below were produced by the release before those settings existed (commit 3bdd796)."""
    path = tmp_path / "ids.yaml"
    path.write_text(
        "name: ids\nmodel: xlm-roberta-large\nseeds: [1, 2]\n"
        "intermediate: [none, mnli, squad_v1, [mnli, squad_v1]]\ntarget: [xnli, xquad, pawsx]\n"
        "tasks:\n  squad_v1: {training: {max_length: 384}}\n"
    )
    ids = {(p.role, p.variant, p.seed, "+".join(p.tasks)): p.id for p in build_plan(load_spec(path))}
    assert ids[("target", "baseline", 1, "xnli")] == "1f3d40c9e1e4c768"
    assert ids[("intermediate", "mnli", 1, "mnli")] == "2ebe0417c31f9f4c"
    assert ids[("intermediate", "mnli+squad_v1", 1, "mnli+squad_v1")] == "9252a01f293ec4cd"
    assert ids[("evaluate", "mnli", 1, "xquad")] == "4a6431dc05764fcd"
