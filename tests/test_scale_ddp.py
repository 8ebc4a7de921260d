"""A phase under DDP (2 CPU processes, gloo, launched with torch.distributed.run) ends with the weights and
metrics of the same phase in one process, up to numerical noise, for each kind with a per-example loss
(classification, span extraction, multiple choice): each process takes its share of every global batch, and only
the main process writes the artefacts. Every optimizer step is compared too: the loss of the global batch (the mean
over processes of each one's weighted loss) and the norm of the all-reduced gradient. With AdamW a gradient twice
too large moves the weights almost as the right one does (the update is nearly scale-free, and clipping rescales
it), so a sum-instead-of-mean error shows in the gradient norm, and in an SGD run, whose update scales with it."""

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

from tests import choice_builders
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
# Plain SGD without clipping: the update is lr x gradient, so a gradient N times too large moves N times too far.
SGD_TRAINING = TRAINING.replace("lr: 2.0e-3", "lr: 5.0e-2, max_grad_norm: 1.0e+6").replace("epochs: 2", "epochs: 1")
# case -> (the trained task of a target's first phase, settings, SGD instead of AdamW)
CASES = {
    "classification": ("xnli", TRAINING, False),
    "span_extraction": ("xquad", TRAINING, False),
    "multiple_choice": ("siqa", TRAINING, False),  # XCOPA's first stage
    "classification_sgd": ("xnli", SGD_TRAINING, True),
}
DRIVER = Path(__file__).with_name("ddp_driver.py")


def _without_dropout(model: Path, directory: Path) -> Path:
    shutil.copytree(model, directory)
    config = json.loads((directory / "config.json").read_text())
    config.update(hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0)
    (directory / "config.json").write_text(json.dumps(config))
    return directory


def _plan(tmp_path: Path, model: Path, data: Path, training: str) -> list:
    tmp_path.mkdir(parents=True, exist_ok=True)
    spec = tmp_path / "exp.yaml"
    text = experiment_yaml(model, data, intermediate="[none]", target="[xnli, xquad, xcopa]", training=training)
    text += "".join(f"  {task}: {{data: {{source: local, path: {data / task}}}}}\n" for task in ("siqa", "copa"))
    spec.write_text(text + f"  xcopa: {{data: {{source: local, path: {data / 'xcopa'}}}, languages: [it, sw]}}\n")
    return build_plan(load_spec(spec))


def _events_by_step(events: list[list]) -> list[tuple[float, float]]:
    """(the summed loss of its backward passes, the gradient norm) per optimizer step."""
    steps, loss = [], 0.0
    for kind, value in events:
        if kind == "loss":
            loss += value
        else:
            steps.append((loss, value))
            loss = 0.0
    return steps


def assert_same_steps(single: Path, ddp: Path, steps: int) -> None:
    """Step by step, from the driver's logs of one run in one process and in two: the global batch's loss and the
    norm of the gradient every process applies."""
    alone = _events_by_step(json.loads((single / "rank0.json").read_text()))
    ranks = [_events_by_step(json.loads((ddp / f"rank{r}.json").read_text())) for r in (0, 1)]
    assert len(alone) == len(ranks[0]) == len(ranks[1]) == steps
    for step, ((loss, norm), (loss0, norm0), (loss1, norm1)) in enumerate(zip(alone, *ranks, strict=True)):
        assert norm0 == pytest.approx(norm1, rel=1e-6), step  # one all-reduced gradient
        assert (loss0 + loss1) / 2 == pytest.approx(loss, rel=1e-4, abs=1e-6), step
        assert norm0 == pytest.approx(norm, rel=1e-4, abs=1e-6), step
    assert len({round(loss, 4) for loss, _ in alone}) > 1  # the loss moves: these are not one step repeated


