"""A vision-language target (XVNLI, image premise) under every training method, after a text intermediate (MNLI):
full fine-tuning, bottleneck, LoRA, MAD-X and AdapterFusion arms of one `xstilts run`, and LoRA merged into the
encoder for full fine-tuning. In each adapter arm the
encoder stays frozen while the new adapter and the head (its vision stem and classifier) train, the gradient reaches
the adapter through the image tokens' fused pass, the artefact (adapters + heads, safetensors) reloads into the
very model that trained, and every language is evaluated. The models are captured as they leave training."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from safetensors.numpy import load_file

from tests.adapter_builders import write_language_adapter
from tests.builders import write_glue_mnli
from tests.test_adapters_end_to_end import ADAPTER_MARKERS, _phase, _phases, _run, _trainable
from tests.vision_builders import write_xvnli
from xstilts.artefacts import PhaseDir
from xstilts.data.batching import collate
from xstilts.data.sources import DataSource
from xstilts.experiments.run import feature_cache
from xstilts.models.adapters import AdapterModel, load_phase_model, use_language
from xstilts.tasks.loading import load_examples, load_features
from xstilts.tasks.registry import get_task
from xstilts.training.settings import TrainingSettings

pytestmark = pytest.mark.slow

METHODS = ("full", "bottleneck", "lora", "madx", "fusion")
ADAPTER_METHODS = METHODS[1:]
LANGUAGES = ("en", "fr")
TRAINING = (
    "{lr: 2.0e-3, batch_size: 8, max_length: 16, epochs: 3, checkpoint_every: 50, eval_batch_size: 32,"
    " image_size: 16, vision_lr: 2.0e-2, warmup_ratio: 0.0}"
)
# What a new adapter starts at zero (a bottleneck's up-projection, LoRA's B): nonzero after training means the loss
# of the fused image + text pass reached it.
ZERO_AT_START = ("adapter_up", "lora_B")


@pytest.fixture(scope="module")
def arms(tiny_model: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict[str, Any]]:
    root = tmp_path_factory.mktemp("vl-methods")
    write_glue_mnli(root / "mnli", n_train=32, n_dev=8)
    write_xvnli(root / "xvnli", list(LANGUAGES), n_train=48, n_dev=12, n_test=12)
    adapters = {
        lang: write_language_adapter(tiny_model, root / f"lang-{lang}", seed) for seed, lang in enumerate(LANGUAGES)
    }
    languages = ", ".join(f"{lang}: {path}" for lang, path in adapters.items())
    text = (
        f"name: vl-methods\nmodel: {tiny_model}\nseeds: [1]\nintermediate: [none, mnli]\ntarget: [xvnli]\n"
        f"method: [{', '.join(METHODS)}]\nadapters: {{madx: {{languages: {{{languages}}}}}}}\ntraining: {TRAINING}\n"
        "tasks:\n"
        f"  mnli: {{data: {{source: local, path: {root / 'mnli'}}}, training: {{epochs: 1}}}}\n"
        f"  xvnli: {{data: {{source: local, path: {root / 'xvnli'}}}, languages: [{', '.join(LANGUAGES)}]}}\n"
    )
    run_dir, captured = _run(root, text)
    return run_dir, root / "xvnli", captured


@pytest.fixture(scope="module")
def merged(arms: tuple[Path, Path, dict[str, Any]], tiny_model: Path) -> tuple[Path, dict[str, Any]]:
    """LoRA on MNLI merged into the encoder, then XVNLI fine-tuned in full (``target_method: merge``)."""
    data = arms[1].parent
    text = (
        f"name: vl-merge\nmodel: {tiny_model}\nseeds: [1]\nintermediate: [mnli]\ntarget: [xvnli]\nmethod: lora\n"
        f"target_method: merge\ntraining: {TRAINING}\ntasks:\n"
        f"  mnli: {{data: {{source: local, path: {data / 'mnli'}}}, training: {{epochs: 1}}}}\n"
        f"  xvnli: {{data: {{source: local, path: {data / 'xvnli'}}}, languages: [{', '.join(LANGUAGES)}]}}\n"
    )
    (data / "merge").mkdir()
    return _run(data / "merge", text)


def _targets(run_dir: Path, method: str) -> list[tuple[Path, dict[str, Any]]]:
    return [_phase(run_dir, "target", method, variant) for variant in ("baseline", "mnli")]


def test_every_method_trains_and_evaluates_xvnli_in_every_language(arms: tuple[Path, Path, dict[str, Any]]) -> None:
    run_dir, _, _ = arms
    evaluated = {
        (record["dims"]["method"], record["variant"]): {
            m["language"] for m in record["metrics"] if m["task"] == "xvnli" and m["metric"] == "accuracy"
        }
        for _, record in _phases(run_dir)
        if record["kind"] == "evaluate"
    }
    for method in METHODS:
        for variant in ("baseline", "mnli"):
            assert evaluated[(method, f"{variant}/{method}")] == set(LANGUAGES), (method, variant)
    heads = {
        spec["kind"]
        for directory, record in _phases(run_dir)
        if record["kind"] == "train" and record["role"] == "target"
        for spec in json.loads((directory / "heads.json").read_text()).values()
    }
    assert heads == {"vision_language"}


def test_adapter_arms_freeze_the_encoder_and_train_adapter_stem_and_head(
    arms: tuple[Path, Path, dict[str, Any]], tiny_model: Path
) -> None:
    run_dir, _, captured = arms
    base = load_file(tiny_model / "model.safetensors")
    for method in ADAPTER_METHODS:
        for directory, record in _targets(run_dir, method):
            model = captured[record["id"]]
            assert isinstance(model, AdapterModel)
            trainable = _trainable(model)
            encoder = {name for name in trainable if name.startswith("encoder.")}
            assert encoder and all(any(m in name for m in ADAPTER_MARKERS) for name in encoder), (method, encoder)
            heads = {name.split(".", 2)[2] for name in trainable - encoder}
            assert any(name.startswith("stem.") for name in heads) and "out_proj.weight" in heads, (method, heads)
            state = model.encoder.state_dict()
            for key, value in base.items():  # the pretrained weights, bit for bit
                if key in state:
                    assert torch.equal(state[key], torch.from_numpy(value)), (method, key)
            assert not (directory / "encoder").exists()
            saved = load_file(directory / "heads.safetensors")
            assert any(".stem." in key or key.startswith("xvnli.stem") for key in saved), sorted(saved)[:5]
            if method == "fusion":  # the fused target trains the fusion layer over the parent's adapter
                if record["variant"].startswith("mnli"):
                    assert all("adapter_fusion_layer." in name for name in encoder), encoder
                continue
            adapter = load_file(directory / "adapters" / "target_xvnli" / "adapter.safetensors")
            moved = [key for key, value in adapter.items() if any(m in key for m in ZERO_AT_START) and value.any()]
            assert moved, (method, sorted(adapter)[:6])


def _batch(tokenizer: Any, data: Path, language: str) -> dict[str, torch.Tensor]:
    task, source = get_task("xvnli"), DataSource(source="local", path=str(data))
    examples = load_examples(task, "test", language, source, 12)
    settings = TrainingSettings(max_length=16, image_size=16).data_part(task.kind.name)
    labels = list(task.labels)
    features = load_features(
        task, "test", language, source, examples, labels, tokenizer, settings, False, feature_cache()
    )
    return collate(features, list(range(len(features))), tokenizer.pad_token_id, with_targets=False)


def _logits(model: Any, batch: dict[str, torch.Tensor], language: str) -> torch.Tensor:
    use_language(model, language)
    model.eval()
    with torch.no_grad():
        return model("xvnli", batch)


def test_target_artefacts_reload_into_the_model_that_trained(arms: tuple[Path, Path, dict[str, Any]]) -> None:
    run_dir, data, captured = arms
    for method in METHODS:
        for directory, record in _targets(run_dir, method):
            reloaded, tokenizer = load_phase_model(PhaseDir(directory), trust_remote_code=False)
            assert isinstance(reloaded, AdapterModel) == (method != "full")
            for language in LANGUAGES:
                batch = _batch(tokenizer, data, language)
                assert "pixels" in batch
                ours, theirs = _logits(reloaded, batch, language), _logits(captured[record["id"]], batch, language)
                np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-5, atol=1e-6, err_msg=method)
            if method == "madx":  # each language's own adapter is used: the French logits are not the English ones
                assert not torch.allclose(_logits(reloaded, batch, "en"), _logits(reloaded, batch, "fr"))


def test_lora_merged_then_fully_fine_tuned_vision_language_target(
    arms: tuple[Path, Path, dict[str, Any]], merged: tuple[Path, dict[str, Any]]
) -> None:
    run_dir, captured = merged
    target, record = next((d, r) for d, r in _phases(run_dir) if r["role"] == "target")
    assert (target / "encoder" / "model.safetensors").exists() and not (target / "adapters").exists()
    model = captured[record["id"]]
    assert _trainable(model) == {name for name, _ in model.named_parameters()}  # encoder, stem and head
    reloaded, tokenizer = load_phase_model(PhaseDir(target), trust_remote_code=False)
    batch = _batch(tokenizer, arms[1], "fr")
    np.testing.assert_allclose(_logits(reloaded, batch, "fr").numpy(), _logits(model, batch, "fr").numpy(), atol=1e-6)
    evaluated = [r for _, r in _phases(run_dir) if r["kind"] == "evaluate"]
    assert {m["language"] for r in evaluated for m in r["metrics"]} == set(LANGUAGES)
