"""An adapter phase killed with kill -9 resumes from its checkpoint (adapter and head weights only) and ends
exactly where an uninterrupted run ends."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.builders import assert_same_outcome, run_outcome
from tests.conftest import experiment_yaml
from tests.test_resume import TRAINING, _kill_mid_phase, _xstilts

pytestmark = pytest.mark.slow


def test_adapter_phase_resumes_to_the_same_result(tiny_model: Path, data_root: Path, tmp_path: Path) -> None:
    spec = tmp_path / "exp.yaml"
    training = TRAINING.replace("lr: 1.0e-3", "lr: 5.0e-3")
    spec.write_text(experiment_yaml(tiny_model, data_root, intermediate="[mnli]", training=training, method="lora"))
    reference, interrupted = tmp_path / "reference", tmp_path / "interrupted"
    subprocess.run(_xstilts("run", str(spec), "--out", str(reference)), check=True, capture_output=True)

    victim = _kill_mid_phase(_xstilts("run", str(spec), "--out", str(interrupted)), interrupted)
    rerun = subprocess.run(_xstilts("run", str(spec), "--out", str(interrupted)), capture_output=True, text=True)
    assert rerun.returncode == 0, rerun.stderr
    assert f"({victim.name}): partial, running" in rerun.stdout
    assert sorted((reference / "phases").glob("*/adapters/*/adapter.safetensors"))
    assert_same_outcome(interrupted, run_outcome(reference))  # adapters, heads and metrics
