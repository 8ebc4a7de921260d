"""Interruptions at the awkward moments, each followed by a rerun of the same command: an evaluation stopped
between two languages, a kill right at an epoch boundary, a process that dies with a checkpoint half written,
training data that changed in between, and Ctrl-C in the middle of a step. Where the code promises exact resume
the rerun ends bit-identical (metrics and every saved tensor) to an uninterrupted run; where it cannot resume
(other data) it refuses with a clear message.

Faults are injected in-process at a chosen step (deterministic), except where a real kill is the point."""

from __future__ import annotations

import inspect
import itertools
import json
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from accelerate import Accelerator
from click.testing import Result
from typer.testing import CliRunner

from tests.builders import assert_same_outcome, run_outcome, write_glue_mnli, write_xnli_official
from tests.conftest import experiment_yaml
from xstilts.cli import app
from xstilts.evaluation import scoring as evaluation_scoring
from xstilts.training import checkpoint, loop

# 48 training examples in batches of 8: 6 steps an epoch, 12 in all. Checkpoints are written after steps 3 and 6
# (the epoch's last step, before its dev selection), at the end of epoch 1 (step 6 again, after selection) and
# after step 9; step 12 ends the run. The last epoch's weights are kept (each epoch is still scored on dev): in so
# few steps the tiny model's dev score ties across epochs, and keeping the best would keep epoch 1's weights and
# hide from the comparison every step after it.
TRAINING = (
    "{lr: 1.0e-3, batch_size: 8, max_length: 48, epochs: 2, checkpoint_every: 3, eval_batch_size: 32,"
    " max_train_examples: 48, select_best: false}"
)
STEPS_PER_EPOCH = 6

pytestmark = pytest.mark.slow  # each test trains a tiny model twice, or three times (seconds each)


class Killed(BaseException):
    """The process dies here: not an Exception, so nothing on the way up handles it."""


@dataclass(frozen=True)
class Reference:
    spec: Path
    outcome: tuple[dict[tuple, float], dict[str, np.ndarray]]
    training: dict[str, Any]


def _run(spec: Path, run_dir: Path) -> Result:
    return CliRunner().invoke(app, ["run", str(spec), "--out", str(run_dir)])


def _phases(run_dir: Path, kind: str) -> list[dict[str, Any]]:
    return [p for p in json.loads((run_dir / "plan.json").read_text()) if p["kind"] == kind]


def _train_dir(run_dir: Path) -> Path:
    (phase,) = _phases(run_dir, "train")
    return run_dir / "phases" / phase["id"]


def _training(run_dir: Path) -> dict[str, Any]:
    return json.loads((_train_dir(run_dir) / "phase.json").read_text())["training"]


