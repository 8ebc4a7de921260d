"""The method itself: training learns, the English-trained model is evaluated in every language, selection keeps
the weights of the best English dev epoch, and the phase-2 model starts from the phase-1 encoder with a fresh
head."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from tests.builders import write_xnli_official
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


def test_learns_the_keyword_rule_and_applies_it_in_every_language(
    tiny_model: Path, data_root: Path, tmp_path: Path
) -> None:
    """Training on English MNLI learns the label rule, and the evaluation applies the English-trained model to each
    language's test set. The rule is a keyword that every "language" of the test data shares (builders.NLI_KEYWORDS),
    so high German and Swahili accuracy shows the per-language evaluation path works, not cross-lingual transfer."""
    records = _run(tmp_path, tiny_model, data_root, intermediate="[none]", training=LEARNING)
    evaluation = next(r for r in records if r["kind"] == "evaluate")
    accuracy = {m["language"]: m["value"] for m in evaluation["metrics"]}
    assert accuracy["en"] >= 90 and accuracy["de"] >= 90 and accuracy["sw"] >= 90, accuracy
    training = next(r for r in records if r["kind"] == "train")["training"]
    scores = [h["selection_score"] for h in training["history"]]
    assert len(scores) == 4
    assert training["best"]["selection_score"] == max(scores)
    assert training["best"]["epoch"] == scores.index(max(scores)) + 1


# English dev rows whose gold label is rotated: the better a model learns the keyword rule, the worse it does there.
ROTATED = {"entailment": "contradiction", "contradiction": "neutral", "neutral": "entailment"}
XNLI_LABEL_COLUMNS = (1, 11, 12, 13, 14, 15)  # gold_label, label1..label5 (builders.write_xnli_official)


def _xnli_with_adversarial_english_dev(data_root: Path, directory: Path) -> Path:
    """A data root with the fixture's MNLI and an XNLI whose English dev labels are rotated (German and Swahili dev
    are as usual) and whose test file is a copy of dev, so that evaluating the saved model scores it on dev."""
    (directory / "mnli").parent.mkdir(parents=True, exist_ok=True)
    (directory / "mnli").symlink_to(data_root / "mnli")
    xnli = write_xnli_official(directory / "xnli", ["en", "de", "sw"], n_per_language=30)
    header, *rows = (xnli / "xnli.dev.tsv").read_text().splitlines()
    lines = [header]
    for row in rows:
        fields = row.split("\t")
        if fields[0] == "en":
            fields = [ROTATED[v] if i in XNLI_LABEL_COLUMNS else v for i, v in enumerate(fields)]
        lines.append("\t".join(fields))
    for name in ("xnli.dev.tsv", "xnli.test.tsv"):
        (xnli / name).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return directory


def test_selection_keeps_the_weights_of_the_best_english_dev_epoch(
    tiny_model: Path, data_root: Path, tmp_path: Path
) -> None:
    # English dev disagrees with training and with German / Swahili dev, so only selection on English dev keeps an
    # early epoch; the test set being dev, the saved model's English test accuracy is its English dev accuracy.
    data = _xnli_with_adversarial_english_dev(data_root, tmp_path / "data")
    training = LEARNING.replace("epochs: 4", "epochs: 3, max_train_examples: 160")
    records = _run(tmp_path, tiny_model, data, intermediate="[none]", training=training)
    record = next(r for r in records if r["kind"] == "train")
    history = record["training"]["history"]
    scores = [h["selection_score"] for h in history]
    best = record["training"]["best"]
    assert best["selection_score"] == max(scores) and best["epoch"] == scores.index(max(scores)) + 1
    assert all(
        set(h["dev"]) == {"xnli/accuracy"} and h["selection_score"] == h["dev"]["xnli/accuracy"] for h in history
    )
    assert best["epoch"] < len(scores) and scores[-1] < best["selection_score"]  # the last epoch would be worse
    evaluation = next(r for r in records if r["kind"] == "evaluate")
    accuracy = {m["language"]: m["value"] for m in evaluation["metrics"]}
    assert accuracy["en"] == pytest.approx(best["selection_score"], abs=1e-9)
    # the same number from the prediction file and the rotated gold labels
    rows = [line.split("\t") for line in (data / "xnli" / "xnli.dev.tsv").read_text().splitlines()[1:]]
    gold = [fields[1] for fields in rows if fields[0] == "en"]
    written = (tmp_path / "run" / "phases" / evaluation["id"] / "predictions" / "xnli" / "test-en.tsv").read_text()
    predicted = written.splitlines()
    assert 100 * sum(p == g for p, g in zip(predicted, gold, strict=True)) / len(gold) == pytest.approx(accuracy["en"])
    assert [m for m in record["metrics"] if m["split"] == "dev"] == [
        {"task": "xnli", "language": "en", "split": "dev", "metric": "accuracy", "value": best["selection_score"]}
    ]


def _tensors(path: Path) -> dict[str, np.ndarray]:
    from safetensors.numpy import load_file

    return load_file(path)


def _assert_same(ours: dict[str, np.ndarray], theirs: dict[str, np.ndarray], what: str) -> None:
    assert sorted(ours) == sorted(theirs), what
    for name, value in theirs.items():
        np.testing.assert_allclose(ours[name], value, rtol=0, atol=1e-12, err_msg=f"{what}: {name}")


def _largest_difference(ours: dict[str, np.ndarray], theirs: dict[str, np.ndarray]) -> float:
    return max(float(np.abs(ours[name] - theirs[name]).max()) for name in theirs)


def test_phase_two_starts_from_phase_one_encoder_with_fresh_head(
    tiny_model: Path, data_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The target phases train with a learning rate (1e-30) too small to move any weight, so their artefacts hold
    the weights they started from: the intermediate's encoder, and a head equal to the baseline target's (a fresh
    head from the same seed), not the intermediate's MNLI head of the same shape."""
    loaded: list[str] = []
    original = train_methods.load_encoder  # where a training phase's encoder is loaded

    def spy(name: str, *args: object, **kwargs: object) -> object:
        loaded.append(name)
        return original(name, *args, **kwargs)

    monkeypatch.setattr(train_methods, "load_encoder", spy)
    spec = experiment_yaml(
        tiny_model, data_root, intermediate="[none, mnli]", training=LEARNING.replace("epochs: 4", "epochs: 1")
    )
    spec = spec.replace("languages: [en, de, sw]}", "languages: [en, de, sw], training: {lr: 1.0e-30}}", 1)
    (tmp_path / "exp.yaml").write_text(spec)
    result = CliRunner().invoke(app, ["run", str(tmp_path / "exp.yaml"), "--out", str(tmp_path / "run")])
    assert result.exit_code == 0, result.output
    records = [json.loads(p.read_text()) for p in (tmp_path / "run" / "phases").glob("*/phase.json")]
    intermediate = next(r for r in records if r["role"] == "intermediate")
    target = next(r for r in records if r["role"] == "target" and r["variant"] == "mnli")
    baseline = next(r for r in records if r["role"] == "target" and r["variant"] == "baseline")
    phases = tmp_path / "run" / "phases"
    assert sorted(loaded) == sorted([str(tiny_model), str(tiny_model), str(phases / intermediate["id"] / "encoder")])
    assert target["parent"] == intermediate["id"] and baseline["parent"] is None
    target_heads = json.loads((phases / target["id"] / "heads.json").read_text())
    assert list(target_heads) == ["xnli"]  # the MNLI head stayed with phase 1
    assert target["training"]["steps"] == 15 and baseline["training"]["steps"] == 15  # 240 pairs / 16

    pretrained = _tensors(tiny_model / "model.safetensors")
    intermediate_encoder = _tensors(phases / intermediate["id"] / "encoder" / "model.safetensors")
    moved = max(float(np.abs(intermediate_encoder[k] - pretrained[k]).max()) for k in intermediate_encoder)
    assert moved > 1e-3  # phase 1 trained: its encoder is not the pretrained one
    _assert_same(_tensors(phases / target["id"] / "encoder" / "model.safetensors"), intermediate_encoder, "encoder")
    baseline_encoder = _tensors(phases / baseline["id"] / "encoder" / "model.safetensors")
    _assert_same(baseline_encoder, {k: pretrained[k] for k in baseline_encoder}, "baseline encoder")

    head = _tensors(phases / target["id"] / "heads.safetensors")
    _assert_same(head, _tensors(phases / baseline["id"] / "heads.safetensors"), "a fresh head from the seed")
    mnli_head = {
        k.replace("mnli.", "xnli.", 1): v
        for k, v in _tensors(phases / intermediate["id"] / "heads.safetensors").items()
    }
    assert sorted(mnli_head) == sorted(head) and _largest_difference(head, mnli_head) > 1e-2


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
