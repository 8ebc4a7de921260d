"""Full disk: ENOSPC injected at a write of a checkpoint, an artefact, a phase record or the results store leaves
the last good state in force and says how much space was wanted; the rerun, with space back, resumes and ends
with the metrics and tensors of an undisturbed run. Once more on a real 1 MiB tmpfs, where the machine allows."""

from __future__ import annotations

import errno
import os
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from tests.builders import assert_same_outcome, run_outcome
from tests.conftest import experiment_yaml
from xstilts import artefacts
from xstilts.cli import app
from xstilts.experiments.store import ResultsStore
from xstilts.models import multitask
from xstilts.training import checkpoint

TRAINING = (
    "{lr: 1.0e-3, batch_size: 8, max_length: 48, epochs: 1, checkpoint_every: 1, eval_batch_size: 32,"
    " max_train_examples: 24}"
)
POSITIONS = (0.0, 0.1, 0.25, 0.4, 0.55, 0.7, 0.85, 1.0)  # where in the run's sequence of writes the disk fills

pytestmark = pytest.mark.slow


class Writes:
    """Counts the run's writes (fsync of every atomic file, safetensors files, store transactions) and fails the
    ``fail_at``-th with ENOSPC."""

    def __init__(self, fail_at: int | None) -> None:
        self.count = 0
        self.fail_at = fail_at
        self.failed_in = ""

    def wrap(self, name: str, original: Callable[..., Any], error: Callable[[], BaseException]) -> Callable[..., Any]:
        def write(*args: Any, **kwargs: Any) -> Any:
            self.count += 1
            if self.count == self.fail_at:
                self.failed_in = name
                raise error()
            return original(*args, **kwargs)

        return write

    def install(self, patch: pytest.MonkeyPatch) -> None:
        def enospc() -> OSError:
            return OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

        patch.setattr(artefacts.os, "fsync", self.wrap("atomic file", os.fsync, enospc))
        patch.setattr(checkpoint, "save_file", self.wrap("checkpoint tensors", checkpoint.save_file, enospc))
        patch.setattr(multitask, "save_file", self.wrap("artefact heads", multitask.save_file, enospc))
        full = lambda: sqlite3.OperationalError("database or disk is full")  # noqa: E731
        patch.setattr(ResultsStore, "_record_phase", self.wrap("store", ResultsStore._record_phase, full))


def _run(spec: Path, run_dir: Path) -> Any:
    return CliRunner().invoke(app, ["run", str(spec), "--out", str(run_dir)])


@pytest.fixture(scope="module")
def undisturbed(tiny_model: Path, data_root: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Any, int]:
    root = tmp_path_factory.mktemp("undisturbed")
    spec = root / "exp.yaml"
    spec.write_text(experiment_yaml(tiny_model, data_root, intermediate="[none]", training=TRAINING))
    writes = Writes(None)
    with pytest.MonkeyPatch.context() as patch:
        writes.install(patch)
        result = _run(spec, root / "run")
    assert result.exit_code == 0, result.output
    return spec, run_outcome(root / "run"), writes.count


@pytest.mark.parametrize("position", POSITIONS)
def test_a_full_disk_at_any_write_keeps_the_last_good_state_and_the_rerun_ends_the_same(
    undisturbed: tuple[Path, Any, int], tmp_path: Path, position: float
) -> None:
    spec, expected, total = undisturbed
    writes = Writes(1 + round(position * (total - 1)))
    with pytest.MonkeyPatch.context() as patch:
        writes.install(patch)
        result = _run(spec, tmp_path / "run")
    assert writes.failed_in, "the injected write was never reached"
    assert result.exit_code == 2, result.output
    message = " ".join(result.output.split())
    assert "no space left on the device (writing " in message and " free there)" in message, message
    assert "Traceback" not in result.output
    rerun = _run(spec, tmp_path / "run")
    assert rerun.exit_code == 0, rerun.output
    assert_same_outcome(tmp_path / "run", expected)


def test_a_real_full_tmpfs(undisturbed: tuple[Path, Any, int], tmp_path: Path) -> None:
    """The run directory on a 1 MiB tmpfs, too small for the phase's artefacts; remounted at 64 MiB, the rerun
    ends as the undisturbed run did. Needs mount permission (root in a container that allows it)."""
    spec, expected, _ = undisturbed
    mount = tmp_path / "tiny"
    mount.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount)], capture_output=True).returncode:
        pytest.skip("cannot mount a tmpfs here")
    try:
        command = [sys.executable, "-m", "xstilts.cli", "run", str(spec), "--out", str(mount / "run")]
        first = subprocess.run(command, capture_output=True, text=True, timeout=900)
        assert first.returncode == 2, first.stdout + first.stderr
        assert "no space left on the device" in " ".join(first.stderr.split()), first.stderr
        assert "Traceback" not in first.stderr
        subprocess.run(["mount", "-o", "remount,size=64m", str(mount)], check=True)
        second = subprocess.run(command, capture_output=True, text=True, timeout=900)
        assert second.returncode == 0, second.stdout + second.stderr
        assert_same_outcome(mount / "run", expected)
    finally:
        subprocess.run(["umount", "-l", str(mount)], capture_output=True)