def _drive(prefix: list[str], jobs: list[dict], jobs_file: Path, cache: Path) -> None:
    atomic_write_json(jobs_file, jobs)
    env = {**os.environ, "CUDA_VISIBLE_DEVICES": "", "XSTILTS_CACHE": str(cache), "OMP_NUM_THREADS": "1"}
    result = subprocess.run(
        [*prefix, str(DRIVER), str(jobs_file)], env=env, capture_output=True, text=True, timeout=900
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.fixture(scope="module")
def runs(tiny_model: Path, data_root: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """Every case trained once in one process and once in two; returns (root, case -> phase id)."""
    root = tmp_path_factory.mktemp("ddp")
    model = _without_dropout(tiny_model, root / "model")
    data = root / "data"
    for name in ("mnli", "xnli", "squad", "xquad"):
        (data / name).parent.mkdir(parents=True, exist_ok=True)
        (data / name).symlink_to(data_root / name)
    choice_builders.write_siqa_v14(data / "siqa", n_train=55, n_dev=16)
    choice_builders.write_copa_xtreme(data / "copa", n_train=16, n_dev=8)
    choice_builders.write_xcopa_official(data / "xcopa", ["it", "sw"], n=8)
    phases, jobs = {}, {"single": [], "ddp": []}
    for case, (task, training, sgd) in CASES.items():
        plan = _plan(root / case, model, data, training)
        phase = next(p for p in plan if p.kind == "train" and p.parent is None and p.tasks == (task,))
        phases[case] = phase.id
        for how in jobs:
            run_dir = root / how / case
            atomic_write_json(run_dir / PLAN_JSON, [p.to_json() for p in plan])
            log = str(root / "logs" / how / case)
            jobs[how].append({"run_dir": str(run_dir), "phase": phase.id, "log": log, "sgd": sgd})
    _drive([sys.executable], jobs["single"], root / "single.json", root / "cache-single")
    torchrun = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2"]
    _drive(torchrun, jobs["ddp"], root / "ddp.json", root / "cache-ddp")
    return root, phases


@pytest.mark.parametrize("case", sorted(CASES))
def test_two_process_ddp_phase_matches_one_process(runs: tuple[Path, dict[str, str]], case: str) -> None:
    root, phases = runs
    phase = phases[case]
    single, ddp = root / "single" / case, root / "ddp" / case
    one, two = (json.loads((d / "phases" / phase / "phase.json").read_text()) for d in (single, ddp))
    assert one["training"]["steps"] == two["training"]["steps"]
    if case.startswith("classification"):  # ceil(55 / 9) steps per epoch
        assert one["training"]["steps"] == 7 * (1 if case.endswith("sgd") else 2)
    for a, b in zip(one["training"]["history"], two["training"]["history"], strict=True):
        assert a["dev"] == pytest.approx(b["dev"], abs=1e-6)
    assert [(m["task"], m["metric"]) for m in one["metrics"]] == [(m["task"], m["metric"]) for m in two["metrics"]]
    assert [m["value"] for m in one["metrics"]] == pytest.approx([m["value"] for m in two["metrics"]], abs=1e-6)

    assert_same_steps(root / "logs" / "single" / case, root / "logs" / "ddp" / case, one["training"]["steps"])

    start = load_file(root / "model" / "model.safetensors")
    ours, theirs = {}, {}
    for part in ("encoder/model.safetensors", "heads.safetensors"):
        ours |= {f"{part}: {k}": v for k, v in load_file(ddp / "phases" / phase / part).items()}
        theirs |= {f"{part}: {k}": v for k, v in load_file(single / "phases" / phase / part).items()}
    assert sorted(ours) == sorted(theirs)
    if case.startswith("classification"):
        for name, value in theirs.items():
            np.testing.assert_allclose(ours[name], value, rtol=1e-3, atol=1e-4, err_msg=name)
    else:
        # A span head's start and end biases, the final LayerNorm bias below it and a choice head's bias have an
        # exactly zero gradient (softmax over positions or choices ignores a shift); AdamW turns the rounding
        # noise there into steps of about lr, different in each run. So the whole model is compared: the runs
        # differ by less than 1% of the distance training moved it.
        trained = {name: value for name, value in theirs.items() if name.startswith("encoder/")}
        distance = np.sqrt(sum(float(((ours[k] - theirs[k]) ** 2).sum()) for k in theirs))
        travelled = np.sqrt(sum(float(((v - start[k.split(": ")[1]]) ** 2).sum()) for k, v in trained.items()))
        assert distance < 1e-2 * travelled, (distance, travelled)
    trained = load_file(single / "phases" / phase / "encoder" / "model.safetensors")
    moved = max(float(np.abs(trained[name] - start[name]).max()) for name in start if name in trained)
    assert moved > 1e-3  # training changed the weights: this is not a comparison of two untouched copies
    assert (ddp / "phases" / phase / "DONE").exists()
    assert not (ddp / "phases" / phase / "train_state").exists()
