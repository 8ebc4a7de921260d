"""A vision-language target phase under DDP (2 CPU processes, gloo, torch.distributed.run) ends as the same phase
in one process does, within the tolerances of ``tests/test_scale_ddp.py``: XVNLI (one image per row) and MaRVL's
NLVR2 training (two images per row, each a piece of the row, whose pooled vectors are joined). Each process takes
its share of every global batch of rows with their pixels; the step losses, the all-reduced gradient norms, the dev
scores, the test metrics and every saved tensor (the encoder, and the head with its vision stem) agree."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest
from safetensors.numpy import load_file

from tests.test_scale_ddp import _drive, _without_dropout, assert_same_steps
from tests.vision_builders import write_marvl, write_xvnli
from xstilts.artefacts import atomic_write_json
from xstilts.experiments.plan import build_plan
from xstilts.experiments.spec import load_spec
from xstilts.experiments.store import PLAN_JSON

pytestmark = pytest.mark.slow

# Batches of 9 rows over 2 processes (5 and 4 rows), the last of an epoch 1 row (one process idles with weight 0);
# dropout is off in the model (and so in the heads), so both runs compute the same thing.
TRAINING = (
    "{lr: 2.0e-3, batch_size: 9, max_length: 16, epochs: 2, warmup_ratio: 0.0, eval_batch_size: 32,"
    " image_size: 16, vision_lr: 1.0e-2}"
)
TASKS = ("xvnli", "marvl")
ROWS = 55  # ceil(55 / 9) = 7 steps an epoch


@pytest.fixture(scope="module")
def runs(tiny_model: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """Both targets' training phases, once in one process and once in two; returns (root, task -> phase id)."""
    root = tmp_path_factory.mktemp("vl-ddp")
    model = _without_dropout(tiny_model, root / "model")
    write_xvnli(root / "data" / "xvnli", ["en", "fr"], n_train=ROWS, n_dev=8, n_test=8)
    write_marvl(root / "data" / "marvl", ["sw"], n_train=ROWS, n_dev=8, n_test=8)
    spec = root / "exp.yaml"
    spec.write_text(
        f"name: vl-ddp\nmodel: {model}\nseeds: [1]\nintermediate: [none]\ntarget: [{', '.join(TASKS)}]\n"
        f"training: {TRAINING}\ntasks:\n"
        f"  xvnli: {{data: {{source: local, path: {root / 'data' / 'xvnli'}}}, languages: [en, fr]}}\n"
        f"  marvl: {{data: {{source: local, path: {root / 'data' / 'marvl'}}}, languages: [sw]}}\n"
    )
    plan = build_plan(load_spec(spec))
    phases = {task: next(p.id for p in plan if p.kind == "train" and p.tasks == (task,)) for task in TASKS}
    jobs: dict[str, list[dict]] = {"single": [], "ddp": []}
    for how, listed in jobs.items():
        atomic_write_json(root / how / PLAN_JSON, [p.to_json() for p in plan])
        for task, phase in phases.items():
            listed.append(
                {"run_dir": str(root / how), "phase": phase, "log": str(root / "logs" / how / task), "sgd": False}
            )
    _drive([sys.executable], jobs["single"], root / "single.json", root / "cache-single")
    torchrun = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2"]
    _drive(torchrun, jobs["ddp"], root / "ddp.json", root / "cache-ddp")
    return root, phases


@pytest.mark.parametrize("task", TASKS)
def test_two_process_ddp_vision_language_phase_matches_one_process(
    runs: tuple[Path, dict[str, str]], task: str
) -> None:
    root, phases = runs
    single, ddp = (root / how / "phases" / phases[task] for how in ("single", "ddp"))
    one, two = (json.loads((d / "phase.json").read_text()) for d in (single, ddp))
    assert one["training"]["steps"] == two["training"]["steps"] == 7 * 2
    for a, b in zip(one["training"]["history"], two["training"]["history"], strict=True):
        assert a["dev"] == pytest.approx(b["dev"], abs=1e-6)
    assert [(m["task"], m["metric"]) for m in one["metrics"]] == [(m["task"], m["metric"]) for m in two["metrics"]]
    assert [m["value"] for m in one["metrics"]] == pytest.approx([m["value"] for m in two["metrics"]], abs=1e-6)

    assert_same_steps(root / "logs" / "single" / task, root / "logs" / "ddp" / task, one["training"]["steps"])

    ours, theirs = {}, {}
    for part in ("encoder/model.safetensors", "heads.safetensors"):
        ours |= {f"{part}: {k}": v for k, v in load_file(ddp / part).items()}
        theirs |= {f"{part}: {k}": v for k, v in load_file(single / part).items()}
    assert sorted(ours) == sorted(theirs)
    assert any(".stem." in key for key in theirs), sorted(theirs)[:5]  # the vision stem is compared too
    for name, value in theirs.items():
        np.testing.assert_allclose(ours[name], value, rtol=1e-3, atol=1e-4, err_msg=name)
    start = load_file(root / "model" / "model.safetensors")
    trained = load_file(single / "encoder" / "model.safetensors")
    assert max(float(np.abs(trained[name] - start[name]).max()) for name in start if name in trained) > 1e-3
    assert (ddp / "DONE").exists() and not (ddp / "train_state").exists()
