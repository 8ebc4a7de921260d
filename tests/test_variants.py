"""Intermediate entries beyond task names: task-pool subset grids, members trained on another language's data,
MLM in a mix, the multitask sampler section; their spec errors (file:line:field), names, ids and dims."""

from __future__ import annotations

from pathlib import Path

import pytest

from xstilts.errors import ConfigError
from xstilts.experiments.plan import build_plan
from xstilts.experiments.spec import load_spec
from xstilts.experiments.variants import draw_subsets

HEAD = """\
name: v
model: xlm-roberta-large
seeds: [1]
target: [xnli]
"""
POOL = "  - {pool: [mnli, squad_v1, xnli, pawsx], subset_sizes: [1, 2, 4], subsets_per_size: 3, subset_seed: SEED}\n"


def _spec(tmp_path: Path, text: str, overrides: tuple[str, ...] = ()):
    path = tmp_path / "experiment.yaml"
    path.write_text(HEAD + text)
    return load_spec(path, overrides)


def _error(tmp_path: Path, text: str) -> str:
    with pytest.raises(ConfigError) as info:
        _spec(tmp_path, text)
    return str(info.value)


def _grid(tmp_path: Path, seed: int) -> dict[str, tuple[str, ...]]:
    return _spec(tmp_path, "intermediate:\n  - none\n" + POOL.replace("SEED", str(seed))).variants()


def test_a_subset_grid_expands_into_distinct_reproducible_subsets(tmp_path: Path) -> None:
    variants = _grid(tmp_path, 0)
    names = [n for n in variants if n != "baseline"]
    # size 1: 3 of 4, size 2: 3 of 6, size 4: the only one (capped at what exists)
    assert names == ["subset1-1", "subset1-2", "subset1-3", "subset2-1", "subset2-2", "subset2-3", "subset4-1"]
    assert all(len(variants[f"subset{k}-{i}"]) == k for k in (1, 2) for i in (1, 2, 3))
    assert variants["subset4-1"] == ("mnli", "pawsx", "squad_v1", "xnli")
    for size in (1, 2):
        mixes = {variants[f"subset{size}-{i}"] for i in (1, 2, 3)}
        assert len(mixes) == 3  # distinct
    assert _grid(tmp_path, 0) == variants
    assert any(_grid(tmp_path, seed) != variants for seed in (1, 2))


def test_subset_draws_are_capped_and_differ_by_seed() -> None:
    pool = [f"t{i}" for i in range(6)]
    assert len(draw_subsets(pool, 3, 100, 0)) == 20
    assert len(set(draw_subsets(pool, 3, 100, 0))) == 20
    assert draw_subsets(pool, 2, 4, 0) == draw_subsets(list(reversed(pool)), 2, 4, 0)  # the pool is a set
    assert draw_subsets(pool, 2, 4, 0) != draw_subsets(pool, 2, 4, 1)
    big = [f"t{i}" for i in range(40)]  # 40 choose 20 subsets: drawn by rejection, not listed
    drawn = draw_subsets(big, 20, 5, 3)
    assert len(set(drawn)) == 5 and drawn == draw_subsets(big, 20, 5, 3)


def test_subset_variants_carry_their_dims_into_every_phase(tmp_path: Path) -> None:
    spec = _spec(tmp_path, "intermediate:\n  - none\n" + POOL.replace("SEED", "0"))
    plan = build_plan(spec)
    phases = [p for p in plan if p.variant == "subset2-3"]
    assert {p.role for p in phases} == {"intermediate", "target", "evaluate"}
    for phase in phases:
        assert phase.dims["subset_size"] == "2" and phase.dims["subset_index"] == "3"
        assert phase.dims["num_tasks"] == "2" and phase.dims["sampler"] == "proportional"
    assert all(not p.dims for p in plan if p.variant == "baseline")


def test_members_on_other_languages_are_named_and_configured(tmp_path: Path) -> None:
    spec = _spec(
        tmp_path,
        "intermediate: [none, mnli, {task: xnli, train_language: de}, [mnli, {task: xnli, train_language: sw,"
        " select_language: sw, data: {source: local, path: mt}}]]\n",
    )
    assert list(spec.variants()) == ["baseline", "mnli", "xnli@de", "mnli+xnli@sw~dev-sw"]
    plan = {(p.variant, p.role): p for p in build_plan(spec)}
    head = plan[("xnli@de", "intermediate")].config.dump()["heads"]["xnli@de"]
    assert head["train"]["task"] == "xnli" and head["train"]["split"] == "train"
    assert head["train"]["languages"] == ["de"] and "language" not in head["select"]
    assert plan[("xnli@de", "intermediate")].dims["source_language"] == "de"
    mixed = plan[("mnli+xnli@sw~dev-sw", "intermediate")]
    sw = mixed.config.dump()["heads"]["xnli@sw~dev-sw"]
    assert sw["select"]["language"] == "sw" and sw["train"]["source"]["path"] == str(tmp_path / "mt")
    assert "languages" not in mixed.config.dump()["heads"]["mnli"]["train"]  # English heads keep their config
    assert mixed.dims["source_language"] == "en+sw"


