"""A phase under DDP (2 CPU processes, gloo, launched with torch.distributed.run) ends with the weights and
metrics of the same phase in one process, up to numerical noise: each process takes its share of every global
batch, and only the main process writes the artefacts."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from safetensors.numpy import load_file

from tests.conftest import experiment_yaml
from xstilts.artefacts import atomic_write_json
from xstilts.experiments.plan import build_plan
from xstilts.experiments.spec import load_spec
from xstilts.experiments.store import PLAN_JSON

pytestmark = pytest.mark.slow

# Batches of 9 rows over 2 processes (5 and 4 rows: unequal weights), a last batch of 1 (one process idles
# with weight 0); no dropout, so both runs compute the same thing.
TRAINING = (
    "{lr: 2.0e-3, batch_size: 9, max_length: 48, epochs: 2, warmup_ratio: 0.0, max_train_examples: 55,"
    " eval_batch_size: 32}"
)


def _without_dropout(model: Path, directory: Path) -> Path:
    shutil.copytree(model, directory)
    config = json.loads((directory / "config.json").read_text())
    config.update(hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0)
    (directory / "config.json").write_text(json.dumps(config))
    return directory


def _planned_run(tmp_path: Path, name: str, model: Path, data: Path) -> tuple[Path, str]:
    spec = tmp_path / "exp.yaml"
    spec.write_text(experiment_yaml(model, data, intermediate="[none]", target="[xnli]", training=TRAINING))
    plan = build_plan(load_spec(spec))
    run_dir = tmp_path / name
    atomic_write_json(run_dir / PLAN_JSON, [phase.to_json() for phase in plan])
    return run_dir, next(phase.id for phase in plan if phase.kind == "train")


def _run_phase(prefix: list[str], run_dir: Path, phase: str, cache: Path) -> None:
    env = {**os.environ, "CUDA_VISIBLE_DEVICES": "", "XSTILTS_CACHE": str(cache), "OMP_NUM_THREADS": "1"}
    command = [*prefix, "-m", "xstilts.cli", "run-phase", str(run_dir), phase]
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr


def test_two_process_ddp_phase_matches_one_process(tiny_model: Path, data_root: Path, tmp_path: Path) -> None:
    model = _without_dropout(tiny_model, tmp_path / "model")
    single, phase = _planned_run(tmp_path, "single", model, data_root)
    ddp, same_phase = _planned_run(tmp_path, "ddp", model, data_root)
    assert phase == same_phase
    _run_phase([sys.executable], single, phase, tmp_path / "cache-single")
    torchrun = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2"]
    _run_phase(torchrun, ddp, phase, tmp_path / "cache-ddp")

    one, two = (json.loads((d / "phases" / phase / "phase.json").read_text()) for d in (single, ddp))
    assert one["training"]["steps"] == two["training"]["steps"] == 2 * 7  # ceil(55 / 9) steps per epoch
    for a, b in zip(one["training"]["history"], two["training"]["history"], strict=True):
        assert a["dev"] == pytest.approx(b["dev"], abs=1e-6)
    assert [(m["task"], m["metric"]) for m in one["metrics"]] == [(m["task"], m["metric"]) for m in two["metrics"]]
    assert [m["value"] for m in one["metrics"]] == pytest.approx([m["value"] for m in two["metrics"]], abs=1e-6)

    start = load_file(model / "model.safetensors")
    for part in ("encoder/model.safetensors", "heads.safetensors"):
        ours = load_file(ddp / "phases" / phase / part)
        theirs = load_file(single / "phases" / phase / part)
        assert sorted(ours) == sorted(theirs)
        for name, value in theirs.items():
            np.testing.assert_allclose(ours[name], value, rtol=1e-3, atol=1e-4, err_msg=f"{part}: {name}")
    trained = load_file(single / "phases" / phase / "encoder" / "model.safetensors")
    moved = max(float(np.abs(trained[name] - start[name]).max()) for name in start if name in trained)
    assert moved > 1e-3  # training changed the weights: this is not a comparison of two untouched copies
    assert (ddp / "phases" / phase / "DONE").exists()
    assert not (ddp / "phases" / phase / "train_state").exists()
