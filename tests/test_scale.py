"""Performance and scale, the fast parts: fused AdamW on CPU, each DDP process's share of a global batch, the
optional compiled encoder, and the executor section of the experiment file."""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from tests.builders import stub_phase
from tests.conftest import experiment_yaml
from xstilts.artefacts import PhaseDir, atomic_write_json
from xstilts.cli import app
from xstilts.errors import ConfigError
from xstilts.experiments.plan import build_plan, phase_id
from xstilts.experiments.spec import load_spec
from xstilts.experiments.store import PLAN_JSON
from xstilts.training.loop import _optimizer, _share
from xstilts.training.settings import TrainingSettings


def test_adamw_is_fused_on_cpu_and_steps_like_the_reference_implementation() -> None:
    torch.manual_seed(0)
    fused_model = torch.nn.Sequential(torch.nn.Linear(4, 4), torch.nn.LayerNorm(4), torch.nn.Linear(4, 1))
    plain_model = copy.deepcopy(fused_model)
    settings = TrainingSettings(lr=1e-2, weight_decay=0.1)
    fused = _optimizer(fused_model, settings, torch.device("cpu"))
    assert fused.defaults["fused"] is True
    plain = torch.optim.AdamW(  # the single-tensor reference, same groups: no decay on biases and LayerNorms
        [
            {"params": [p for p in plain_model.parameters() if p.ndim >= 2], "weight_decay": 0.1},
            {"params": [p for p in plain_model.parameters() if p.ndim < 2], "weight_decay": 0.0},
        ],
        lr=1e-2,
        foreach=False,
    )
    inputs = torch.randn(8, 4)
    before = [p.detach().clone() for p in fused_model.parameters()]
    for _ in range(3):
        for model, optimizer in ((fused_model, fused), (plain_model, plain)):
            optimizer.zero_grad()
            model(inputs).pow(2).mean().backward()
            optimizer.step()
    for ours, reference, start in zip(fused_model.parameters(), plain_model.parameters(), before, strict=True):
        torch.testing.assert_close(ours, reference)
        assert not torch.equal(ours, start)


@pytest.mark.parametrize("processes", [1, 2, 3, 4])
@pytest.mark.parametrize("rows", [1, 2, 5, 7, 16])
def test_weighted_shares_average_to_the_whole_batch_mean(processes: int, rows: int) -> None:
    losses = np.random.default_rng(rows).normal(size=rows)  # per-row losses of one global batch
    indices = list(range(rows))
    shares = [_share(indices, rank, processes) for rank in range(processes)]
    taken = sorted(i for mine, weight in shares if weight > 0 for i in mine)
    assert taken == indices  # every row once, on exactly one process
    assert all(mine for mine, _ in shares)  # no process is left without a forward pass (DDP would hang)
    # DDP averages the processes' gradients: the mean of the weighted per-process mean losses.
    averaged = np.mean([weight * losses[mine].mean() for mine, weight in shares])
    assert averaged == pytest.approx(losses.mean(), rel=1e-12)


def test_compile_is_bookkeeping_not_identity() -> None:
    config = {"kind": "train", "optimizer": {"lr": 1e-5, "compile": False, "checkpoint_every": 5}}
    compiled = {"kind": "train", "optimizer": {"lr": 1e-5, "compile": True, "checkpoint_every": 5}}
    assert phase_id(config) == phase_id(compiled)
    assert phase_id(config) != phase_id({"kind": "train", "optimizer": {"lr": 2e-5, "compile": False}})