def test_sampler_settings_change_mix_ids_only(tmp_path: Path) -> None:
    text = "intermediate: [none, mnli, [mnli, squad_v1]]\n"
    before = {(p.variant, p.role): p.id for p in build_plan(_spec(tmp_path, text))}
    after = {
        (p.variant, p.role): p.id
        for p in build_plan(_spec(tmp_path, text + "multitask: {sampler: temperature, temperature: 3}\n"))
    }
    changed = {key for key in before if before[key] != after[key]}
    assert changed == {("mnli+squad_v1", r) for r in ("intermediate", "target", "evaluate")}
    mix = next(p for p in build_plan(_spec(tmp_path, text)) if p.variant == "mnli+squad_v1")
    assert "multitask" not in mix.config.dump()  # the default sampler: the ids mixes had before samplers existed


def test_a_mix_id_depends_only_on_the_settings_its_sampler_uses(tmp_path: Path) -> None:
    def mix_ids(text: str) -> dict[str, str]:
        return {p.variant: p.id for p in build_plan(_spec(tmp_path, text)) if p.role == "intermediate"}

    base = "intermediate: [none, [mnli, squad_v1]]\n"
    assert mix_ids(base) == mix_ids(base + "multitask: {temperature: 5}\n")  # proportional ignores T
    weighted = "multitask: {sampler: weights, weights: {mnli: 1, squad_v1: 2"
    one = mix_ids(base + weighted + "}}\n")
    two = mix_ids("intermediate: [none, [mnli, squad_v1], [mnli, qqp]]\n" + weighted + ", qqp: 3}}\n")
    assert one["mnli+squad_v1"] == two["mnli+squad_v1"]  # another mix's weight is not this mix's business


def test_mlm_in_a_mix_trains_on_the_configured_languages(tmp_path: Path) -> None:
    spec = _spec(
        tmp_path,
        "intermediate: [none, [mnli, mlm]]\ntasks:\n  mlm: {data: {source: local, path: corpora},"
        " languages: [en, de, sw]}\n",
    )
    intermediate = next(p for p in build_plan(spec) if p.role == "intermediate")
    head = intermediate.config.dump()["heads"]["mlm"]
    assert head["kind"] == "masked_lm" and head["train"]["languages"] == ["en", "de", "sw"]
    assert intermediate.dims == {"num_tasks": "2", "source_language": "en", "mlm": "yes", "sampler": "proportional"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "intermediate: [none, {task: xnli, train_language: xx}]\n",
            "experiment.yaml:5: intermediate[1].train_language: task 'xnli' has no training data in 'xx'",
        ),
        (
            "intermediate: [none, {task: mnli, train_language: de}]\n",
            "experiment.yaml:5: intermediate[1].train_language: task 'mnli' has no training data in 'de'"
            " (training languages: en)",
        ),
        (
            "intermediate: [none, {task: xnli, train_langauge: de}]\n",
            "experiment.yaml:5: intermediate[1].train_langauge: Extra inputs are not permitted",
        ),
        (
            "intermediate:\n  - none\n  - [mnli, {task: mlni}]\n",
            "experiment.yaml:7: intermediate[1][1].task: unknown task 'mlni'; did you mean 'mnli'",
        ),
        (
            "intermediate:\n  - {pool: [mnli, squad_v1], subset_sizes: [1, 3]}\n",
            "experiment.yaml:6: intermediate[0].subset_sizes[1]: subset size 3 is larger than the pool (2 tasks)",
        ),
        (
            "intermediate:\n  - {pool: [mnli, mnli], subset_sizes: [1]}\n",
            "experiment.yaml:6: intermediate[0].pool: a task appears twice in the pool",
        ),
        (
            "intermediate:\n  - {pool: [mnli, squad_v1], subset_sizes: [0]}\n",
            "experiment.yaml:6: intermediate[0].subset_sizes[0]: Input should be greater than or equal to 1",
        ),
        (
            "intermediate:\n  - [mnli, squad_v1]\n  - {pool: [mnli, squad_v1], subset_sizes: [2]}\n",
            "experiment.yaml:7: intermediate[1]: variant 'subset2-1' trains the same mix as 'mnli+squad_v1'",
        ),
        (
            "intermediate: [none, {task: xnli, train_language: de, select_language: xx}]\n",
            "experiment.yaml:5: intermediate[1].select_language: xnli has no 'dev' data in 'xx'",
        ),
        (
            "intermediate: [none, [mnli, mlm]]\n",
            "experiment.yaml:5: intermediate[1][1]: the mlm task needs its languages",
        ),
        (
            "intermediate: [[mnli, squad_v1]]\nmultitask:\n  sampler: capped\n",
            "experiment.yaml:7: multitask.sampler: sampler 'capped' needs multitask.cap",
        ),
        (
            "intermediate: [[mnli, squad_v1]]\nmultitask:\n  sampler: weights\n  weights: {mnli: 1}\n",
            "experiment.yaml:8: multitask.weights: sampler 'weights' needs a weight for squad_v1",
        ),
        (
            "intermediate: [[mnli, squad_v1]]\nmultitask:\n  sampler: weights\n  weights: {mnli: 1, squad_v1: 1,"
            " pawsx: 2}\n",
            "experiment.yaml:8: multitask.weights.pawsx: 'pawsx' is not a member of any multi-task mix",
        ),
        (
            "intermediate: [[mnli, squad_v1]]\nmultitask: {sampler: zipf}\n",
            "experiment.yaml:6: multitask.sampler: Input should be 'proportional', 'uniform', 'temperature',"
            " 'capped' or 'weights'",
        ),
    ],
)
def test_errors_name_file_line_and_field(tmp_path: Path, text: str, expected: str) -> None:
    assert expected in _error(tmp_path, text)
