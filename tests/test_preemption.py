"""Preemption: SIGTERM or SIGUSR1 during training writes a checkpoint at the next step boundary and exits with
``REQUEUE_EXIT``; the rerun resumes from that step and ends bit-identical to an uninterrupted run. With
``executor: slurm`` (submitit, ``cluster: local`` here) the job checkpoints and requeues itself."""

from __future__ import annotations

import signal
from pathlib import Path
from typing import Any

import pytest

from tests.test_resume_faults import Reference, _rerun_resumes, _run, _train_dir, reference  # noqa: F401
from xstilts.errors import REQUEUE_EXIT
from xstilts.training import loop

pytestmark = pytest.mark.slow  # each test trains the tiny model twice


def _signal_after_checkpoint(patch: pytest.MonkeyPatch, step: int, signum: int) -> None:
    """``signum`` arrives right after the checkpoint of ``step`` is written, as from SLURM, mid-training."""
    save = loop.save_checkpoint

    def save_then_signal(workdir: Path, model: Any, optimizer: Any, scheduler: Any, state: dict[str, Any]) -> None:
        save(workdir, model, optimizer, scheduler, state)
        if state["step"] == step:
            signal.raise_signal(signum)

    patch.setattr(loop, "save_checkpoint", save_then_signal)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGUSR1], ids=["SIGTERM", "SIGUSR1"])
def test_a_stop_signal_checkpoints_at_the_next_step_and_the_rerun_resumes_exactly(
    reference: Reference,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    signum: int,
) -> None:
    run_dir = tmp_path / "run"
    with monkeypatch.context() as patch:
        _signal_after_checkpoint(patch, 3, signum)
        result = _run(reference.spec, run_dir)
    assert result.exit_code == REQUEUE_EXIT, result.output
    assert f"preempted: {signal.Signals(signum).name} received: checkpoint written at step 4" in result.output
    assert not (_train_dir(run_dir) / "DONE").exists()
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # the loop's handlers are gone with it
    _rerun_resumes(reference, run_dir, from_step=4)