def test_compiled_encoder_trains_and_keeps_parameter_names(tiny_model: Path, tmp_path: Path) -> None:
    from xstilts.data.batching import TaskStream
    from xstilts.data.features import Column, Features
    from xstilts.kinds.base import ENCODER_COLUMNS
    from xstilts.models.encoder import load_encoder
    from xstilts.models.multitask import MultiTaskModel
    from xstilts.training.loop import make_accelerator, train

    encoder, tokenizer = load_encoder(str(tiny_model))
    spec = {"kind": "classification", "labels": ["a", "b"], "num_labels": 2, "options": {}}
    model = MultiTaskModel(encoder, {"pair": spec})
    names = sorted(name for name, _ in model.named_parameters())
    rng = np.random.default_rng(0)
    features = Features(
        sequences={"input_ids": [[0, *rng.integers(5, 30, size=6).tolist(), 2] for _ in range(8)]},
        scalars={"label": rng.integers(0, 2, size=8).tolist()},
        columns={**ENCODER_COLUMNS, "label": Column("target")},
    )
    settings = TrainingSettings(compile=True, batch_size=4, epochs=1, lr=1e-3, checkpoint_every=100)
    try:
        record = train(
            model,
            [TaskStream("pair", features)],
            tokenizer.pad_token_id,
            settings,
            1,
            tmp_path,
            lambda _: (0.0, {}),
            make_accelerator(),
            "compiled",
        )
    except torch._dynamo.exc.BackendCompilerFailed as err:  # the CPU backend needs a working C++ compiler
        pytest.skip(f"torch.compile is unavailable here: {err}")
    assert record["steps"] == 2
    assert sorted(name for name, _ in model.named_parameters()) == names  # checkpoints and artefacts unchanged


def _spec(tmp_path: Path, model: Path, data: Path, executor: str) -> Path:
    path = tmp_path / "exp.yaml"
    path.write_text(experiment_yaml(model, data, executor=executor))
    return path


def test_executor_section_does_not_change_phase_ids(tiny_model: Path, data_root: Path, tmp_path: Path) -> None:
    plain = load_spec(_spec(tmp_path, tiny_model, data_root, "{kind: local}"))
    parallel = load_spec(_spec(tmp_path, tiny_model, data_root, "{kind: local, devices: [cpu, cpu]}"))
    slurm = load_spec(_spec(tmp_path, tiny_model, data_root, "{kind: slurm, slurm: {partition: gpu, time_min: 60}}"))
    assert parallel.executor.devices == ["cpu", "cpu"]
    assert slurm.executor.slurm.partition == "gpu" and slurm.executor.slurm.time_min == 60
    ids = [[phase.id for phase in build_plan(spec)] for spec in (plain, parallel, slurm)]
    assert ids[0] == ids[1] == ids[2]


@pytest.mark.parametrize(
    ("executor", "message"),
    [
        ("{kind: local, devices: [0, 0]}", "executor.devices: Value error, a device is listed twice"),
        ("{kind: slurm, devices: [0]}", "devices apply to the local executor"),
        ("{kind: lokal}", "executor.kind"),
        ("{kind: slurm, slurm: {time_min: 0}}", "executor.slurm.time_min"),
    ],
)
def test_bad_executor_sections_name_file_line_and_field(
    tiny_model: Path, data_root: Path, tmp_path: Path, executor: str, message: str
) -> None:
    path = _spec(tmp_path, tiny_model, data_root, executor)
    with pytest.raises(ConfigError) as err:
        load_spec(path)
    line = next(i for i, text in enumerate(path.read_text().splitlines(), 1) if text.startswith("executor:"))
    assert f"{path}:{line}: " in str(err.value) and message in str(err.value)


def test_run_phase_command_checks_the_plan_and_the_parent(tmp_path: Path) -> None:
    runner = CliRunner()
    missing = runner.invoke(app, ["run-phase", str(tmp_path), "a1"])
    assert missing.exit_code == 2 and "plan.json not found" in missing.output
    phases = [stub_phase("a", "train", "baseline", 1, None, ("a1",)), stub_phase("a1", "evaluate", "baseline", 1, "a")]
    atomic_write_json(tmp_path / PLAN_JSON, [phase.to_json() for phase in phases])
    unknown = runner.invoke(app, ["run-phase", str(tmp_path), "zz"])
    assert unknown.exit_code == 2 and "no phase 'zz'" in unknown.output
    orphan = runner.invoke(app, ["run-phase", str(tmp_path), "a1"])
    assert orphan.exit_code == 2 and "its parent phase a has not finished" in orphan.output
    PhaseDir.of(tmp_path, "a1").mark_done()
    done = runner.invoke(app, ["run-phase", str(tmp_path), "a1"])
    assert done.exit_code == 0 and "(a1): done, skipped" in done.output
    assert "run-phase" not in runner.invoke(app, ["--help"]).output  # internal: the executors launch it
