"""The method itself: training learns, zero-shot transfer happens, selection uses English dev, and the
phase-2 model starts from the phase-1 encoder with a fresh head."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.conftest import experiment_yaml
from xstilts.cli import app
from xstilts.training import methods as train_methods

pytestmark = pytest.mark.slow

LEARNING = "{lr: 3.0e-3, warmup_ratio: 0.0, batch_size: 16, max_length: 48, epochs: 4, eval_batch_size: 64}"


def _run(tmp_path: Path, model: Path, data: Path, **fields: str) -> list[dict]:
    spec = tmp_path / "exp.yaml"
    spec.write_text(experiment_yaml(model, data, **fields))
    result = CliRunner().invoke(app, ["run", str(spec), "--out", str(tmp_path / "run")])
    assert result.exit_code == 0, result.output
    return [json.loads(p.read_text()) for p in (tmp_path / "run" / "phases").glob("*/phase.json")]


def test_learns_and_transfers_zero_shot_with_english_dev_selection(
    tiny_model: Path, data_root: Path, tmp_path: Path
) -> None:
    records = _run(tmp_path, tiny_model, data_root, intermediate="[none]", training=LEARNING)
    evaluation = next(r for r in records if r["kind"] == "evaluate")
    accuracy = {m["language"]: m["value"] for m in evaluation["metrics"]}
    # The label is a keyword shared by all three "languages": a trained encoder transfers it zero-shot.
    assert accuracy["en"] >= 90 and accuracy["de"] >= 90 and accuracy["sw"] >= 90, accuracy
    training = next(r for r in records if r["kind"] == "train")["training"]
    scores = [h["selection_score"] for h in training["history"]]
    assert len(scores) == 4
    assert training["best"]["selection_score"] == max(scores)
    assert training["best"]["epoch"] == scores.index(max(scores)) + 1


def test_phase_two_starts_from_phase_one_encoder_with_fresh_head(
    tiny_model: Path, data_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    loaded: list[str] = []
    original = train_methods.load_encoder  # where a training phase's encoder is loaded

    def spy(name: str, *args: object, **kwargs: object) -> object:
        loaded.append(name)
        return original(name, *args, **kwargs)

    monkeypatch.setattr(train_methods, "load_encoder", spy)
    records = _run(
        tmp_path, tiny_model, data_root, intermediate="[mnli]", training=LEARNING.replace("epochs: 4", "epochs: 1")
    )
    intermediate = next(r for r in records if r["role"] == "intermediate")
    target = next(r for r in records if r["role"] == "target")
    assert loaded[0] == str(tiny_model)
    assert loaded[1] == str(tmp_path / "run" / "phases" / intermediate["id"] / "encoder")
    assert target["parent"] == intermediate["id"]
    target_heads = json.loads((tmp_path / "run" / "phases" / target["id"] / "heads.json").read_text())
    assert list(target_heads) == ["xnli"]  # the MNLI head stayed with phase 1


def test_frozen_word_embeddings_stay_unchanged(tiny_model: Path, data_root: Path, tmp_path: Path) -> None:
    from safetensors.numpy import load_file

    training = LEARNING.replace("epochs: 4", "epochs: 1, freeze_word_embeddings: true")
    records = _run(tmp_path, tiny_model, data_root, intermediate="[none]", training=training)
    target = next(r for r in records if r["role"] == "target")
    before = load_file(tiny_model / "model.safetensors")
    after = load_file(tmp_path / "run" / "phases" / target["id"] / "encoder" / "model.safetensors")
    key = next(k for k in before if k.endswith("word_embeddings.weight"))
    assert (before[key] == after[key]).all()
    layer = next(k for k in before if k.endswith("attention.self.query.weight"))
    assert not (before[layer] == after[layer]).all()


def test_gradient_accumulation_and_max_steps(tiny_model: Path, data_root: Path, tmp_path: Path) -> None:
    training = LEARNING.replace("epochs: 4", "epochs: 3, grad_accum: 3, max_steps: 7")
    records = _run(tmp_path, tiny_model, data_root, intermediate="[none]", training=training)
    loop = next(r for r in records if r["role"] == "target")["training"]
    # 240 MNLI pairs / 16 = 15 micro-batches = 5 optimizer steps per epoch; max_steps stops in epoch 2
    assert loop["total_steps"] == 7 and loop["steps"] == 7
    assert [h["step"] for h in loop["history"]] == [5, 7]


def test_rerun_with_changed_settings_reports_only_the_new_phases(
    tiny_model: Path, data_root: Path, tmp_path: Path
) -> None:
    quick = LEARNING.replace("epochs: 4", "epochs: 1")
    _run(tmp_path, tiny_model, data_root, intermediate="[none]", training=quick)
    _run(tmp_path, tiny_model, data_root, intermediate="[none]", training=quick.replace("lr: 3.0e-3", "lr: 1.0e-3"))
    result = CliRunner().invoke(app, ["results", str(tmp_path / "run"), "--json"])
    records = [r for r in json.loads(result.output) if r["role"] == "evaluate"]
    assert len(records) == 3  # en, de, sw of the second configuration only
    plan = json.loads((tmp_path / "run" / "plan.json").read_text())
    assert {r["phase"] for r in records} == {p["id"] for p in plan if p["role"] == "evaluate"}
