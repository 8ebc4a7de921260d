"""Every example experiment in examples/ is valid and plans: the README points users at them."""

from __future__ import annotations

from pathlib import Path

import pytest

from xstilts.experiments.plan import build_plan
from xstilts.experiments.spec import load_spec

EXAMPLES = sorted((Path(__file__).resolve().parents[1] / "examples").glob("*.yaml"))


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example_loads_and_plans(path: Path) -> None:
    spec = load_spec(path)
    plan = build_plan(spec)
    assert plan and all(p.parent is None or any(q.id == p.parent for q in plan) for p in plan)
    assert {p.role for p in plan} >= {"target", "evaluate"}


def test_the_task_pool_example_expands_into_subsets_of_each_size() -> None:
    spec = load_spec(EXAMPLES[0].parent / "task-count-robustness.yaml")
    sizes = {p.dims.get("subset_size") for p in build_plan(spec) if p.role == "intermediate"}
    assert sizes == {"1", "2", "4", "8"}
