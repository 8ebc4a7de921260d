"""`xstilts train-language-adapter`: a MAD-X language adapter trained with MLM on a plain-text file, written in
`adapters`' own format, that an experiment's `adapters.madx.languages` accepts and the library reloads."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from safetensors.numpy import load_file
from typer.testing import CliRunner

from tests.builders import LANGUAGE_WORDS
from xstilts.cli import app
from xstilts.experiments.methods import AdapterOptions, method_problems
from xstilts.models.mlm_head import pretrained_mlm_head
from xstilts.training.language_adapter import RECORD_JSON

pytestmark = pytest.mark.slow


def _text(directory: Path, language: str, lines: int = 48) -> Path:
    rng = random.Random(0)
    directory.mkdir(parents=True, exist_ok=True)
    words = LANGUAGE_WORDS[language]
    body = "\n".join(" ".join(rng.choice(words) for _ in range(rng.randint(4, 12))) for _ in range(lines))
    (directory / f"{language}.txt").write_text(body + "\n\n", encoding="utf-8")
    return directory


def _train(model: Path, text: Path, out: Path, *extra: str) -> object:
    args = ["train-language-adapter", str(model), str(text), "--language", "de", "--out", str(out)]
    return CliRunner().invoke(
        app, [*args, "--batch-size", "8", "--max-length", "24", "--max-steps", "4", "--epochs", "3", *extra]
    )


def test_trains_an_adapter_in_the_librarys_format(tiny_model: Path, tmp_path: Path) -> None:
    text = _text(tmp_path / "text", "de")
    trained, untouched = tmp_path / "de", tmp_path / "de-untouched"
    result = _train(tiny_model, text, trained, "--lr", "5e-2")
    assert result.exit_code == 0, result.output
    assert _train(tiny_model, text, untouched, "--lr", "1e-12").exit_code == 0

    record = json.loads((trained / RECORD_JSON).read_text())
    assert record["steps"] == 4 and record["language"] == "de" and record["adapter"] == "lang_de"
    assert record["base"]["name"] == str(tiny_model)
    assert record["mlm_head"] == "new"  # the tiny encoder was saved without an MLM head
    config = json.loads((trained / "adapter_config.json").read_text())
    assert config["config"]["inv_adapter"] == "nice"
    ours, initial = load_file(trained / "adapter.safetensors"), load_file(untouched / "adapter.safetensors")
    assert any(key.startswith("invertible_adapters.lang_de.") for key in ours)
    assert all(".lang_de." in key for key in ours)  # the adapter only: no encoder or head weights
    assert any(not (ours[k] == initial[k]).all() for k in ours)  # the same start (seed), moved by training
    assert not list(tmp_path.glob(".*"))  # no staging or checkpoint left behind

    import adapters
    from transformers import AutoModel

    encoder = AutoModel.from_pretrained(tiny_model, add_pooling_layer=False)
    adapters.init(encoder)
    assert encoder.load_adapter(str(trained), load_as="lang_de", use_safetensors=True) == "lang_de"
    options = AdapterOptions.model_validate({"madx": {"languages": {"en": str(trained), "de": str(trained)}}})
    assert method_problems("madx", None, options) == []


def test_bad_input_is_a_clear_error(tiny_model: Path, tmp_path: Path) -> None:
    text = _text(tmp_path / "text", "de")
    (text / "de.txt").unlink()
    result = _train(tiny_model, text, tmp_path / "out")
    assert result.exit_code == 2 and "de.txt: file not found" in result.output
    (tmp_path / "exists").mkdir()
    result = _train(tiny_model, _text(tmp_path / "text", "de"), tmp_path / "exists")
    assert result.exit_code == 2 and "already exists" in result.output


def test_the_mlm_head_starts_from_the_checkpoints_own(tiny_model: Path, tmp_path: Path) -> None:
    import torch
    from transformers import AutoConfig, AutoTokenizer, XLMRobertaForMaskedLM

    torch.manual_seed(3)
    with_head = XLMRobertaForMaskedLM(AutoConfig.from_pretrained(tiny_model))
    with_head.save_pretrained(tmp_path / "mlm")
    AutoTokenizer.from_pretrained(tiny_model).save_pretrained(tmp_path / "mlm")
    weights = pretrained_mlm_head(str(tmp_path / "mlm"), None, False)
    assert weights is not None and sorted(weights) == [
        "bias",
        "dense.bias",
        "dense.weight",
        "layer_norm.bias",
        "layer_norm.weight",
    ]
    assert torch.equal(weights["dense.weight"], with_head.lm_head.dense.weight)
    assert torch.equal(weights["bias"], with_head.lm_head.bias)
    assert pretrained_mlm_head(str(tiny_model), None, False) is None

    # continued MLM in an intermediate phase starts from the same head (full fine-tuning here)
    from xstilts.phase_config import ModelRef, TrainPhaseConfig
    from xstilts.training.methods import build_train_model

    model_ref = ModelRef(name=str(tmp_path / "mlm"), revision=None, fingerprint="test")
    config = TrainPhaseConfig(parent=None, model=model_ref, trust_remote_code=False, seed=1, optimizer={}, heads={})
    specs = {"mlm": {"kind": "masked_lm", "labels": [], "num_labels": 0, "options": {}}}
    model, _ = build_train_model(config, None, specs)
    assert torch.equal(model.heads["mlm"].dense.weight, with_head.lm_head.dense.weight)
    assert torch.equal(model.heads["mlm"].bias, with_head.lm_head.bias)
