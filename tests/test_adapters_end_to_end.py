"""Adapter methods through `xstilts run`: bottleneck, LoRA, MAD-X and AdapterFusion arms of one experiment, and
LoRA merged into the encoder for full fine-tuning. The models each phase trained are captured in memory, so
the tests can compare them with the artefacts reloaded in a fresh model and with the base weights."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import torch
from adapters import AdapterSetup
from safetensors.numpy import load_file
from typer.testing import CliRunner

from tests.adapter_builders import write_language_adapter
from tests.conftest import experiment_yaml
from xstilts.artefacts import PhaseDir
from xstilts.cli import app
from xstilts.data.batching import collate
from xstilts.data.sources import DataSource
from xstilts.experiments.plan import phase_id
from xstilts.experiments.run import feature_cache
from xstilts.models.adapters import AdapterModel, load_phase_model, merged_encoder
from xstilts.tasks.loading import load_examples, load_features
from xstilts.tasks.registry import get_task
from xstilts.training import phase as training_phase
from xstilts.training.settings import TrainingSettings

pytestmark = pytest.mark.slow

TRAINING = (
    "{lr: 2.0e-3, batch_size: 16, max_length: 48, epochs: 1, checkpoint_every: 50, eval_batch_size: 64,"
    " max_train_examples: 48, max_eval_examples: 16}"
)
ADAPTER_MARKERS = (".adapters.", ".loras.", "invertible_adapters.", "adapter_fusion_layer.")


def _run(root: Path, text: str) -> tuple[Path, dict[str, Any]]:
    """Runs the experiment, capturing each training phase's model (by phase id) as it leaves training."""
    captured: dict[str, Any] = {}
    original = training_phase.build_train_model

    def capture(config: dict[str, Any], parent_dir: Path | None, head_specs: dict[str, Any]) -> tuple[Any, Any]:
        model, tokenizer = original(config, parent_dir, head_specs)
        captured[phase_id(config)] = model
        return model, tokenizer

    spec = root / "experiment.yaml"
    spec.write_text(text)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(training_phase, "build_train_model", capture)
        result = CliRunner().invoke(app, ["run", str(spec), "--out", str(root / "run")])
    assert result.exit_code == 0, result.output
    return root / "run", captured


