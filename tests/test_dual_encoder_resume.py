"""A contrastive dual-encoder phase killed with kill -9 in its middle and rerun ends bit-identical to an
uninterrupted run (metrics and every saved tensor): the offline ``pydoc_search`` target after a ``pydoc_pair``
intermediate phase, on the tiny model."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.builders import assert_same_outcome, run_outcome
from tests.test_resume import _kill_mid_phase, _xstilts

pytestmark = pytest.mark.slow

EXPERIMENT = """name: dual
model: {model}
seeds: [1]
intermediate: [pydoc_pair]
target: [pydoc_search]
training: {{lr: 1.0e-3, batch_size: 8, max_length: 32, epochs: 3, checkpoint_every: 3, eval_batch_size: 64,
  max_train_examples: 48, max_eval_examples: 1, select_best: false}}
"""


def test_killed_dual_encoder_phase_resumes_exactly(tiny_model: Path, tmp_path: Path) -> None:
    spec = tmp_path / "exp.yaml"
    spec.write_text(EXPERIMENT.format(model=tiny_model))
    reference, interrupted = tmp_path / "reference", tmp_path / "interrupted"
    subprocess.run(_xstilts("run", str(spec), "--out", str(reference)), check=True, capture_output=True)

    victim = _kill_mid_phase(_xstilts("run", str(spec), "--out", str(interrupted)), interrupted)
    plan = json.loads((interrupted / "plan.json").read_text())
    assert next(p for p in plan if p["id"] == victim.name)["tasks"] == ["pydoc_search"]
    rerun = subprocess.run(_xstilts("run", str(spec), "--out", str(interrupted)), capture_output=True, text=True)
    assert rerun.returncode == 0, rerun.stderr
    assert f"({victim.name}): partial, running" in rerun.stdout
    assert json.loads((victim / "phase.json").read_text())["training"]["resumed_from_step"] > 0
    assert_same_outcome(interrupted, run_outcome(reference))
