"""`xstilts run` with a vision-language target: MNLI as the text intermediate, then XVNLI (image premise) trained
on English and evaluated zero-shot in French, on files and images the test writes; a kill -9 in the middle of the
XVNLI phase resumes to the same metrics and tensors as an uninterrupted run; MaRVL's image pairs train on NLVR2 and
transfer, and resume exactly after a kill -9 under a bottleneck adapter."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.builders import assert_same_outcome, run_outcome, write_glue_mnli
from tests.test_resume import _kill_mid_phase
from tests.vision_builders import write_xvnli

pytestmark = pytest.mark.slow

TRAINING = (
    "{lr: 2.0e-3, batch_size: 8, max_length: 16, epochs: 6, checkpoint_every: 10, eval_batch_size: 32,"
    " image_size: 16, vision_lr: 2.0e-2, warmup_ratio: 0.0}"
)


def _spec(model: Path, root: Path) -> Path:
    write_glue_mnli(root / "mnli", n_train=32, n_dev=8)
    write_xvnli(root / "xvnli", ["en", "fr"], n_train=96, n_dev=12, n_test=18)
    spec = root / "exp.yaml"
    spec.write_text(
        f"name: vl\nmodel: {model}\nseeds: [1]\nintermediate: [mnli]\ntarget: [xvnli]\ntraining: {TRAINING}\n"
        "tasks:\n"
        f"  mnli: {{data: {{source: local, path: {root / 'mnli'}}}, training: {{epochs: 1}}}}\n"
        f"  xvnli: {{data: {{source: local, path: {root / 'xvnli'}}}, languages: [en, fr]}}\n"
    )
    return spec


def _xstilts(*args: str) -> list[str]:
    return [sys.executable, "-m", "xstilts.cli", *args]


def test_xvnli_trains_on_images_transfers_and_resumes_exactly(tiny_model: Path, tmp_path: Path) -> None:
    spec = _spec(tiny_model, tmp_path)
    reference, interrupted = tmp_path / "reference", tmp_path / "interrupted"
    done = subprocess.run(_xstilts("run", str(spec), "--out", str(reference)), capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]
    metrics, _ = outcome = run_outcome(reference)
    accuracy = {key[2]: value for key, value in metrics.items() if key[3] == "test" and key[4] == "accuracy"}
    # The label is the image's colour and the hypotheses are random words: only the image path can score.
    assert set(accuracy) == {"en", "fr"} and all(value >= 80.0 for value in accuracy.values()), accuracy
    kinds = {
        spec["kind"] for path in reference.glob("phases/*/heads.json") for spec in json.loads(path.read_text()).values()
    }
    assert kinds == {"classification", "vision_language"}

    victim = _kill_mid_phase(_xstilts("run", str(spec), "--out", str(interrupted)), interrupted)
    rerun = subprocess.run(_xstilts("run", str(spec), "--out", str(interrupted)), capture_output=True, text=True)
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    assert json.loads((victim / "phase.json").read_text())["training"]["resumed_from_step"] > 0
    assert_same_outcome(interrupted, outcome)


def test_marvl_pairs_train_on_nlvr2_and_transfer(tiny_model: Path, tmp_path: Path) -> None:
    from tests.vision_builders import write_marvl

    write_marvl(tmp_path / "marvl", ["sw"], n_train=96, n_dev=12, n_test=16)
    spec = tmp_path / "exp.yaml"
    spec.write_text(
        f"name: pairs\nmodel: {tiny_model}\nseeds: [1]\nintermediate: [none]\ntarget: [marvl]\ntraining: {TRAINING}\n"
        f"tasks:\n  marvl: {{data: {{source: local, path: {tmp_path / 'marvl'}}}, languages: [sw]}}\n"
    )
    done = subprocess.run(_xstilts("run", str(spec), "--out", str(tmp_path / "run")), capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]
    metrics, _ = run_outcome(tmp_path / "run")
    (accuracy,) = [v for k, v in metrics.items() if k[3] == "test" and k[4] == "accuracy"]
    # True exactly when the right image is red: only a model that reads each piece's own image scores.
    assert accuracy >= 75.0, accuracy
    predictions = (tmp_path / "run").glob("phases/*/predictions/marvl/test-sw.tsv")
    assert [set(p.read_text().split()) <= {"True", "False"} for p in predictions] == [True]


def test_image_pair_adapter_phase_killed_mid_training_resumes_bit_exactly(tiny_model: Path, tmp_path: Path) -> None:
    """MaRVL's NLVR2 training (two images a row) with a bottleneck adapter on the MNLI adapter: a SIGKILL in its
    middle, a rerun from the last checkpoint (adapter, head with its vision stem, optimizer and data order), and the
    same metrics and saved tensors as an uninterrupted run."""
    from tests.vision_builders import write_marvl

    write_glue_mnli(tmp_path / "mnli", n_train=32, n_dev=8)
    write_marvl(tmp_path / "marvl", ["sw"], n_train=48, n_dev=8, n_test=8)
    training = TRAINING.replace("epochs: 6, checkpoint_every: 10", "epochs: 4, checkpoint_every: 5")
    spec = tmp_path / "exp.yaml"
    spec.write_text(
        f"name: pairs\nmodel: {tiny_model}\nseeds: [1]\nintermediate: [mnli]\ntarget: [marvl]\nmethod: bottleneck\n"
        f"training: {training}\ntasks:\n"
        f"  mnli: {{data: {{source: local, path: {tmp_path / 'mnli'}}}, training: {{epochs: 1}}}}\n"
        f"  marvl: {{data: {{source: local, path: {tmp_path / 'marvl'}}}, languages: [sw]}}\n"
    )
    reference, interrupted = tmp_path / "reference", tmp_path / "interrupted"
    done = subprocess.run(_xstilts("run", str(spec), "--out", str(reference)), capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]
    outcome = run_outcome(reference)
    assert any("/adapters/target_marvl/" in key for key in outcome[1]) and any(".stem." in key for key in outcome[1])

    victim = _kill_mid_phase(_xstilts("run", str(spec), "--out", str(interrupted)), interrupted)
    rerun = subprocess.run(_xstilts("run", str(spec), "--out", str(interrupted)), capture_output=True, text=True)
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    assert f"({victim.name}): partial, running" in rerun.stdout
    assert json.loads((victim / "phase.json").read_text())["training"]["resumed_from_step"] > 0
    assert json.loads((victim / "heads.json").read_text())["marvl"]["kind"] == "vision_language_pair"
    assert_same_outcome(interrupted, outcome)
