"""Two drivers, one run directory: a lock per phase (``experiments.phase_lock``), stale locks broken only when
their owner is provably gone, and two real ``xstilts run`` processes racing on the tiny model ending as one run
would, with every phase computed once."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.builders import assert_same_outcome, run_outcome
from tests.conftest import experiment_yaml
from xstilts.experiments.phase_lock import PhaseLocks

TRAINING = (
    "{lr: 1.0e-3, batch_size: 8, max_length: 48, epochs: 1, checkpoint_every: 3, eval_batch_size: 32,"
    " max_train_examples: 24, select_best: false}"
)


def _dead_pid() -> int:
    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    return int(finished.stdout)


def test_a_held_lock_is_refused_and_named_then_free_once_released(tmp_path: Path) -> None:
    locks = PhaseLocks(tmp_path)
    lock = locks.try_acquire("p1")
    assert lock is not None and locks.holder("p1") == "this process"
    assert locks.try_acquire("p1") is None
    lock.release()
    assert not locks.path("p1").exists()
    assert locks.try_acquire("p1") is not None


def test_a_stale_lock_on_this_host_is_broken_one_from_another_host_never(tmp_path: Path) -> None:
    locks = PhaseLocks(tmp_path)
    locks.folder.mkdir()
    dead = _dead_pid()
    locks.path("here").write_text(f"{dead}\n{socket.gethostname()}\n")
    assert locks.try_acquire("here") is not None  # its owner is gone: broken, taken
    locks.path("there").write_text(f"{dead}\nnode-elsewhere\n")
    assert locks.try_acquire("there") is None  # cannot be probed from here: still held
    assert locks.holder("there") == f"pid {dead} on host node-elsewhere"


def _driver(spec: Path, run_dir: Path, env: dict[str, str]) -> subprocess.Popen[str]:
    command = [sys.executable, "-m", "xstilts.cli", "run", str(spec), "--out", str(run_dir)]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)


@pytest.mark.slow
def test_two_real_drivers_racing_compute_each_phase_once_and_end_as_one_run(
    tiny_model: Path, data_root: Path, tmp_path: Path
) -> None:
    spec = tmp_path / "exp.yaml"
    spec.write_text(experiment_yaml(tiny_model, data_root, training=TRAINING))  # 5 phases: 3 train, 2 evaluate
    repo = Path(__file__).resolve().parents[1]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(repo / "src"), str(repo)])}
    single = _driver(spec, tmp_path / "single", {**env, "XSTILTS_CACHE": str(tmp_path / "cache-single")})
    out, _ = single.communicate(timeout=900)
    assert single.returncode == 0, out
    expected = run_outcome(tmp_path / "single")

    race = tmp_path / "race"
    env_race = {**env, "XSTILTS_CACHE": str(tmp_path / "cache-race")}
    first, second = _driver(spec, race, env_race), _driver(spec, race, env_race)
    outputs = [first.communicate(timeout=900)[0], second.communicate(timeout=900)[0]]
    assert first.returncode == 0 and second.returncode == 0, outputs
    ran = [re.findall(r"\(([0-9a-f]+)\): (?:pending|partial), running", out) for out in outputs]
    phases = {phase["id"] for phase in json.loads((race / "plan.json").read_text())}
    assert sorted(ran[0] + ran[1]) == sorted(phases)  # every phase ran once, in one driver or the other
    assert ran[0] and ran[1], outputs  # and both drivers did some of the work
    assert any("held by another driver" in out or "done by another driver" in out for out in outputs), outputs
    assert_same_outcome(race, expected)
    assert not list((race / "locks").glob("*.lock"))