@pytest.fixture(scope="module")
def language_adapters(tiny_model: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("lang")
    return {lang: write_language_adapter(tiny_model, root / lang, seed) for seed, lang in enumerate(("en", "de"))}


@pytest.fixture(scope="module")
def arms(
    tiny_model: Path, data_root: Path, language_adapters: dict[str, Path], tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, dict[str, Any]]:
    languages = ", ".join(f"{lang}: {path}" for lang, path in language_adapters.items())
    text = experiment_yaml(
        tiny_model,
        data_root,
        intermediate="[none, [mnli, squad_v1]]",
        target="[xnli]",
        training=TRAINING,
        method="[bottleneck, lora, madx, fusion]",
        adapters=f"{{madx: {{languages: {{{languages}}}}}}}",
    )
    return _run(tmp_path_factory.mktemp("arms"), text)


@pytest.fixture(scope="module")
def merge(tiny_model: Path, data_root: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    text = experiment_yaml(
        tiny_model,
        data_root,
        intermediate="[mnli]",
        target="[xnli]",
        training=TRAINING,
        method="lora",
        target_method="merge",
    )
    return _run(tmp_path_factory.mktemp("merge"), text)


def _phases(run_dir: Path) -> Iterator[tuple[Path, dict[str, Any]]]:
    for directory in sorted((run_dir / "phases").iterdir()):
        yield directory, json.loads((directory / "phase.json").read_text())


def _phase(run_dir: Path, role: str, method: str, variant: str) -> tuple[Path, dict[str, Any]]:
    (found,) = [
        (d, r)
        for d, r in _phases(run_dir)
        # several methods in one run are arms, their variants named <variant>/<method>
        if r["role"] == role and r["dims"].get("method") == method and r["variant"] in (variant, f"{variant}/{method}")
    ]
    return found


def _xnli_batch(tokenizer: Any, data_root: Path, language: str) -> dict[str, torch.Tensor]:
    task, source = get_task("xnli"), DataSource(source="local", path=str(data_root / "xnli"))
    examples = load_examples(task, "test", language, source, 16)
    data = TrainingSettings(max_length=48, max_eval_examples=16).data_part()
    labels = list(task.labels)
    features = load_features(task, "test", language, source, examples, labels, tokenizer, data, False, feature_cache())
    return collate(features, list(range(len(features))), tokenizer.pad_token_id, with_targets=False)


def _logits(model: Any, batch: dict[str, torch.Tensor]) -> torch.Tensor:
    model.eval()
    with torch.no_grad():
        return model("xnli", batch)


def _trainable(model: torch.nn.Module) -> set[str]:
    return {name for name, param in model.named_parameters() if param.requires_grad}


def test_every_method_trains_and_evaluates_end_to_end(arms: tuple[Path, dict[str, Any]]) -> None:
    run_dir, _ = arms
    evaluated = {
        (record["dims"]["method"], record["variant"]): {m["language"] for m in record["metrics"]}
        for _, record in _phases(run_dir)
        if record["kind"] == "evaluate"
    }
    for method in ("bottleneck", "lora", "madx", "fusion"):
        for variant in ("baseline", "mnli+squad_v1"):
            assert evaluated[(method, f"{variant}/{method}")] == {"en", "de", "sw"}
    intermediate = [r for _, r in _phases(run_dir) if r["role"] == "intermediate"]
    assert sorted(r["dims"]["method"] for r in intermediate) == ["bottleneck", "fusion", "lora", "madx"]


def test_adapter_artefacts_hold_no_encoder_weights(arms: tuple[Path, dict[str, Any]], tiny_model: Path) -> None:
    run_dir, _ = arms
    embedding_shape = load_file(tiny_model / "model.safetensors")["embeddings.word_embeddings.weight"].shape
    trained = [(d, r) for d, r in _phases(run_dir) if r["kind"] == "train"]
    assert len(trained) == 4 * 3  # per method: the intermediate phase, its target phase, the baseline target
    for directory, _ in trained:
        assert not (directory / "encoder").exists()
        setup = json.loads((directory / "adapter_setup.json").read_text())
        assert setup["base"]["name"] == str(tiny_model) and setup["base"]["fingerprint"].startswith("sha256:")
        for path in directory.rglob("*.safetensors"):
            tensors = load_file(path)
            assert all(value.shape != embedding_shape for value in tensors.values())
            if path.name != "heads.safetensors":
                assert all(any(marker in key for marker in ADAPTER_MARKERS) for key in tensors), path
        for name in setup["adapters"]:
            assert (directory / "adapters" / name / "adapter_config.json").exists()
            assert (directory / "adapters" / name / "adapter.safetensors").exists()
    assert not [p for p in run_dir.rglob("*") if p.suffix in {".bin", ".pt", ".pkl", ".pickle"}]


def test_frozen_weights_stay_unchanged(arms: tuple[Path, dict[str, Any]], tiny_model: Path) -> None:
    run_dir, captured = arms
    base = load_file(tiny_model / "model.safetensors")
    for _, record in _phases(run_dir):
        if record["kind"] != "train":
            continue
        model = captured[record["id"]]
        state = model.encoder.state_dict()
        for key, value in base.items():
            if key in state:
                assert torch.equal(state[key], torch.from_numpy(value)), (record["id"], key)
        assert not any(
            name.startswith("encoder.") and not any(m in name for m in ADAPTER_MARKERS) for name in _trainable(model)
        )
    # The intermediate adapter under the target adapter is the parent's, bit for bit.
    for method in ("bottleneck", "lora", "madx"):
        parent_dir, _ = _phase(run_dir, "intermediate", method, "mnli+squad_v1")
        target_dir, _ = _phase(run_dir, "target", method, "mnli+squad_v1")
        ours = load_file(parent_dir / "adapters" / "intermediate" / "adapter.safetensors")
        theirs = load_file(target_dir / "adapters" / "intermediate" / "adapter.safetensors")
        assert ours.keys() == theirs.keys() and all((ours[k] == theirs[k]).all() for k in ours)


def test_each_method_trains_what_it_should(arms: tuple[Path, dict[str, Any]]) -> None:
    run_dir, captured = arms

    def trainable(role: str, method: str, variant: str = "mnli+squad_v1") -> set[str]:
        return _trainable(captured[_phase(run_dir, role, method, variant)[1]["id"]])

    for method in ("bottleneck", "madx"):
        names = trainable("intermediate", method)
        encoder = {n for n in names if n.startswith("encoder.")}
        assert encoder and all(".adapters.intermediate." in n for n in encoder)
        assert {n.split(".")[1] for n in names - encoder} == {"mnli", "squad_v1"}  # heads.<task>.*
    assert all(".loras.intermediate." in n for n in trainable("intermediate", "lora") if n.startswith("encoder."))
    fusion = {n for n in trainable("intermediate", "fusion") if n.startswith("encoder.")}
    assert {n.split(".adapters.")[1].split(".")[0] for n in fusion} == {"intermediate_mnli", "intermediate_squad_v1"}
    for method in ("bottleneck", "lora", "madx"):
        assert all("target_xnli" in n for n in trainable("target", method) if n.startswith("encoder."))
    fused = trainable("target", "fusion")
    assert any("adapter_fusion_layer.fusion." in n for n in fused)
    assert all("adapter_fusion_layer.fusion." in n or n.startswith("heads.xnli.") for n in fused)
    # Without an intermediate phase, the arm's baseline trains a target adapter on the pretrained encoder.
    assert all("target_xnli" in n for n in trainable("target", "fusion", "baseline") if n.startswith("encoder."))


def test_fusion_routes_each_task_through_its_own_adapter(arms: tuple[Path, dict[str, Any]]) -> None:
    run_dir, _ = arms
    directory, _ = _phase(run_dir, "intermediate", "fusion", "mnli+squad_v1")
    routes = json.loads((directory / "adapter_setup.json").read_text())["routes"]
    assert routes == {
        "mnli": {"stack": ["intermediate_mnli"], "language": False},
        "squad_v1": {"stack": ["intermediate_squad_v1"], "language": False},
    }
    target, _ = _phase(run_dir, "target", "fusion", "mnli+squad_v1")
    setup = json.loads((target / "adapter_setup.json").read_text())
    assert setup["fusions"] == {"fusion": ["intermediate_mnli", "intermediate_squad_v1"]}
    assert (target / "fusions" / "fusion" / "adapter_fusion_config.json").exists()


def test_artefacts_reload_to_identical_logits(arms: tuple[Path, dict[str, Any]], data_root: Path) -> None:
    run_dir, captured = arms
    for directory, record in _phases(run_dir):
        if record["role"] != "target":
            continue
        fresh, tokenizer = load_phase_model(PhaseDir(directory), trust_remote_code=False)
        assert isinstance(fresh, AdapterModel)
        batch = _xnli_batch(tokenizer, data_root, "en")
        assert torch.equal(_logits(fresh, batch), _logits(captured[record["id"]], batch)), record["dims"]


def test_madx_evaluates_with_each_languages_adapter_or_the_source_one(
    arms: tuple[Path, dict[str, Any]], data_root: Path
) -> None:
    run_dir, _ = arms
    for variant in ("baseline", "mnli+squad_v1"):
        directory, _ = _phase(run_dir, "evaluate", "madx", variant)
        assert json.loads((directory / "language_adapters.json").read_text()) == {"de": "de", "en": "en", "sw": "en"}
    target, _ = _phase(run_dir, "target", "madx", "mnli+squad_v1")
    model, tokenizer = load_phase_model(PhaseDir(target), trust_remote_code=False)
    batch = _xnli_batch(tokenizer, data_root, "de")
    assert model.use_language("de") == "de"
    own = _logits(model, batch)
    assert model.use_language("sw") == "en"
    fallback = _logits(model, batch)
    assert not torch.allclose(own, fallback)


def test_lora_merge_then_full_fine_tuning(
    merge: tuple[Path, dict[str, Any]], data_root: Path, tiny_model: Path
) -> None:
    run_dir, captured = merge
    parent, parent_record = next((d, r) for d, r in _phases(run_dir) if r["role"] == "intermediate")
    target, target_record = next((d, r) for d, r in _phases(run_dir) if r["role"] == "target")
    assert target_record["parent"] == parent_record["id"]
    assert (parent / "adapters" / "intermediate" / "adapter.safetensors").exists() and not (parent / "encoder").exists()
    assert (target / "encoder" / "model.safetensors").exists()  # merged and fully fine-tuned: a whole encoder
    model = captured[target_record["id"]]
    assert _trainable(model) == {name for name, _ in model.named_parameters()}
    # The merged encoder computes what base + LoRA computed.
    with_lora, tokenizer = load_phase_model(PhaseDir(parent), trust_remote_code=False)
    merged, _ = merged_encoder(PhaseDir(parent), trust_remote_code=False)
    batch = _xnli_batch(tokenizer, data_root, "en")
    inputs = {k: batch[k] for k in ("input_ids", "attention_mask")}
    with_lora.eval(), merged.eval()
    with torch.no_grad(), AdapterSetup(with_lora.composition("mnli")):
        expected = with_lora.encoder(**inputs).last_hidden_state
    assert torch.allclose(merged(**inputs).last_hidden_state, expected, atol=1e-5)
    base = load_file(tiny_model / "model.safetensors")
    query = "encoder.layer.0.attention.self.query.weight"
    assert not torch.equal(merged.state_dict()[query], torch.from_numpy(base[query]))
    evaluated = [r for _, r in _phases(run_dir) if r["kind"] == "evaluate"]
    assert {m["language"] for r in evaluated for m in r["metrics"]} == {"en", "de", "sw"}