@pytest.fixture(scope="module")
def reference(tiny_model: Path, data_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Reference:
    """One uninterrupted run of the experiment every test interrupts."""
    root = tmp_path_factory.mktemp("uninterrupted")
    spec = root / "exp.yaml"
    spec.write_text(experiment_yaml(tiny_model, data_root, intermediate="[none]", training=TRAINING))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XSTILTS_CACHE", str(root / "cache"))
        result = _run(spec, root / "run")
        assert result.exit_code == 0, result.output
        training = _training(root / "run")
        assert training["steps"] == training["total_steps"] == 2 * STEPS_PER_EPOCH
        assert training["resumed_from_step"] == 0 and [h["epoch"] for h in training["history"]] == [1, 2]
        return Reference(spec, run_outcome(root / "run"), training)


def _rerun_resumes(reference: Reference, run_dir: Path, from_step: int) -> Result:
    """Reruns the interrupted command: the training phase resumes from ``from_step`` and the run ends as the
    uninterrupted one did."""
    result = _run(reference.spec, run_dir)
    assert result.exit_code == 0, result.output
    assert "partial, running" in result.output
    training = _training(run_dir)
    assert training["resumed_from_step"] == from_step
    assert training["history"] == reference.training["history"]  # each epoch selected once, with the same scores
    assert_same_outcome(run_dir, reference.outcome)
    return result


def _ctrl_c() -> None:
    """What the terminal does on Ctrl-C: SIGINT to this process, whose default handler raises KeyboardInterrupt."""
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    signal.raise_signal(signal.SIGINT)


def _assert_interrupted_by_ctrl_c(result: Result) -> None:
    assert result.exit_code == 130, result.output
    assert "run the same command again to resume" in result.output


def test_interrupted_evaluation_keeps_its_finished_languages(
    reference: Reference, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_dir = tmp_path / "run"
    score_set = evaluation_scoring.score_set
    scored: list[str] = []

    def scorer(ctrl_c_at: str | None) -> Callable[..., Any]:
        def score(*args: Any, **kwargs: Any) -> Any:
            language = inspect.signature(score_set).bind(*args, **kwargs).arguments["language"]
            if language == ctrl_c_at:
                _ctrl_c()
            scored.append(language)
            return score_set(*args, **kwargs)

        return score

    trained = _train_dir(reference.spec.parent / "run")  # the finished training phase, reused as it is
    shutil.copytree(trained, run_dir / "phases" / trained.name)
    languages = _phases(reference.spec.parent / "run", "evaluate")[0]["config"]["languages"]
    first, second = languages[:2]
    with monkeypatch.context() as patch:
        patch.setattr(evaluation_scoring, "score_set", scorer(ctrl_c_at=second))
        _assert_interrupted_by_ctrl_c(_run(reference.spec, run_dir))
    (evaluation,) = _phases(run_dir, "evaluate")
    directory = run_dir / "phases" / evaluation["id"]
    assert scored == [first] and not (directory / "DONE").exists()
    assert sorted(p.name for p in (directory / "languages").iterdir()) == [f"{first}.json"]
    kept = [directory / "languages" / f"{first}.json", *directory.glob(f"predictions/*/*-{first}.*")]
    assert len(kept) == 2
    before = {path: (path.stat().st_mtime_ns, path.read_bytes()) for path in kept}

    scored.clear()
    monkeypatch.setattr(evaluation_scoring, "score_set", scorer(ctrl_c_at=None))
    result = _rerun_resumes(reference, run_dir, from_step=0)  # the uninterrupted run's training phase
    assert "done, skipped" in result.output
    assert scored == languages[1:]  # the finished language is not scored again
    assert {path: (path.stat().st_mtime_ns, path.read_bytes()) for path in kept} == before


def _kill_after_checkpoint(patch: pytest.MonkeyPatch, step: int, occurrence: int) -> None:
    """The process dies right after the ``occurrence``-th checkpoint of ``step`` is complete."""
    save = loop.save_checkpoint
    seen = itertools.count(1)

    def save_then_die(workdir: Path, model: Any, optimizer: Any, scheduler: Any, state: dict[str, Any]) -> None:
        save(workdir, model, optimizer, scheduler, state)
        if state["step"] == step and next(seen) == occurrence:
            raise Killed

    patch.setattr(loop, "save_checkpoint", save_then_die)


@pytest.mark.parametrize(
    "occurrence",
    [
        pytest.param(1, id="after-the-epochs-last-step-before-its-selection"),
        pytest.param(2, id="after-the-epochs-selection-before-the-next-epochs-first-step"),
    ],
)
def test_kill_at_an_epoch_boundary_resumes_exactly(
    reference: Reference, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, occurrence: int
) -> None:
    run_dir = tmp_path / "run"
    with monkeypatch.context() as patch:
        _kill_after_checkpoint(patch, STEPS_PER_EPOCH, occurrence)
        with pytest.raises(Killed):
            _run(reference.spec, run_dir)
    assert not (_train_dir(run_dir) / "DONE").exists()
    _rerun_resumes(reference, run_dir, from_step=STEPS_PER_EPOCH)


def _nth_call(n: int) -> Callable[[], bool]:
    calls = itertools.count(1)
    return lambda: next(calls) == n


def test_death_while_a_checkpoint_file_is_half_written_resumes_from_the_previous_checkpoint(
    reference: Reference, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The fourth checkpoint (after step 9) dies with its optimizer state half on disk: the rerun must not trust
    it, and resumes from the complete one before it (the end of epoch 1)."""
    run_dir = tmp_path / "run"
    save_file, fourth = checkpoint.save_file, _nth_call(4)

    def half_written(tensors: dict[str, Any], filename: str, *args: Any, **kwargs: Any) -> None:
        save_file(tensors, filename, *args, **kwargs)
        path = Path(filename)
        if path.name == "optimizer.safetensors" and fourth():
            path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
            raise Killed

    with monkeypatch.context() as patch:
        patch.setattr(checkpoint, "save_file", half_written)
        with pytest.raises(Killed):
            _run(reference.spec, run_dir)
    _rerun_resumes(reference, run_dir, from_step=STEPS_PER_EPOCH)


# Runs the CLI and SIGKILLs the process just before the fourth checkpoint (after step 9) replaces the ``latest``
# pointer: the checkpoint's files and the pointer's temporary file are on disk, the rename did not happen.
KILL_BEFORE_FOURTH_POINTER_RENAME = """
import itertools, os, signal, sys
from pathlib import Path
from xstilts.cli import app
from xstilts.training.checkpoint import LATEST
replace, pointers = os.replace, itertools.count(1)
def replace_or_die(src, dst, *args, **kwargs):
    if Path(dst).name == LATEST and next(pointers) == 4:
        os.kill(os.getpid(), signal.SIGKILL)
    return replace(src, dst, *args, **kwargs)
os.replace = replace_or_die
app(sys.argv[1:], prog_name="xstilts")
"""


def test_sigkill_before_the_checkpoint_pointer_is_renamed_resumes_from_the_previous_checkpoint(
    reference: Reference, tmp_path: Path
) -> None:
    run_dir = tmp_path / "run"
    command = [sys.executable, "-c", KILL_BEFORE_FOURTH_POINTER_RENAME, "run", str(reference.spec), "--out"]
    killed = subprocess.run([*command, str(run_dir)], capture_output=True, text=True, timeout=600)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    state = _train_dir(run_dir) / "train_state"
    (pointer,) = state.glob(f".{checkpoint.LATEST}.*.tmp")  # what the kill left: the new pointer, not renamed
    assert pointer.read_text() != (state / checkpoint.LATEST).read_text()
    assert (state / pointer.read_text() / "state.json").exists()  # the new checkpoint itself is complete
    _rerun_resumes(reference, run_dir, from_step=STEPS_PER_EPOCH)


@pytest.fixture
def own_data(tmp_path: Path) -> Iterator[Path]:
    """The fixture data this test may change: MNLI (XNLI's training data) and XNLI."""
    root = tmp_path / "data"
    write_glue_mnli(root / "mnli", n_train=240, n_dev=48)
    write_xnli_official(root / "xnli", ["en", "de", "sw"], n_per_language=30)
    yield root


@pytest.mark.parametrize(
    "change",
    [
        pytest.param({"n_train": 40}, id="fewer-examples"),
        pytest.param({"n_train": 240, "seed": 1}, id="as-many-examples-other-ones"),
    ],
)
def test_training_data_changed_since_the_interruption_refuses_to_resume(
    tiny_model: Path, own_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, change: dict[str, int]
) -> None:
    spec, run_dir = tmp_path / "exp.yaml", tmp_path / "run"
    spec.write_text(experiment_yaml(tiny_model, own_data, intermediate="[none]", training=TRAINING))
    with monkeypatch.context() as patch:
        _kill_after_checkpoint(patch, step=3, occurrence=1)
        with pytest.raises(Killed):
            _run(spec, run_dir)
    write_glue_mnli(own_data / "mnli", n_dev=48, **change)

    result = _run(spec, run_dir)
    assert result.exit_code == 2, result.output
    message = " ".join(result.output.split())
    assert "the data changed since the interruption" in message
    assert f"Delete {_train_dir(run_dir)} to start this phase anew" in message
    assert not (_train_dir(run_dir) / "phase.json").exists()  # nothing trained on the new data under the old id
    assert (_train_dir(run_dir) / "train_state" / checkpoint.LATEST).exists()  # the checkpoint is kept


def test_ctrl_c_in_the_middle_of_a_step_then_rerun_resumes_exactly(
    reference: Reference, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ctrl-C during step 8 (between the checkpoints after steps 6 and 9): the run stops with the resume hint,
    and the rerun resumes from step 6."""
    run_dir = tmp_path / "run"
    backward, eighth = Accelerator.backward, _nth_call(STEPS_PER_EPOCH + 2)

    def backward_or_ctrl_c(self: Accelerator, loss: Any, **kwargs: Any) -> None:
        if eighth():  # one backward pass a step: one micro-batch a step, one task
            _ctrl_c()
        backward(self, loss, **kwargs)

    with monkeypatch.context() as patch:
        patch.setattr(Accelerator, "backward", backward_or_ctrl_c)
        _assert_interrupted_by_ctrl_c(_run(reference.spec, run_dir))
    assert not (_train_dir(run_dir) / "DONE").exists()
    _rerun_resumes(reference, run_dir, from_step=STEPS_PER_EPOCH)
